// @ts-check
/**
 * Exits and re-entry on door phones (sync/PROTOCOL.md section 19): the In/Out toggle, "inside
 * now" on the phone's list, and double-admission alerts read from `classify`, so a re-entry
 * after an exit never alerts (pwa/lib/door.js, pwa/scanner/settings.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { insideCounts } from '../../pwa/lib/sync-core.js';
import { tierBreakdown } from '../../pwa/scanner/view.js';
import { syncOnce } from '../../pwa/lib/sync-client.js';
import { settingsFrom } from '../../pwa/scanner/settings.js';
import { FakeServer, pairedDoor } from './scanner-fakes.mjs';

const T = Date.UTC(2026, 6, 4, 23, 34);
const FLOOR = { list_id: 'floor', seq: 1, name: 'Dance floor', reentry: true };
const ON_FLOOR = { list: 'floor' }; // a pairing link for the floor's list

/** @param {Door} door @param {FakeServer} server */
const sync = async (door, server) => (await syncOnce({ door, api: /** @type {any} */ (server) })).alerts;

test('a pass goes in, out and in again on a list with re-entry, and "inside now" follows it', async () => {
  const server = new FakeServer();
  server.saveList(FLOOR);
  const { door, clock } = await pairedDoor(server, 'Floor', { now: T, link: ON_FLOOR });
  assert.equal(door.inside, 0);
  assert.equal((await door.scan(server.token(0)))?.verdict.code, 'admit');
  assert.equal(door.inside, 1);
  door.setDirection('out');
  clock.now += 60_000;
  const out = await door.scan(server.token(0));
  assert.equal(out?.verdict.code, 'exit');
  assert.equal(out?.scan.direction, 'out');
  assert.equal(out?.scan.admitted, false);
  assert.equal(door.inside, 0);
  door.setDirection('in');
  clock.now += 60_000;
  assert.equal((await door.scan(server.token(0)))?.verdict.code, 'admit');
  assert.equal(door.inside, 1);
  assert.equal(door.admitted, 2);
  const [[tier, count]] = [...door.insideByTier];
  assert.equal(count, 1);
  assert.equal(tierBreakdown(door.insideByTier), `(${tier} 1)`);
  door.setDirection('out');
  clock.now += 60_000;
  await door.scan(server.token(0));
  assert.deepEqual([...door.insideByTier], []);
  assert.equal(tierBreakdown(door.insideByTier), '');
});

test('"inside now" per tier reads by tier name, a tier not yet known last as "other"', () => {
  const byTier = new Map([['VIP', 4], ['', 2], ['General', 8]]);
  assert.equal(tierBreakdown(byTier), '(General 8 · VIP 4 · other 2)');
});

test('switching the toggle is a new reading: the pass just let in can be scanned out at once', async () => {
  const server = new FakeServer();
  server.saveList(FLOOR);
  const { door } = await pairedDoor(server, 'Floor', { now: T, link: ON_FLOOR });
  await door.scan(server.token(1));
  assert.equal(await door.scan(server.token(1)), null, 'the same code within two seconds is ignored');
  door.setDirection('out');
  assert.equal((await door.scan(server.token(1)))?.verdict.code, 'exit');
  assert.equal(door.inside, 0);
});

test('a re-entry after an exit on another phone, neither knowing of the other, is no double admission', async () => {
  const server = new FakeServer();
  server.saveList(FLOOR);
  const a = await pairedDoor(server, 'Gate A', { now: T, link: ON_FLOOR });
  const b = await pairedDoor(server, 'Gate B', { now: T + 60_000, link: ON_FLOOR });
  // Both phones offline: A lets the pass in; B, not knowing, lets it out and back in.
  assert.equal((await a.door.scan(server.token(0)))?.verdict.code, 'admit');
  b.door.setDirection('out');
  assert.equal((await b.door.scan(server.token(0)))?.verdict.code, 'not_inside');
  b.door.setDirection('in');
  b.clock.now += 60_000;
  assert.equal((await b.door.scan(server.token(0)))?.verdict.code, 'admit');
  assert.equal(b.door.inside, 1);

  assert.deepEqual(await sync(a.door, server), []);
  assert.deepEqual(await sync(b.door, server), []);
  assert.deepEqual(await sync(a.door, server), [], 'the re-entry is a new stay, not a second admission');
  assert.equal(a.door.alerts.length, 0);
  assert.equal(a.door.inside, 1);
  assert.equal(b.door.inside, 1);
  assert.deepEqual(insideCounts(server.state), [{ list: 'floor', tier: 'General', inside: 1 }]);
});

test('two admissions with no exit between them still alert both phones, naming this door\u2019s side', async () => {
  const server = new FakeServer();
  server.saveList(FLOOR);
  const a = await pairedDoor(server, 'Gate A', { now: T, link: ON_FLOOR });
  const b = await pairedDoor(server, 'Gate B', { now: T + 60_000, link: ON_FLOOR });
  await a.door.scan(server.token(0));
  await b.door.scan(server.token(0));
  await sync(a.door, server);
  const [atB] = await sync(b.door, server);
  const [atA] = await sync(a.door, server);
  assert.deepEqual(atA.here, { door: 'Gate A', scanned_at: T });
  assert.equal(atA.door, 'Gate B');
  assert.deepEqual(atB.here, { door: 'Gate B', scanned_at: T + 60_000 });
  assert.equal(atB.door, 'Gate A');
  assert.equal(a.door.inside, 1, 'one pass inside, however many admissions');
});

test('"admit anyway" at this door, and an override made knowing, raise no alert', async () => {
  const server = new FakeServer();
  const a = await pairedDoor(server, 'Gate A', { now: T });
  const b = await pairedDoor(server, 'Gate B', { now: T + 60_000 });
  await a.door.scan(server.token(0));
  await sync(a.door, server);
  await sync(b.door, server);
  const amber = await b.door.scan(server.token(0));
  assert.equal(amber?.verdict.code, 'already_scanned');
  await b.door.admitAnyway(/** @type {any} */ (amber).verdict);
  assert.deepEqual(await sync(b.door, server), []);
  assert.deepEqual(await sync(a.door, server), []);
});

test('"inside now" comes back the same after a reload', async () => {
  const server = new FakeServer();
  server.saveList(FLOOR);
  const { door, store, clock } = await pairedDoor(server, 'Floor', { now: T, link: ON_FLOOR });
  await door.scan(server.token(0));
  await door.scan(server.token(1));
  door.setDirection('out');
  await door.scan(server.token(0));
  assert.equal(door.inside, 1);
  const reloaded = new Door({ store, clock: () => clock.now });
  await reloaded.load();
  assert.equal(reloaded.inside, 1);
  assert.equal(reloaded.direction, 'in', 'the toggle is the page\u2019s (kept in the phone settings)');
});

test('the phone keeps its In/Out choice; anything else reads as "in"', () => {
  assert.equal(settingsFrom({ direction: 'out' }).direction, 'out');
  assert.equal(settingsFrom({ direction: 'sideways' }).direction, 'in');
  assert.equal(settingsFrom(null).direction, 'in');
});
