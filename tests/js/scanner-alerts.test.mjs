// @ts-check
/**
 * The double-admission alert on a door phone: it names the pass by its reference (the pass id
 * the dashboard shows) and both doors with their times (pwa/lib/door.js, pwa/scanner/format.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Door } from '../../pwa/lib/door.js';
import { syncOnce } from '../../pwa/lib/sync-client.js';
import { doubleAdmissionText } from '../../pwa/scanner/format.js';
import { FakeServer, pairedDoor } from './scanner-fakes.mjs';

const T = Date.UTC(2026, 6, 4, 23, 34); // 7:34 PM in New York

test('words the alert with the pass reference and both doors, earlier first', () => {
  const alert = { pass_id: 'MFRGGZDFMZTWQ2LKNN', door: 'Gate B', scanned_at: T + 60_000, here: { door: 'Gate A', scanned_at: T } };
  assert.equal(doubleAdmissionText(alert, 'America/New_York'), 'Double admission: pass MFRGGZDFMZTWQ2LKNN — Gate A 7:34 PM and Gate B 7:35 PM');
  const earlierElsewhere = { ...alert, scanned_at: T - 60_000 };
  assert.equal(doubleAdmissionText(earlierElsewhere, 'America/New_York'), 'Double admission: pass MFRGGZDFMZTWQ2LKNN — Gate B 7:33 PM and Gate A 7:34 PM');
  const { here: _, ...alone } = alert;
  assert.equal(doubleAdmissionText(alone, 'America/New_York'), 'Double admission: pass MFRGGZDFMZTWQ2LKNN — also Gate B 7:35 PM');
});

test('two doors offline admit one pass: after sync each phone names the pass and both doors with their times', async () => {
  const server = new FakeServer();
  const a = await pairedDoor(server, 'Gate A', { now: T });
  const b = await pairedDoor(server, 'Gate B', { now: T + 60_000 });
  const admittedA = await a.door.scan(server.token(0));
  assert.equal((await b.door.scan(server.token(0)))?.verdict.code, 'admit');
  const passId = /** @type {string} */ (admittedA?.scan.pass_id);
  await syncOnce({ door: a.door, api: /** @type {any} */ (server) });
  const [atB] = (await syncOnce({ door: b.door, api: /** @type {any} */ (server) })).alerts;
  const [atA] = (await syncOnce({ door: a.door, api: /** @type {any} */ (server) })).alerts;
  const expected = `Double admission: pass ${passId} — Gate A 7:34 PM and Gate B 7:35 PM`;
  assert.equal(doubleAdmissionText(atA, 'America/New_York'), expected);
  assert.equal(doubleAdmissionText(atB, 'America/New_York'), expected);
  assert.deepEqual(atA.here, { door: 'Gate A', scanned_at: T });

  // Kept on the phone, and an alert an older version kept without this door's side gets it back.
  const { here: _, ...old } = atA;
  a.store.alerts.set(old.id, old);
  const reloaded = new Door({ store: a.store, clock: () => a.clock.now });
  await reloaded.load();
  assert.equal(doubleAdmissionText(reloaded.alerts[0], 'America/New_York'), expected);
});
