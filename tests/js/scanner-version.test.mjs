// @ts-check
/**
 * The scanner version a phone reports on its sync calls (X-Poctix-App): the service worker's
 * shell cache suffix, first 12 characters (pwa/scanner/app-version.js, pwa/lib/sync-client.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createApi } from '../../pwa/lib/sync-client.js';
import { shellVersion } from '../../pwa/scanner/app-version.js';

test('the version is the shell cache hash, cut to 12 characters; other caches do not count', () => {
  assert.equal(shellVersion(['poctix-admin', 'poctix-shell-0123456789abcdef']), '0123456789ab');
  assert.equal(shellVersion(['poctix-admin']), null);
  assert.equal(shellVersion([]), null);
});

test('while a new version waits beside the running one, the version read before stays; unknown, none is sent', () => {
  const both = ['poctix-shell-aaaaaaaaaaaa0000', 'poctix-shell-bbbbbbbbbbbb0000'];
  assert.equal(shellVersion(both, 'bbbbbbbbbbbb'), 'bbbbbbbbbbbb');
  assert.equal(shellVersion(both, 'cccccccccccc'), null);
  assert.equal(shellVersion(both), null);
});

test('sync calls carry X-Poctix-App once the version is known; pairing and unknown versions send none', async () => {
  /** @type {Array<Record<string, string>>} */
  const sent = [];
  /** @type {typeof fetch} */
  const fetchImpl = async (_url, init) => {
    sent.push(/** @type {Record<string, string>} */ (init?.headers));
    return new Response(JSON.stringify({ changes: [], scans: [], more: false, server_time: 1 }), {
      headers: { 'content-type': 'application/json' },
    });
  };
  let version = /** @type {string|null} */ (null);
  const api = createApi({ fetchImpl, appVersion: () => version });
  await api.pull('tok', { vector: {}, limit: 1 });
  version = '0123456789ab';
  await api.pull('tok', { vector: {}, limit: 1 });
  await api.push('tok', { scans: [], pending: 0 });
  await api.pair({ code: 'x'.repeat(16), name: 'Gate' });
  assert.deepEqual(sent.map((headers) => headers['X-Poctix-App'] ?? null), [null, '0123456789ab', '0123456789ab', null]);
});
