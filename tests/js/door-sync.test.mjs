// @ts-check
/**
 * Door phones through pwa/lib/door.js and pwa/lib/sync-client.js, against a fake server that
 * runs sync-core's rules: what the door shows, what it keeps, what it uploads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { ApiError, PUSH_LIMIT, SyncLoop, backoffDelay, syncOnce } from '../../pwa/lib/sync-client.js';
import { FakeServer, pairedDoor } from './scanner-fakes.mjs';

test('admits a cached pass, then calls the same pass already scanned at this door', async () => {
  const server = new FakeServer();
  const { door, clock } = await pairedDoor(server, 'Gate A');
  const first = await door.scan(server.token(0));
  assert.equal(first?.verdict.code, 'admit');
  assert.equal(first?.verdict.tier, 'General');
  clock.now += 5000;
  const again = await door.scan(server.token(0));
  assert.equal(again?.verdict.code, 'already_scanned');
  assert.equal(again?.verdict.door, 'Gate A');
  assert.equal(again?.verdict.at, 1750000000000);
  assert.deepEqual(door.outbox.map((s) => [s.seq, s.admitted]), [[1, true], [2, false]]);
});

test('ignores the same code read again within two seconds and records nothing', async () => {
  const server = new FakeServer();
  const { door, store, clock } = await pairedDoor(server, 'Gate A');
  assert.equal((await door.scan(server.token(1)))?.verdict.code, 'admit');
  clock.now += 1999;
  assert.equal(await door.scan(server.token(1)), null);
  assert.equal((await door.scan('garbage'))?.verdict.code, 'invalid');
  assert.equal(await door.scan(' garbage '), null, 'a bad code repeated is ignored too');
  assert.equal(store.outbox.size, 2);
});

test('shows red for a refunded pass, a forged code and another event, and green with a note for a pass sold after bootstrap', async () => {
  const server = new FakeServer();
  const { door } = await pairedDoor(server, 'Gate A');
  server.voidPass(2, 'refunded');
  const late = server.issue(1);
  const forged = server.token(0).slice(0, 20) + (server.token(0)[20] === 'A' ? 'B' : 'A') + server.token(0).slice(21);
  assert.equal((await door.scan(server.token(late)))?.verdict.code, 'not_in_cache');
  assert.equal((await door.scan(forged))?.verdict.code, 'invalid');
  assert.equal((await door.scan(server.token(0, 7)))?.verdict.code, 'wrong_event');
  const bad = await door.scan('https://example.com/not-a-pass');
  assert.equal(bad?.verdict.code, 'invalid');
  assert.equal(bad?.scan.pass_id, null);
  assert.equal(bad?.scan.code, 'https://example.com/not-a-pass');
  await syncOnce({ door, api: /** @type {any} */ (server) });
  const refunded = await door.scan(server.token(2));
  assert.equal(refunded?.verdict.code, 'void');
  assert.equal(refunded?.verdict.reason, 'refunded');
  assert.equal(door.passCount, 4);
});

test('keeps every scan while the server is unreachable and uploads them in seq order later', async () => {
  const server = new FakeServer({ passes: 1200 });
  const { door, store, clock } = await pairedDoor(server, 'Gate A');
  server.offline = true;
  for (let i = 0; i < 1100; i++) {
    clock.now += 10;
    await door.scan(server.token(i));
  }
  await assert.rejects(syncOnce({ door, api: /** @type {any} */ (server) }), /Failed to fetch/);
  assert.equal(door.outbox.length, 1100);
  server.offline = false;
  await syncOnce({ door, api: /** @type {any} */ (server) });
  assert.equal(door.outbox.length, 0);
  assert.equal(store.outbox.size, 0);
  assert.deepEqual(server.pushes.map((p) => [p.scans.length, p.pending]), [[PUSH_LIMIT, 100], [100, 0]]);
  assert.equal(server.pushes[1].scans[0].seq, 1001);
  assert.ok(door.meta.last_sync !== undefined);
});

test('tells both doors after sync that a pass they admitted offline was also admitted at the other', async () => {
  const server = new FakeServer();
  const a = await pairedDoor(server, 'Gate A');
  const b = await pairedDoor(server, 'Gate B');
  b.clock.now += 60000;
  assert.equal((await a.door.scan(server.token(0)))?.verdict.code, 'admit');
  assert.equal((await b.door.scan(server.token(0)))?.verdict.code, 'admit');
  await syncOnce({ door: a.door, api: /** @type {any} */ (server) });
  const synced = await syncOnce({ door: b.door, api: /** @type {any} */ (server) });
  assert.deepEqual(synced.alerts.map((x) => [x.door, x.scanned_at]), [['Gate A', 1750000000000]]);
  const back = await syncOnce({ door: a.door, api: /** @type {any} */ (server) });
  assert.deepEqual(back.alerts.map((x) => [x.door, x.scanned_at]), [['Gate B', 1750000060000]]);
  assert.deepEqual((await syncOnce({ door: a.door, api: /** @type {any} */ (server) })).alerts, []);
  b.clock.now += 5000;
  assert.equal((await b.door.scan(server.token(0)))?.verdict.code, 'already_scanned');
});

test('comes back after a reload with the same passes, scans, outbox, seq and alerts', async () => {
  const server = new FakeServer({ passes: 20 });
  const { door, store, clock } = await pairedDoor(server, 'Gate A');
  await door.scan(server.token(3));
  clock.now += 3000;
  await door.scan(server.token(4));
  const reloaded = new Door({ store, clock: () => clock.now });
  await reloaded.load();
  assert.ok(reloaded.ready);
  assert.equal(reloaded.passCount, 20);
  assert.deepEqual(reloaded.outbox.map((s) => s.seq), [1, 2]);
  clock.now += 3000;
  const again = await reloaded.scan(server.token(3));
  assert.equal(again?.verdict.code, 'already_scanned');
  assert.equal(again?.scan.seq, 3);
  assert.equal(store.meta.seq, 3);
});

test('admit anyway records a new admitted scan after an amber verdict', async () => {
  const server = new FakeServer();
  const { door, clock } = await pairedDoor(server, 'Gate A');
  await door.scan(server.token(0));
  clock.now += 4000;
  const amber = await door.scan(server.token(0));
  assert.equal(amber?.verdict.code, 'already_scanned');
  const anyway = await door.admitAnyway(/** @type {any} */ (amber).verdict);
  assert.deepEqual([anyway.scan.seq, anyway.scan.verdict, anyway.scan.admitted], [3, 'already_scanned', true]);
});

test('still shows a verdict when the disk refuses the write, and saves it on the next sync', async () => {
  const server = new FakeServer();
  const { door, store } = await pairedDoor(server, 'Gate A');
  store.failWrites = true;
  const shown = await door.scan(server.token(0));
  assert.equal(shown?.saved, false);
  store.failWrites = false;
  await syncOnce({ door, api: /** @type {any} */ (server) });
  assert.equal(store.scans.size, 1);
  assert.equal(door.outbox.length, 0);
});

test('backs off exponentially from one second to a sixty-second cap', () => {
  const top = (/** @type {number} */ n) => backoffDelay(n, { random: () => 1 });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 20].map(top), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.equal(backoffDelay(3, { random: () => 0 }), 2000);
});

/** Timers a test can fire by hand. */
function manualTimers() {
  /** @type {Array<{fn: () => void, ms: number}|null>} */
  const pending = [];
  return {
    pending,
    set: (/** @type {() => void} */ fn, /** @type {number} */ ms) => pending.push({ fn, ms }) - 1,
    clear: (/** @type {any} */ id) => {
      pending[id] = null;
    },
    /** The delay of the one live timer. */
    next() {
      const live = pending.filter((t) => t !== null);
      assert.equal(live.length, 1);
      return /** @type {{fn: () => void, ms: number}} */ (live[0]);
    },
  };
}

test('the sync loop retries with growing delays and runs every five seconds once healthy', async () => {
  const timers = manualTimers();
  let fail = true;
  let rounds = 0;
  const loop = new SyncLoop({
    round: async () => {
      rounds += 1;
      if (fail) throw new TypeError('Failed to fetch');
    },
    backoff: (n) => n * 1000,
    timers,
  });
  loop.start();
  await new Promise((r) => setImmediate(r));
  assert.equal(timers.next().ms, 1000);
  assert.equal(await loop.trigger(), false, 'a scan does not cut a backoff short');
  timers.next().fn();
  await new Promise((r) => setImmediate(r));
  assert.equal(timers.next().ms, 2000);
  fail = false;
  assert.equal(await loop.trigger({ now: true }), true);
  assert.equal(timers.next().ms, 5000);
  assert.equal(rounds, 3);
});

test('the sync loop stops for good on 401 and the outbox stays', async () => {
  const server = new FakeServer();
  const { door } = await pairedDoor(server, 'Gate A');
  await door.scan(server.token(0));
  server.revoked.add(door.device);
  // The loop calls onRevoked once the 401 round is over: that call is the sync point.
  /** @type {() => void} */
  let onRevoked = () => {};
  const revoked = new Promise((resolve) => {
    onRevoked = () => resolve(true);
  });
  const timers = manualTimers();
  const loop = new SyncLoop({
    round: () => syncOnce({ door, api: /** @type {any} */ (server) }),
    onRevoked: () => onRevoked(),
    timers,
  });
  loop.start();
  assert.equal(await revoked, true);
  assert.ok(loop.lastError instanceof ApiError);
  assert.equal(timers.pending.filter((t) => t !== null).length, 0);
  assert.equal(await loop.trigger({ now: true }), false);
  assert.equal(door.outbox.length, 1);
});
