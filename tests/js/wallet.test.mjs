// @ts-check
/**
 * The buyer's wallet: reading saved records (including damaged ones), merging what the server
 * says, grouping by event with past events apart, the words for void and vanished passes, and
 * the offline shell (every module the page loads is precached).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  arrange,
  eventWhen,
  fromWire,
  markedMissing,
  merged,
  passState,
  readRecord,
  readingNotes,
} from '../../pwa/wallet/model.js';
import { PRECACHE, ROOT, modulesFrom, urlOf } from './precache.mjs';

const HOUR = 3600_000;
const NOW = Date.UTC(2026, 6, 1, 12, 0);
const TOKEN_A = 'A'.repeat(64) + '2'.repeat(64);
const TOKEN_B = 'B'.repeat(64) + '3'.repeat(64);

/**
 * An order as the server sends it.
 * @param {{id?: string, event?: string, organizer?: string, startsIn?: number, passes?: any[],
 *   status?: string, zone?: string}} [o]
 */
function wire(o = {}) {
  const starts = NOW + (o.startsIn ?? 48) * HOUR;
  return {
    public_id: o.id ?? 'order-aaaaaaaaaaaaaaaa',
    status: o.status ?? 'paid',
    event: {
      id: `ev-${o.event ?? 'full-moon'}`,
      name: o.event ?? 'Full Moon',
      venue: 'Pier 3',
      starts_at: new Date(starts).toISOString(),
      ends_at: new Date(starts + 4 * HOUR).toISOString(),
      timezone: o.zone ?? 'Pacific/Honolulu',
      organizer: o.organizer ?? 'Reef Bar',
    },
    passes: o.passes ?? [{ id: 'p1', tier: 'General', status: 'valid', void_reason: null, token: TOKEN_A }],
  };
}

test('an order from the server reads back unchanged after a round trip through storage', () => {
  const saved = fromWire(wire(), NOW);
  const read = readRecord(saved.public_id, structuredClone(saved));
  assert.ok(read.ok);
  assert.deepEqual(read.order, saved);
  assert.deepEqual(read.problems, []);
  assert.equal(saved.event.starts_at, NOW + 48 * HOUR);
  assert.equal(saved.passes[0].token, TOKEN_A);
});

test('a damaged record is reported by its key and the others still read', () => {
  const good = fromWire(wire(), NOW);
  const results = [
    readRecord('k1', 'garbage'),
    readRecord('k2', null),
    readRecord('k3', { public_id: 'short', passes: [] }),
    readRecord('k4', { public_id: 'order-bbbbbbbbbbbbbbbb', event: { name: 'X' } }),
    readRecord('k5', [1, 2, 3]),
    readRecord(good.public_id, good),
  ];
  assert.deepEqual(results.map((r) => r.ok), [false, false, false, false, false, true]);
  assert.equal(results[0].key, 'k1');
  const notes = readingNotes(results);
  assert.match(notes[0], /^5 saved items on this phone could not be read and are not shown\./);
  assert.equal(arrange(results.flatMap((r) => (r.ok ? [r.order] : [])), NOW).upcoming.length, 1);
});

test('passes that cannot be shown are left out and counted, the rest of the order stays', () => {
  const record = {
    ...fromWire(wire(), NOW),
    passes: [
      { id: 'ok', tier: 'General', status: 'valid', token: TOKEN_A },
      { id: 'no-token', tier: 'General', status: 'valid', token: null },
      { id: 'lowercase', tier: 'General', status: 'valid', token: 'not a qr text <script>' },
      { id: 'weird', status: 'maybe', token: TOKEN_B },
      'junk',
      { id: 'gone', tier: 'VIP', status: 'void', void_reason: 'refunded', token: null },
    ],
  };
  const read = readRecord('k', record);
  assert.ok(read.ok);
  assert.deepEqual(read.order.passes.map((p) => p.id), ['ok', 'gone']);
  assert.deepEqual(read.problems, ['4 passes of Full Moon could not be read and are not shown.']);
});

test('passes whose event details are damaged are still shown, under an honest heading', () => {
  const record = { ...fromWire(wire(), NOW), event: { name: 42 } };
  const read = readRecord('k', record);
  assert.ok(read.ok);
  assert.equal(read.order.event.name, 'Event details unreadable');
  assert.match(read.problems[0], /event details of one saved order could not be read/);
  const { upcoming, past } = arrange([read.order, fromWire(wire({ id: 'order-cccccccccccccccc' }), NOW)], NOW);
  assert.deepEqual(upcoming.map((g) => g.event.name), ['Full Moon', 'Event details unreadable']);
  assert.equal(past.length, 0);
});

test('groups passes by event across orders and organizers, soonest first, ended events apart', () => {
  const orders = [
    fromWire(wire({ id: 'order-1111111111111111', event: 'Later', organizer: 'Lodge', startsIn: 24 * 30 }), NOW),
    fromWire(wire({ id: 'order-2222222222222222', event: 'Soon', organizer: 'Reef Bar', startsIn: 5 }), NOW),
    fromWire(wire({ id: 'order-3333333333333333', event: 'Soon', organizer: 'Reef Bar', startsIn: 5,
      passes: [{ id: 'p9', tier: 'VIP', status: 'valid', void_reason: null, token: TOKEN_B }] }), NOW + 1),
    fromWire(wire({ id: 'order-4444444444444444', event: 'Last week', startsIn: -24 * 7 }), NOW),
    fromWire(wire({ id: 'order-5555555555555555', event: 'Last month', startsIn: -24 * 30 }), NOW),
    fromWire(wire({ id: 'order-6666666666666666', event: 'Tonight, started', startsIn: -2 }), NOW),
  ];
  const { upcoming, past } = arrange(orders, NOW);
  assert.deepEqual(upcoming.map((g) => g.event.name), ['Tonight, started', 'Soon', 'Later']);
  assert.deepEqual(past.map((g) => g.event.name), ['Last week', 'Last month']);
  const soon = upcoming[1];
  assert.deepEqual(soon.items.map((i) => i.pass.id), ['p1', 'p9'], 'both orders of the event, in the order saved');
  assert.deepEqual(upcoming.map((g) => g.event.organizer), ['Reef Bar', 'Reef Bar', 'Lodge']);
});

test('a refund seen on refresh turns the pass void, in the door’s words', () => {
  const saved = fromWire(wire(), NOW);
  const fresh = fromWire(wire({ status: 'refunded', passes: [{ id: 'p1', tier: 'General', status: 'void', void_reason: 'refunded', token: null }] }), NOW + HOUR);
  const after = merged(saved, fresh);
  assert.equal(after.status, 'refunded');
  assert.equal(after.saved_at, NOW);
  assert.equal(after.refreshed_at, NOW + HOUR);
  const state = passState(after.passes[0], after);
  assert.equal(state.code, 'void');
  assert.equal(state.badge, 'Void — refunded');
  assert.equal(state.title, 'Refunded — do not admit');
  assert.equal(passState({ ...after.passes[0], void_reason: 'disputed' }, after).title, 'Disputed — do not admit');
  assert.equal(passState({ ...after.passes[0], void_reason: null }, after).badge, 'Void');
});

test('a pass the server no longer lists is kept and marked, not dropped', () => {
  const saved = fromWire(wire({ passes: [
    { id: 'p1', tier: 'General', status: 'valid', void_reason: null, token: TOKEN_A },
    { id: 'p2', tier: 'General', status: 'valid', void_reason: null, token: TOKEN_B },
  ] }), NOW);
  const fresh = fromWire(wire(), NOW + HOUR);
  const after = merged(saved, fresh);
  assert.deepEqual(after.passes.map((p) => [p.id, p.missing]), [['p1', false], ['p2', true]]);
  const state = passState(after.passes[1], after);
  assert.equal(state.code, 'missing');
  assert.match(/** @type {string} */ (state.warning), /no longer part of its order/);
  assert.equal(passState(after.passes[0], after).code, 'valid');
  const read = readRecord(after.public_id, structuredClone(after));
  assert.ok(read.ok && read.order.passes[1].missing, 'the mark survives storage');
});

test('an order that answers 404 is marked as gone, and found again when it comes back', () => {
  const saved = fromWire(wire(), NOW);
  const gone = markedMissing(saved, NOW + HOUR);
  assert.equal(gone.passes.length, 1);
  const state = passState(gone.passes[0], gone);
  assert.equal(state.code, 'missing');
  assert.equal(state.badge, 'No longer exists');
  assert.match(/** @type {string} */ (state.warning), /order no longer exists/);
  const back = merged(gone, fromWire(wire(), NOW + 2 * HOUR));
  assert.equal(back.missing, false);
  assert.equal(passState(back.passes[0], back).code, 'valid');
});

test('refuses to save an answer that is not an order', () => {
  assert.throws(() => fromWire({ detail: 'Not found' }, NOW));
  assert.throws(() => fromWire(wire({ passes: [{ id: 'x', status: 'valid', token: null }] }), NOW));
});

test('shows when an event starts in its own time zone, and survives a zone it does not know', () => {
  const event = fromWire(wire({ startsIn: 0 }), NOW).event;
  assert.equal(eventWhen(event), 'Wed, Jul 1, 2026, 2:00 AM HST');
  assert.equal(eventWhen({ ...event, timezone: 'Not/AZone' }), 'Wed, Jul 1, 2026, 12:00 PM UTC');
  assert.equal(eventWhen({ ...event, starts_at: null }), '');
});

test('the wallet opens offline: its page, manifest, icons and every module it loads are precached', () => {
  assert.ok(PRECACHE.has('/wallet'));
  assert.ok(PRECACHE.has('/wallet/manifest.webmanifest'));
  const modules = modulesFrom(join(ROOT, 'pwa/wallet/app.js'));
  assert.ok(modules.some((m) => m.endsWith('qrcode-generator.js')), 'follows the QR drawer import');
  for (const file of modules) {
    assert.ok(PRECACHE.has(urlOf(file)), `${urlOf(file)} is not precached`);
  }
  const html = readFileSync(join(ROOT, 'pwa/wallet/index.html'), 'utf8');
  for (const [, url] of html.matchAll(/(?:href|src)="(\/[^"]+)"/g)) assert.ok(PRECACHE.has(url), `${url} is not precached`);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script (strict CSP)');
  assert.doesNotMatch(html, /\sstyle=|<style|\son[a-z]+=/i);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'pwa/wallet/manifest.webmanifest'), 'utf8'));
  assert.equal(manifest.display, 'standalone');
  assert.equal(manifest.start_url, '/wallet');
  assert.equal(manifest.scope, '/wallet');
  for (const icon of manifest.icons) assert.ok(PRECACHE.has(icon.src), `${icon.src} is not precached`);
});
