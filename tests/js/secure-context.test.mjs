// @ts-check
/**
 * Pages opened over plain HTTP: the HTTPS address they point to, and which message a door
 * phone gets when pass signatures cannot be checked (never "update the browser" when the real
 * cause is the missing secure context).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { httpsAddress, needsHttps, signatureTrouble } from '../../pwa/lib/secure-context.js';

test('points at the same host, path and pairing code over HTTPS', () => {
  const location = { host: 'door.lan:8000', pathname: '/scan', search: '', hash: '#pair=ABCD2345' };
  assert.equal(httpsAddress(location), 'https://door.lan:8000/scan#pair=ABCD2345');
  assert.equal(
    httpsAddress({ host: '192.168.1.20', pathname: '/admin/orders', search: '?q=ann', hash: '' }),
    'https://192.168.1.20/admin/orders?q=ann',
  );
});

test('only a page the browser calls insecure needs HTTPS', () => {
  assert.equal(needsHttps({ isSecureContext: false }), true);
  assert.equal(needsHttps({ isSecureContext: true }), false);
  assert.equal(needsHttps({}), false); // a runtime without the notion (node) is not told off
});

test('an insecure page is told to use HTTPS even though no Ed25519 key could be read', () => {
  assert.equal(signatureTrouble({ secure: false, unreadableKeys: 2 }), 'needs_https');
  assert.equal(signatureTrouble({ secure: false, unreadableKeys: 0 }), 'needs_https');
});

test('only a secure page that could not read the keys blames the browser', () => {
  assert.equal(signatureTrouble({ secure: true, unreadableKeys: 1 }), 'no_ed25519');
  assert.equal(signatureTrouble({ secure: true, unreadableKeys: 0 }), null);
});
