// @ts-check
/**
 * Finding a guest without their code on a "scan and search" phone: the guest list kept with its
 * erase time and erased when it must be (pwa/lib/guest-list.js), a check-in from a result
 * recorded as a scan with `source: "search"` (pwa/lib/door.js), and the words of the search
 * (pwa/scanner/search.js, format.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { ERASED, GuestList, REFRESH_MS } from '../../pwa/lib/guest-list.js';
import { ApiError } from '../../pwa/lib/sync-client.js';
import { doubleAdmissionText } from '../../pwa/scanner/format.js';
import { guestStatus, searchNote } from '../../pwa/scanner/search.js';
import { FakeServer, MemoryStore } from './scanner-fakes.mjs';

const T = Date.UTC(2026, 6, 4, 23, 34);
const DAY = 24 * 60 * 60 * 1000;

class MemoryGuestStore {
  constructor() {
    /** @type {any} */
    this.record = undefined;
  }

  async get() {
    return structuredClone(this.record);
  }

  /** @param {any} record */
  async put(record) {
    this.record = structuredClone(record);
  }

  async clear() {
    this.record = undefined;
  }
}

/** @param {string[]} passIds */
const answer = (passIds, eraseAt = T + DAY) => async () => ({
  data: {
    guests: passIds.map((id, i) => /** @type {[string, string, string, string]} */ (
      [id, i === 0 ? 'Noé Martin' : `Guest ${i}`, `guest${i}@example.com`, `ORDER${i}`])),
    erase_at: eraseAt,
    server_time: T,
  },
});

test('keeps the downloaded list with its erase time, finds a guest by name and names a pass', async () => {
  const store = new MemoryGuestStore();
  const list = new GuestList({ store });
  assert.equal(list.due(T), true, 'a phone with no list asks at once');
  await list.refresh({ fetchGuests: answer(['P1', 'P2']), device: 'd1', now: T });
  assert.equal(list.size, 2);
  assert.deepEqual(list.index?.search('noe').map((g) => g[0]), ['P1']);
  assert.equal(list.nameOf('P1'), 'Noé Martin');
  assert.equal(list.nameOf('P9'), null);
  assert.equal(list.due(T + REFRESH_MS - 1), false, 'at most every few minutes');
  assert.equal(list.due(T + REFRESH_MS), true);

  const reloaded = new GuestList({ store });
  await reloaded.load({ device: 'd1', now: T + 1000 });
  assert.equal(reloaded.nameOf('P2'), 'Guest 1');
  assert.equal(reloaded.due(T + 1000), false, 'a fresh list is not fetched again after a reload');
});

test('erases the names once their time has passed: at load, and on the timer', async () => {
  const store = new MemoryGuestStore();
  const list = new GuestList({ store });
  await list.refresh({ fetchGuests: answer(['P1'], T + DAY), device: 'd1', now: T });
  assert.equal(await list.expireIfDue(T + DAY - 1), false);
  assert.equal(await list.expireIfDue(T + DAY), true);
  assert.equal(list.size, 0);
  assert.equal(store.record, undefined);
  assert.equal(searchNote({ size: 0, refused: list.refused, query: '', found: 0 }), ERASED);

  await list.refresh({ fetchGuests: answer(['P1'], T + DAY), device: 'd1', now: T });
  const late = new GuestList({ store });
  await late.load({ device: 'd1', now: T + DAY });
  assert.equal(late.size, 0);
  assert.equal(store.record, undefined);
});

test('a list kept by another pairing of the phone is erased, not shown', async () => {
  const store = new MemoryGuestStore();
  await new GuestList({ store }).refresh({ fetchGuests: answer(['P1']), device: 'old', now: T });
  const list = new GuestList({ store });
  await list.load({ device: 'new', now: T });
  assert.equal(list.size, 0);
  assert.equal(store.record, undefined);
});

test('a 403 (scan only, or after the event) erases the names and says why; other failures keep them', async () => {
  const store = new MemoryGuestStore();
  const list = new GuestList({ store });
  await list.refresh({ fetchGuests: answer(['P1']), device: 'd1', now: T });
  const offline = async () => {
    throw new TypeError('Failed to fetch');
  };
  await assert.rejects(list.refresh({ fetchGuests: offline, device: 'd1', now: T + REFRESH_MS }), TypeError);
  assert.equal(list.size, 1);
  assert.equal(list.due(T + REFRESH_MS + 1), false, 'a failed request waits its turn too');
  const refused = async () => {
    throw new ApiError(403, 'Guest names are erased from door phones 24 hours after the event ends.');
  };
  await list.refresh({ fetchGuests: refused, device: 'd1', now: T + 2 * REFRESH_MS });
  assert.equal(list.size, 0);
  assert.equal(store.record, undefined);
  assert.equal(list.refused, 'Guest names are erased from door phones 24 hours after the event ends.');
  assert.equal(searchNote({ size: 0, refused: list.refused, query: '', found: 0 }), list.refused);
});

test('a check-in from a search result is the verdict of a scan, recorded with source "search"', async () => {
  const server = new FakeServer();
  const store = new MemoryStore();
  const door = new Door({ store, clock: () => T });
  const paired = await server.pair({ code: 'x'.repeat(16), name: 'Gate A' }, { maySearch: true });
  await door.pair(paired.data);
  await door.bootstrap((await server.bootstrap(paired.data.token)).data);
  const passId = server.passId(0);
  assert.deepEqual(door.passInfo(passId), { tier: 'General', status: 'valid', inside: false });
  const found = await door.checkIn(passId);
  assert.equal(found.verdict.code, 'admit');
  assert.equal(found.scan.source, 'search');
  assert.equal(found.scan.admitted, true);
  assert.deepEqual(door.passInfo(passId), { tier: 'General', status: 'valid', inside: true });
  assert.equal(door.inside, 1);
  // The camera reading the same pass right after is the same guest: not a second verdict.
  assert.equal(await door.scan(server.token(0)), null);
  const again = await door.checkIn(passId);
  assert.equal(again.verdict.code, 'already_scanned');
  const anyway = await door.admitAnyway(again.verdict, { source: 'search' });
  assert.equal(anyway.scan.source, 'search');
  assert.deepEqual([...store.outbox.values()].map((s) => s.source), ['search', 'search', 'search']);

  server.voidPass(1);
  assert.equal((await door.checkIn(server.passId(1))).verdict.code, 'admit', 'void only once the change arrives');
});

test('a result shows void before inside, inside before valid', () => {
  assert.deepEqual(guestStatus({ tier: 'VIP', status: 'void', inside: true }), { key: 'void', words: 'Void — do not admit' });
  assert.deepEqual(guestStatus({ tier: 'VIP', status: 'valid', inside: true }), { key: 'inside', words: 'Inside' });
  assert.deepEqual(guestStatus({ tier: 'VIP', status: 'valid', inside: false }), { key: 'valid', words: 'Valid' });
  assert.deepEqual(guestStatus({ tier: null, status: null, inside: false }), { key: 'unknown', words: 'Not in the pass list yet' });
  assert.equal(searchNote({ size: 3, refused: null, query: ' ', found: 0 }), '3 guests on this phone. Type a name, email or order reference.');
  assert.equal(searchNote({ size: 3, refused: null, query: 'zz', found: 0 }), 'No guest matches.');
});

test('the double-admission alert names the holder where the phone may see names', () => {
  const alert = { pass_id: 'MFRGG', door: 'Gate B', scanned_at: T + 60_000, here: { door: 'Gate A', scanned_at: T } };
  assert.equal(
    doubleAdmissionText(alert, 'America/New_York', 'Noé Martin'),
    'Double admission: pass MFRGG (Noé Martin) — Gate A 7:34 PM and Gate B 7:35 PM',
  );
});
