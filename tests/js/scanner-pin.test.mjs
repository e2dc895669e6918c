// @ts-check
/**
 * The optional PIN that locks the scanner's settings and unpairing (pwa/scanner/pin.js), the
 * warning before unpairing (settings-panel.js), and what unpairing keeps (pwa/lib/door.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { MAX_TRIES, PinLock, WAIT_MS, hashPin, pinMatches, pinProblem } from '../../pwa/scanner/pin.js';
import { unpairWarning } from '../../pwa/scanner/settings-panel.js';
import { PhoneSettings, SETTINGS_KEY } from '../../pwa/scanner/settings.js';
import { FakeServer, MemoryStorage, MemoryStore } from './scanner-fakes.mjs';

/** A phone's lock with a fast hash (the real one takes 100,000 rounds) and its own clock. */
function phoneLock(storage = new MemoryStorage()) {
  const clock = { now: 1750000000000 };
  const lock = new PinLock({ settings: new PhoneSettings(storage), clock: () => clock.now, iterations: 1000 });
  return { lock, clock, storage };
}

test('takes a PIN of 4 to 6 digits and nothing else', () => {
  for (const pin of ['1234', '12345', '123456', '0000']) assert.equal(pinProblem(pin), null, pin);
  for (const pin of ['', '123', '1234567', '12a4', '12 34', '١٢٣٤']) assert.equal(pinProblem(pin), 'A PIN is 4 to 6 digits.', pin);
});

test('keeps the PIN salted and hashed, never the digits, and a new salt each time', async () => {
  const one = await hashPin('2468', { iterations: 1000 });
  const two = await hashPin('2468', { iterations: 1000 });
  assert.notEqual(one.salt, two.salt);
  assert.notEqual(one.hash, two.hash);
  assert.ok(await pinMatches('2468', one));
  assert.ok(await pinMatches('2468', two));
  assert.equal(await pinMatches('2469', one), false);
  assert.equal(await pinMatches('24680', one), false);
  const { lock, storage } = phoneLock();
  assert.deepEqual(await lock.set('2468', '2468'), { ok: true });
  const kept = /** @type {string} */ (storage.getItem(SETTINGS_KEY));
  assert.doesNotMatch(kept, /2468/);
  assert.equal(JSON.parse(kept).pin.iterations, 1000);
});

test('unlocks with the right PIN, says "Wrong PIN." to a wrong one, and anything unlocks with no PIN', async () => {
  const { lock } = phoneLock();
  assert.equal(lock.enabled, false);
  assert.deepEqual(await lock.check(''), { ok: true });
  assert.deepEqual(await lock.set('1234', '1243'), { ok: false, problem: 'The two PINs differ.' });
  assert.deepEqual(await lock.set('12', '12'), { ok: false, problem: 'A PIN is 4 to 6 digits.' });
  assert.equal(lock.enabled, false);
  await lock.set('5150', '5150');
  assert.equal(lock.enabled, true);
  assert.deepEqual(await lock.check('5151'), { ok: false, problem: 'Wrong PIN.' });
  assert.deepEqual(await lock.check('5150'), { ok: true });
  lock.remove();
  assert.equal(lock.enabled, false);
  assert.deepEqual(await lock.check('0000'), { ok: true });
});

test('makes the next try wait a minute after five wrong PINs, even across a reload', async () => {
  const { lock, clock, storage } = phoneLock();
  await lock.set('7777', '7777');
  for (let i = 1; i < MAX_TRIES; i++) assert.equal((await lock.check('0000')).ok, false);
  assert.match(/** @type {any} */ (await lock.check('0000')).problem, /^Wrong PIN\. Too many wrong PINs: wait 60 s\.$/);
  const reloaded = new PinLock({ settings: new PhoneSettings(storage), clock: () => clock.now, iterations: 1000 });
  clock.now += 15_000;
  assert.deepEqual(await reloaded.check('7777'), { ok: false, problem: 'Too many wrong PINs. Try again in 45 s.' }, 'even the right PIN waits');
  clock.now += WAIT_MS - 15_000;
  assert.deepEqual(await reloaded.check('7777'), { ok: true });
  assert.equal((await reloaded.check('0000')).ok, false);
  assert.deepEqual(await reloaded.check('7777'), { ok: true }, 'a right PIN clears the count');
});

test('warns before unpairing, louder when scans were never uploaded', () => {
  assert.equal(
    unpairWarning({ door: 'Gate A', event: 'Full Moon', pending: 0 }),
    'Unpair this phone from "Gate A"? It forgets the pass list and stops syncing. Every scan has been uploaded.',
  );
  assert.match(unpairWarning({ door: 'Gate A', event: 'Full Moon', pending: 2 }), /2 scans have not been uploaded yet: they stay on this phone/);
  assert.match(unpairWarning({ door: 'Gate A', event: 'Full Moon', pending: 1 }), /1 scan has not been uploaded/);
});

test('unpairing forgets the pairing and the pass list but keeps unsent scans on the phone', async () => {
  const server = new FakeServer();
  const store = new MemoryStore();
  const door = new Door({ store, clock: () => 1750000000000 });
  const paired = await server.pair({ code: 'x'.repeat(16), name: 'Gate A' });
  await door.pair(paired.data);
  await door.bootstrap((await server.bootstrap(paired.data.token)).data);
  await door.scan(server.token(0));
  await door.unpair();
  assert.equal(door.identity, null);
  assert.equal(door.ready, false);
  assert.deepEqual(door.outbox, []);
  assert.equal(door.admitted, 0);
  assert.deepEqual(store.archive.map((s) => [s.device, s.seq]), [[paired.data.device_id, 1]]);
  const reloaded = new Door({ store });
  await reloaded.load();
  assert.equal(reloaded.identity, null, 'still unpaired after a reload');
});
