// @ts-check
/**
 * The buyer's wallet, as pure functions: what a saved order looks like, how a record read back
 * from IndexedDB is checked, how a fresh copy from the server is merged into a saved one, and
 * how passes are grouped by event, upcoming first and past apart. No DOM, no storage, no
 * network: the Node tests run every rule here (tests/js/wallet.test.mjs).
 *
 * One saved record per order, keyed by the order's public id. The QR is not stored as an image:
 * it is drawn on the phone from the token (pwa/wallet/qr.js), so what is shown always matches
 * what is saved, and a record stays small.
 *
 * Bad input never empties the wallet: a record that cannot be read is counted and named in a
 * note while the others are shown; a record whose event details are damaged still shows its
 * passes under "Event details unreadable"; a pass the server no longer knows (or an order that
 * answers 404) is kept and marked, never dropped silently.
 */

import { ENGLISH, translator } from '../lib/i18n.js';
import { voidWording } from '../lib/void-wording.js';

/** The order id in `/passes/{public_id}` (the same rule as the server). */
export const PUBLIC_ID = /^[A-Za-z0-9_-]{16,43}$/;
/** What a QR code in alphanumeric mode can say: tokens are uppercase base32. */
const QR_TEXT = /^[0-9A-Z $%*+\-./:]{1,600}$/;

/**
 * A pass as GET /api/v1/orders/{public_id}/passes sends it.
 * @typedef {{id: string, tier: string, status: string, void_reason: string | null,
 *   token: string | null}} WirePass
 */

/**
 * @typedef {{id: string, name: string, venue: string, starts_at: string, ends_at: string,
 *   timezone: string, organizer: string}} WireEvent
 */

/** @typedef {{public_id: string, status: string, event: WireEvent, passes: WirePass[]}} WireOrder */

/**
 * A pass as the phone keeps it. `missing`: the server's copy of the order no longer lists it.
 * @typedef {{id: string, tier: string, status: 'valid' | 'void', void_reason: string | null,
 *   token: string | null, missing: boolean}} SavedPass
 */

/**
 * Times are epoch milliseconds; null when unreadable.
 * @typedef {{id: string, name: string, venue: string, starts_at: number | null,
 *   ends_at: number | null, timezone: string, organizer: string, unreadable?: boolean}} SavedEvent
 */

/**
 * One saved order. `missing`: the server answered 404 for it at `checked_at`.
 * @typedef {{public_id: string, status: string, event: SavedEvent, passes: SavedPass[],
 *   saved_at: number, refreshed_at: number | null, checked_at: number | null,
 *   missing: boolean}} SavedOrder
 */

/**
 * What reading one stored record gives: the order (with what had to be left out), or why not.
 * @typedef {{ok: true, key: unknown, order: SavedOrder, problems: string[]}
 *   | {ok: false, key: unknown, problem: string}} ReadResult
 */

/** @param {unknown} value @returns {value is Record<string, unknown>} */
function isObject(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @param {unknown} value @param {string} fallback */
function text(value, fallback = '') {
  return typeof value === 'string' ? value : fallback;
}

/** Epoch ms from a number or an ISO string; null when neither. @param {unknown} value */
export function timeOf(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string') return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : at;
}

/** @param {unknown} value @returns {number | null} */
function stamp(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/**
 * Check one pass; null when it cannot be shown (no id, unknown status, a valid pass without a
 * usable code).
 * @param {unknown} value
 * @returns {SavedPass | null}
 */
export function readPass(value) {
  if (!isObject(value)) return null;
  const { id, status } = value;
  if (typeof id !== 'string' || id === '') return null;
  if (status !== 'valid' && status !== 'void') return null;
  const token = typeof value.token === 'string' && QR_TEXT.test(value.token) ? value.token : null;
  if (status === 'valid' && token === null) return null;
  return {
    id,
    tier: text(value.tier),
    status,
    void_reason: status === 'void' ? text(value.void_reason) || null : null,
    token,
    missing: value.missing === true,
  };
}

/**
 * Check an event; null when nothing useful is left (no name and no start).
 * @param {unknown} value
 * @returns {SavedEvent | null}
 */
export function readEvent(value) {
  if (!isObject(value)) return null;
  const name = text(value.name).trim();
  const starts = timeOf(value.starts_at);
  if (name === '' || starts === null) return null;
  const ends = timeOf(value.ends_at);
  return {
    id: text(value.id) || `${name}@${starts}`,
    name,
    venue: text(value.venue),
    starts_at: starts,
    ends_at: ends !== null && ends >= starts ? ends : starts,
    timezone: text(value.timezone, 'UTC') || 'UTC',
    organizer: text(value.organizer),
  };
}

/** @param {string} publicId @returns {SavedEvent} */
function unreadableEvent(publicId) {
  return {
    id: `unreadable:${publicId}`,
    name: 'Event details unreadable',
    venue: '',
    starts_at: null,
    ends_at: null,
    timezone: 'UTC',
    organizer: '',
    unreadable: true,
  };
}

/** @param {number} count @param {string} one @param {string} many */
function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Check a record read back from IndexedDB (it may be anything: an old format, a half-written
 * record, someone's experiment in the console).
 * @param {unknown} key the record's IndexedDB key
 * @param {unknown} value
 * @returns {ReadResult}
 */
export function readRecord(key, value) {
  if (!isObject(value)) return { ok: false, key, problem: 'not a saved order' };
  const publicId = value.public_id;
  if (typeof publicId !== 'string' || !PUBLIC_ID.test(publicId)) {
    return { ok: false, key, problem: 'no order id' };
  }
  if (!Array.isArray(value.passes)) return { ok: false, key, problem: 'no passes' };
  const passes = value.passes.map(readPass);
  const kept = /** @type {SavedPass[]} */ (passes.filter((p) => p !== null));
  /** @type {string[]} */
  const problems = [];
  const dropped = passes.length - kept.length;
  let event = readEvent(value.event);
  if (event === null && kept.length === 0) return { ok: false, key, problem: 'nothing readable' };
  if (event === null) {
    event = unreadableEvent(publicId);
    problems.push('The event details of one saved order could not be read; its passes are shown without them.');
  }
  if (dropped > 0) {
    problems.push(`${plural(dropped, 'pass', 'passes')} of ${event.name} could not be read and ${dropped === 1 ? 'is' : 'are'} not shown.`);
  }
  return {
    ok: true,
    key,
    problems,
    order: {
      public_id: publicId,
      status: text(value.status, 'unknown'),
      event,
      passes: kept,
      saved_at: stamp(value.saved_at) ?? 0,
      refreshed_at: stamp(value.refreshed_at),
      checked_at: stamp(value.checked_at),
      missing: value.missing === true,
    },
  };
}

/**
 * An order from the server, as saved now. Throws when the answer is not an order (the caller
 * says so; nothing half-read is stored).
 * @param {unknown} wire
 * @param {number} now
 * @returns {SavedOrder}
 */
export function fromWire(wire, now) {
  const read = readRecord(null, wire);
  if (!read.ok || read.problems.length > 0) throw new Error('The server sent an order the wallet cannot read.');
  return { ...read.order, saved_at: now, refreshed_at: now, checked_at: now, missing: false };
}

/**
 * Merge a fresh copy from the server into what is saved: the server's passes and statuses win;
 * a saved pass the server no longer lists is kept, marked missing.
 * @param {SavedOrder | null} saved
 * @param {SavedOrder} fresh from `fromWire`
 * @returns {SavedOrder}
 */
export function merged(saved, fresh) {
  if (saved === null) return fresh;
  const ids = new Set(fresh.passes.map((p) => p.id));
  const gone = saved.passes.filter((p) => !ids.has(p.id)).map((p) => ({ ...p, missing: true }));
  return { ...fresh, saved_at: saved.saved_at || fresh.saved_at, passes: [...fresh.passes, ...gone] };
}

/**
 * The server answered 404: the order no longer exists. Keep it, say so.
 * @param {SavedOrder} saved
 * @param {number} now
 * @returns {SavedOrder}
 */
export function markedMissing(saved, now) {
  return { ...saved, missing: true, checked_at: now };
}

/**
 * How one pass is shown. `code` is stable (`valid`, `void`, `missing`); the words are separate,
 * in the phone's `language` (../lib/i18n.js; English by default).
 * @param {SavedPass} pass
 * @param {SavedOrder} order
 * @param {string} [language]
 * @param {import('../lib/i18n.js').Translate} [t]
 * @returns {{code: 'valid' | 'void' | 'missing', badge: string, title: string, warning: string | null}}
 */
export function passState(pass, order, language = 'en', t = translator(ENGLISH)) {
  if (pass.status === 'void') {
    const words = voidWording(pass.void_reason, language);
    return { code: 'void', badge: words.buyer, title: words.door, warning: null };
  }
  if (order.missing || pass.missing) {
    return {
      code: 'missing',
      badge: t('wallet.no_longer_exists'),
      title: pass.tier || t('wallet.pass'),
      warning: order.missing ? t('wallet.order_missing') : t('wallet.pass_missing'),
    };
  }
  return { code: 'valid', badge: t('wallet.valid'), title: pass.tier || t('wallet.pass'), warning: null };
}

/**
 * One event's passes, across every saved order for it.
 * @typedef {{key: string, event: SavedEvent, items: {pass: SavedPass, order: SavedOrder}[]}} EventGroup
 */

/**
 * Group passes by event: upcoming (not ended yet) soonest first, then events whose details are
 * unreadable; past (ended before `now`) most recent first.
 * @param {SavedOrder[]} orders
 * @param {number} now
 * @returns {{upcoming: EventGroup[], past: EventGroup[]}}
 */
export function arrange(orders, now) {
  /** @type {Map<string, EventGroup>} */
  const groups = new Map();
  const newestFirst = [...orders].sort((a, b) => (b.refreshed_at ?? b.saved_at) - (a.refreshed_at ?? a.saved_at));
  for (const order of newestFirst) {
    const key = order.event.id;
    let group = groups.get(key);
    if (!group) {
      // The most recently refreshed copy of an event's details is the one shown.
      group = { key, event: order.event, items: [] };
      groups.set(key, group);
    }
    for (const pass of order.passes) group.items.push({ pass, order });
  }
  const all = [...groups.values()];
  for (const group of all) {
    group.items.sort((a, b) => a.order.saved_at - b.order.saved_at || a.order.public_id.localeCompare(b.order.public_id));
  }
  const ended = (/** @type {EventGroup} */ g) => g.event.ends_at !== null && g.event.ends_at < now;
  const upcoming = all.filter((g) => !ended(g));
  const past = all.filter(ended);
  upcoming.sort((a, b) => (a.event.starts_at ?? Infinity) - (b.event.starts_at ?? Infinity) || a.key.localeCompare(b.key));
  past.sort((a, b) => (b.event.ends_at ?? 0) - (a.event.ends_at ?? 0) || a.key.localeCompare(b.key));
  return { upcoming, past };
}

/**
 * The notes the wallet shows about what it could not read or check.
 * @param {ReadResult[]} results
 * @returns {string[]}
 */
export function readingNotes(results) {
  const notes = [];
  const unreadable = results.filter((r) => !r.ok).length;
  if (unreadable > 0) {
    notes.push(`${plural(unreadable, 'saved item', 'saved items')} on this phone could not be read and ${unreadable === 1 ? 'is' : 'are'} not shown. Save your passes again from your tickets page to replace ${unreadable === 1 ? 'it' : 'them'}.`);
  }
  for (const result of results) if (result.ok) notes.push(...result.problems);
  return notes;
}

/**
 * When an event starts, in its own time zone ("Sat, Jul 4, 2026, 7:00 PM HST").
 * @param {SavedEvent} event
 * @param {string} [locale]
 */
export function eventWhen(event, locale = 'en-US') {
  if (event.starts_at === null) return '';
  /** @type {Intl.DateTimeFormatOptions} */
  const style = {
    weekday: 'short', month: 'short', day: 'numeric', year: 'numeric',
    hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  };
  const at = new Date(event.starts_at);
  try {
    return new Intl.DateTimeFormat(locale, { ...style, timeZone: event.timezone }).format(at);
  } catch {
    return new Intl.DateTimeFormat(locale, { ...style, timeZone: 'UTC' }).format(at);
  }
}
