// @ts-check
/**
 * A door phone bound to a door list (sync/PROTOCOL.md section 18): the bootstrap's lists and the
 * phone's list id, list changes at the next pull (`lists_after`), verdicts and scans on the list,
 * and the words with their times (pwa/lib/door.js, pwa/lib/sync-client.js, pwa/scanner/format.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { message } from '../../pwa/lib/sync-core.js';
import { syncOnce } from '../../pwa/lib/sync-client.js';
import { verdictText } from '../../pwa/scanner/format.js';
import { FakeServer, pairedDoor } from './scanner-fakes.mjs';

const T = Date.UTC(2026, 6, 4, 22, 0); // 6:00 PM in New York
const ZONE = 'America/New_York';
const VIP = { list_id: 'vip-deck', seq: 1, name: 'VIP deck', tiers: ['VIP'], from: null, until: null, reentry: false };

/** @param {import('../../pwa/lib/sync-core.js').Verdict} shown */
const words = (shown) => verdictText(message(shown), shown, ZONE);

test('a phone bound to the VIP deck turns a General pass away, with the pass tier, and admits a VIP', async () => {
  const server = new FakeServer({ tiers: ['General', 'VIP'] });
  server.saveList(VIP);
  const { door } = await pairedDoor(server, 'Deck stairs', { now: T, link: { list: 'vip-deck' } });
  assert.equal(door.listId, 'vip-deck');
  assert.equal(door.listName, 'VIP deck');
  const general = await door.scan(server.token(0));
  assert.equal(general?.verdict.code, 'wrong_list');
  assert.deepEqual(words(/** @type {any} */ (general).verdict), { title: 'Wrong door — VIP deck only', detail: 'General' });
  assert.equal(general?.scan.list, 'vip-deck');
  assert.equal(general?.scan.admitted, false);
  const vip = await door.scan(server.token(1));
  assert.equal(vip?.verdict.code, 'admit');
  assert.equal(vip?.scan.list, 'vip-deck');
});

test('a phone on the default list shows no list name and writes scans without one', async () => {
  const server = new FakeServer();
  server.saveList(VIP);
  const { door } = await pairedDoor(server, 'Main gate', { now: T });
  assert.equal(door.listId, 'default');
  assert.equal(door.listName, null);
  const shown = await door.scan(server.token(1));
  assert.equal(shown?.verdict.code, 'admit');
  assert.equal('list' in /** @type {any} */ (shown).scan, false);
});

test('a list change reaches the phone at its next pull, is kept across a reload, and says when the door opens', async () => {
  const server = new FakeServer();
  server.saveList(VIP);
  const { door, store, clock } = await pairedDoor(server, 'Deck stairs', { now: T, link: { list: 'vip-deck' } });
  const opens = T + 60 * 60 * 1000; // 7:00 PM
  server.saveList({ ...VIP, seq: 2, name: 'VIP lounge', from: opens });
  await syncOnce({ door, api: /** @type {any} */ (server) });
  assert.equal(server.pulls[0].lists_after, 1, 'the phone names the highest list change it holds');
  assert.equal(door.listName, 'VIP lounge');
  const early = await door.scan(server.token(1));
  assert.deepEqual(words(/** @type {any} */ (early).verdict), { title: 'Not yet — opens 7:00 PM', detail: 'VIP lounge · VIP' });

  const reloaded = new Door({ store, clock: () => clock.now });
  await reloaded.load();
  assert.equal(reloaded.listId, 'vip-deck');
  assert.equal(reloaded.listName, 'VIP lounge');
  clock.now = opens;
  assert.equal((await reloaded.scan(server.token(1)))?.verdict.code, 'admit');
  await syncOnce({ door: reloaded, api: /** @type {any} */ (server) });
  assert.equal(server.pulls.at(-1).lists_after, 2);
});

test('a closed door says since when, in the event zone', async () => {
  const server = new FakeServer();
  server.saveList({ ...VIP, until: T - 60 * 60 * 1000 });
  const { door } = await pairedDoor(server, 'Deck stairs', { now: T, link: { list: 'vip-deck' } });
  const late = await door.scan(server.token(1));
  assert.deepEqual(words(/** @type {any} */ (late).verdict), { title: 'Too late — closed 5:00 PM', detail: 'VIP deck · VIP' });
});

test('a phone the organizer rebinds to another list applies it from its next bootstrap, and forgets the last verdict', async () => {
  const server = new FakeServer();
  server.saveList(VIP);
  const { door, store, clock } = await pairedDoor(server, 'Deck stairs', { now: T, link: { list: 'vip-deck' } });
  assert.equal((await door.scan(server.token(0)))?.verdict.code, 'wrong_list');
  server.deviceLists.set(door.device, 'default');
  await door.bootstrap((await server.bootstrap(/** @type {string} */ (door.identity?.token))).data);
  assert.equal(door.listId, 'default');
  assert.equal(door.listName, null);
  assert.equal((await door.scan(server.token(0)))?.verdict.code, 'admit', 'read again at once: not a repeat');
  const reloaded = new Door({ store, clock: () => clock.now });
  await reloaded.load();
  assert.equal(reloaded.listId, 'default');
});
