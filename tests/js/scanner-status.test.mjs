// @ts-check
/**
 * The scanner's own numbers: people this phone let in (pwa/lib/door.js `admitted`), and the
 * warning of a phone that is online but has not synced for 10 minutes (pwa/scanner/format.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { syncOnce } from '../../pwa/lib/sync-client.js';
import { STALE_SYNC_MS, staleSyncText } from '../../pwa/scanner/format.js';
import { FakeServer, pairedDoor } from './scanner-fakes.mjs';

test('counts the people this phone let in: admissions and "admit anyway", not refusals', async () => {
  const server = new FakeServer();
  const { door, clock } = await pairedDoor(server, 'Gate A');
  assert.equal(door.admitted, 0);
  await door.scan(server.token(0));
  assert.equal(door.admitted, 1);
  clock.now += 3000;
  const amber = await door.scan(server.token(0));
  assert.equal(amber?.verdict.code, 'already_scanned');
  assert.equal(door.admitted, 1, 'an amber verdict lets nobody in');
  await door.scan('not a pass');
  assert.equal(door.admitted, 1);
  await door.admitAnyway(/** @type {any} */ (amber).verdict);
  assert.equal(door.admitted, 2);
});

test('counts only its own admissions, and the same count after a reload', async () => {
  const server = new FakeServer();
  const a = await pairedDoor(server, 'Gate A');
  const b = await pairedDoor(server, 'Gate B');
  await a.door.scan(server.token(0));
  await b.door.scan(server.token(1));
  await b.door.scan(server.token(2));
  await syncOnce({ door: b.door, api: /** @type {any} */ (server) });
  await syncOnce({ door: a.door, api: /** @type {any} */ (server) });
  assert.equal(a.door.admitted, 1, "Gate B's admissions are not Gate A's");
  const reloaded = new Door({ store: a.store, clock: () => a.clock.now });
  await reloaded.load();
  assert.equal(reloaded.admitted, 1);
  assert.equal(b.door.admitted, 2);
});

test('warns a phone that is online but has not synced for 10 minutes, and not before', () => {
  const now = 1750000000000;
  assert.equal(staleSyncText({ online: true, since: now - STALE_SYNC_MS + 1000, now }), null);
  assert.equal(
    staleSyncText({ online: true, since: now - STALE_SYNC_MS, now }),
    'Not synced for 10 min while online: check the Wi-Fi or mobile data. Scans are kept on this phone until they upload.',
  );
  assert.match(/** @type {string} */ (staleSyncText({ online: true, since: now - 3 * 3600_000, now })), /^Not synced for 3 h while online/);
});

test('says nothing offline (the badge says why) or before any sync time is known', () => {
  const now = 1750000000000;
  assert.equal(staleSyncText({ online: false, since: now - 3600_000, now }), null);
  assert.equal(staleSyncText({ online: true, since: undefined, now }), null);
  assert.equal(staleSyncText({ online: true, since: null, now }), null);
});
