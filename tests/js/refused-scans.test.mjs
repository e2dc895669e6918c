// @ts-check
/**
 * Scans the server cannot store (PROTOCOL.md 9.4): the door keeps a note of them, drops them
 * from its outbox, and is not stuck behind them (issue 14 item 8).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { syncOnce } from '../../pwa/lib/sync-client.js';
import { FakeServer, pairedDoor } from './scanner-fakes.mjs';

test('drops the scans the server refused from the outbox after keeping a note of them', async () => {
  const server = new FakeServer();
  const { door, store, clock } = await pairedDoor(server, 'Gate A');
  for (const index of [0, 1, 2]) {
    await door.scan(server.token(index));
    clock.now += 3000;
  }
  server.cannotStore = (scan) => (scan.seq === 1 || scan.seq === 3 ? 'a text in it contains a NUL character' : null);
  const { alerts } = await syncOnce({ door, api: server });
  assert.deepEqual(door.outbox, [], 'nothing left to push: the phone is not stuck');
  assert.equal(store.outbox.size, 0);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0].kind, 'refused');
  assert.equal(alerts[0].text, '2 scans could not be stored: a text in it contains a NUL character');
  // The note is kept with the other alerts, on disk too, and survives a reload.
  assert.deepEqual([...store.alerts.values()].map((a) => a.text), [alerts[0].text]);
  const reloaded = new Door({ store, clock: () => clock.now });
  await reloaded.load();
  assert.equal(reloaded.alerts[0].text, alerts[0].text);
  // The next scans go through as usual; the server holds a gap-free run 1..4.
  server.cannotStore = () => null;
  await door.scan(server.token(0));
  await syncOnce({ door, api: server });
  assert.deepEqual(door.outbox, []);
  assert.deepEqual(Object.keys(server.state.scans[door.device]), ['1', '2', '3', '4']);
});

test('a batch sent again after a lost answer adds no second note', async () => {
  const server = new FakeServer();
  const { door } = await pairedDoor(server, 'Gate A');
  await door.scan(server.token(0));
  server.cannotStore = () => 'its verdict is longer than 20 characters';
  const refused = [{ seq: 1, code: 'verdict_too_long', reason: 'its verdict is longer than 20 characters' }];
  const first = await door.noteRefused(refused);
  assert.equal(first[0].text, '1 scan could not be stored: its verdict is longer than 20 characters');
  assert.deepEqual(await door.noteRefused(refused), []);
  await syncOnce({ door, api: server });
  assert.equal(door.alerts.filter((a) => a.kind === 'refused').length, 1);
  assert.deepEqual(door.outbox, []);
});
