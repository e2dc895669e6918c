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

test('a German phone is told to use HTTPS in German', async () => {
  const { loadTranslator, speakWith } = await import('../../pwa/lib/i18n.js');
  const { writeHttpsNotice } = await import('../../pwa/lib/secure-context.js');
  const { readFile } = await import('node:fs/promises');
  const fetchJson = async (/** @type {string} */ url) =>
    new Response(await readFile(new URL(url)), { headers: { 'content-type': 'application/json' } });
  /** @type {Array<string | {href?: string, textContent?: string}>} */
  let children = [];
  const element = {
    ownerDocument: { createElement: () => ({ href: '', id: '', textContent: '' }) },
    replaceChildren: (/** @type {any[]} */ ...parts) => { children = parts; },
    dataset: {},
    setAttribute: () => {},
  };
  const location = { host: 'door.lan:8000', pathname: '/scan', search: '', hash: '' };
  speakWith('de', await loadTranslator('de', fetchJson));
  try {
    writeHttpsNotice(/** @type {any} */ (element), location);
    assert.equal(children[0], 'Diese Seite braucht HTTPS: öffne ');
    assert.equal(/** @type {{href: string}} */ (children[1]).href, 'https://door.lan:8000/scan');
  } finally {
    speakWith('en', await loadTranslator('en', fetchJson));
  }
});
