// @ts-check
/**
 * POCtix sync core, JavaScript mirror of the Python package `sync/` (spec: sync/PROTOCOL.md).
 *
 * The door scanner runs these rules offline; the server runs the Python twin. Both pass the same
 * golden cases in sync/vectors/*.json, so a verdict, a merge or a conflict list is the same
 * wherever it is computed. No transport and no storage here: callers move the JSON records over
 * HTTP and keep them in IndexedDB. Wire field names stay snake_case, exactly as on the wire;
 * functions are camelCase, and Python's keyword-only arguments are one options object.
 *
 * 1. Dots and vectors. Every change has a dot (origin, seq): a device id, or "server" for pass
 *    changes. A version vector {origin: n} says "I hold seqs 1..n of origin"; it only moves over
 *    gap-free runs and never contains zeros.
 * 2. Replica. {vector, changes, scans, passes, admissions}: two logs keyed by dot (first copy
 *    wins) and two indexes over them. Merging is idempotent and order-free.
 * 3. Push / ack. The device uploads its outbox in seq order; the server answers the highest
 *    gap-free seq it holds; the device drops its outbox up to there.
 * 4. Pull. The device sends its vector; the server answers what it does not cover.
 * 5. Verdicts and conflicts. One rule for what the door shows, and for which admission of a pass
 *    came first; the others are overrides (the door knew) or conflicts (it could not).
 *
 * These functions mutate the state they are given (a 50,000-pass replica is too big to copy per
 * scan). Runs unchanged in browsers and in node 20.
 */

import { voidWording } from './void-wording.js';

/** The origin of pass changes. No device may use it as its id. */
export const SERVER = 'server';
/** A repeat of the same code on the same device within this many ms is ignored. */
export const DEBOUNCE_MS = 2000;
/** Verdicts that let the person in unless the door decides otherwise. */
export const GREEN_CODES = Object.freeze(['admit', 'not_in_cache']);

/** @typedef {Record<string, number>} Vector origin -> highest gap-free seq held (missing = 0) */

/**
 * Status of one pass after a server change. Unknown extra fields are kept.
 * @typedef {{origin: string, seq: number, pass_id: string, status: string,
 *   tier?: string|null, reason?: string|null, [extra: string]: unknown}} PassChange
 */

/**
 * One scan on one device; `scanned_at` is corrected time. Unknown extra fields are kept.
 * @typedef {{device: string, seq: number, pass_id: string|null, scanned_at: number,
 *   verdict: string, admitted: boolean, door: string, vector: Vector,
 *   [extra: string]: unknown}} Scan
 */

/** @typedef {{status: string, tier: string|null, reason: string|null, seq: number}} PassStatus */

/**
 * A replica. Seqs are decimal-string keys in `changes` and `scans`, integers elsewhere.
 * @typedef {{vector: Vector,
 *   changes: Record<string, PassChange>,
 *   scans: Record<string, Record<string, Scan>>,
 *   passes: Record<string, PassStatus>,
 *   admissions: Record<string, Record<string, number[]>>}} State
 */

/** @typedef {{changes: PassChange[], scans: Scan[], more: boolean}} Page Answer to a pull */

/**
 * Outcome of signature verification, done elsewhere. `code` is the raw scanned text (used only
 * for debounce of codes that name no pass).
 * @typedef {{ok: boolean, pass_id?: string, event_ok?: boolean, reason?: string,
 *   code?: string}} Token
 */

/** @typedef {{device: string, key: string, at: number}} Recent last shown verdict, for debounce */

/**
 * @typedef {{code: string, pass_id: string|null, tier: string|null, reason: string|null,
 *   at: number|null, door: string|null}} Verdict
 */

/**
 * @typedef {{code: string, color: string|null, title: string, detail: string|null,
 *   at: number|null, door: string|null}} Message
 */

/** @typedef {{device: string, seq: number, scanned_at: number, door: string}} AdmissionRef */

/**
 * @typedef {{pass_id: string, first: AdmissionRef, other: AdmissionRef,
 *   kind: 'override'|'conflict'}} Conflict
 */

/** @typedef {{code: string, message: string, expected: number|null}} PushError */

/** Message 1, device -> server. @typedef {{device: string, scans: Scan[]}} PushRequest */
/** Message 2, server -> device. @typedef {{acked: number, server_time: number}} PushAnswer */
/**
 * Message 3, device -> server.
 * @typedef {{device: string, vector: Vector, limit?: number|null}} PullRequest
 */
/**
 * Message 4, server -> device.
 * @typedef {{changes: PassChange[], scans: Scan[], more: boolean, server_time: number}} PullAnswer
 */

/** A record or argument the protocol refuses; `code` is a stable reason code. */
export class SyncError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'SyncError';
    this.code = code;
  }
}

const has = (/** @type {object} */ obj, /** @type {string} */ key) => Object.hasOwn(obj, key);

/**
 * Compare strings by Unicode code point, as Python does (plain `<` compares UTF-16 units, which
 * puts U+E000..U+FFFF after astral characters).
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
export function compareStrings(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const sx = x >= 0xd800 && x <= 0xdfff;
      const sy = y >= 0xd800 && y <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

/** @param {Iterable<string>} keys */
const sortedStrings = (keys) => [...keys].sort(compareStrings);
/** @param {Record<string, unknown>} obj */
const sortedSeqs = (obj) => Object.keys(obj).map(Number).sort((a, b) => a - b);

/**
 * Deep-copy JSON data, so a replica never shares objects with its caller.
 * @template T
 * @param {T} value
 * @returns {T}
 */
export function clone(value) {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

// ---------------------------------------------------------------------------------------------
// 1. Dots and version vectors

/**
 * True for a safe integer; booleans are not integers on the wire.
 * @param {unknown} value
 * @returns {value is number}
 */
export const isInt = (value) => Number.isSafeInteger(value);

/**
 * True for an object mapping origin strings to integers >= 0.
 * @param {unknown} value
 * @returns {value is Vector}
 */
export function isVector(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.values(value).every((v) => isInt(v) && v >= 0);
}

/**
 * True when `vector` says its holder has seen the dot (origin, seq).
 * @param {Vector} vector
 * @param {string} origin
 * @param {number} seq
 */
export function covers(vector, origin, seq) {
  return (has(vector, origin) ? vector[origin] : 0) >= seq;
}

/**
 * Pointwise maximum of two vectors, without zero entries.
 * @param {Vector} a
 * @param {Vector} b
 * @returns {Vector}
 */
export function mergeVectors(a, b) {
  /** @type {Vector} */
  const out = {};
  for (const origin of sortedStrings(new Set([...Object.keys(a), ...Object.keys(b)]))) {
    const high = Math.max(has(a, origin) ? a[origin] : 0, has(b, origin) ? b[origin] : 0);
    if (high > 0) out[origin] = high;
  }
  return out;
}

/**
 * Highest n such that every seq in start+1..n is held (`start` if start+1 is missing).
 * @param {Iterable<number>} heldSeqs
 * @param {number} [start]
 */
export function contiguousHigh(heldSeqs, start = 0) {
  const held = new Set(heldSeqs);
  let high = start;
  while (held.has(high + 1)) high += 1;
  return high;
}

/**
 * Move vector[origin] over every consecutive held seq; return the new value.
 * @param {Vector} vector
 * @param {string} origin
 * @param {(seq: number) => boolean} held
 */
function advance(vector, origin, held) {
  let high = has(vector, origin) ? vector[origin] : 0;
  while (held(high + 1)) high += 1;
  if (high > 0) vector[origin] = high;
  return high;
}

// ---------------------------------------------------------------------------------------------
// 2. Record checks (same sentences, same order as sync/wire.py)

/** @param {unknown} v */
const strOrNull = (v) => v === null || v === undefined || (typeof v === 'string' && v !== '');
/** @param {unknown} v */
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Say what makes `scan` unusable, or null.
 * @param {unknown} scan
 * @returns {string|null}
 */
export function scanProblem(scan) {
  if (!isObject(scan)) return 'must be an object';
  const s = /** @type {Record<string, unknown>} */ (scan);
  if (typeof s.device !== 'string' || s.device === '' || s.device === SERVER) {
    return '\'device\' must be a non-empty string other than "server"';
  }
  if (!isInt(s.seq) || s.seq < 1) return "'seq' must be an integer >= 1";
  if (s.pass_id === undefined || !strOrNull(s.pass_id)) {
    return "'pass_id' must be a non-empty string or null";
  }
  if (!isInt(s.scanned_at) || s.scanned_at < 0) {
    return "'scanned_at' must be an integer >= 0 (milliseconds since 1970)";
  }
  if (typeof s.verdict !== 'string') return "'verdict' must be a string";
  if (typeof s.admitted !== 'boolean') return "'admitted' must be a boolean";
  if (typeof s.door !== 'string') return "'door' must be a string";
  if (!isVector(s.vector)) return "'vector' must map origins to integers >= 0";
  return null;
}

/**
 * Say what makes a pass change unusable, or null. `tier`/`reason` may be absent.
 * @param {unknown} change
 * @returns {string|null}
 */
export function changeProblem(change) {
  if (!isObject(change)) return 'must be an object';
  const c = /** @type {Record<string, unknown>} */ (change);
  if (c.origin !== SERVER) return '\'origin\' must be "server"';
  if (!isInt(c.seq) || c.seq < 1) return "'seq' must be an integer >= 1";
  if (typeof c.pass_id !== 'string' || c.pass_id === '') {
    return "'pass_id' must be a non-empty string";
  }
  if (typeof c.status !== 'string') return "'status' must be a string";
  if (!strOrNull(c.tier)) return "'tier' must be a non-empty string or null";
  if (!strOrNull(c.reason)) return "'reason' must be a non-empty string or null";
  return null;
}

/** @param {unknown} change @returns {PassChange} */
function checkChange(change) {
  const problem = changeProblem(change);
  if (problem !== null) throw new SyncError('bad_type', `pass change: ${problem}`);
  return /** @type {PassChange} */ (change);
}

/** @param {unknown} scan @returns {Scan} */
function checkScan(scan) {
  const problem = scanProblem(scan);
  if (problem !== null) throw new SyncError('bad_type', `scan: ${problem}`);
  return /** @type {Scan} */ (scan);
}

// ---------------------------------------------------------------------------------------------
// 3. Replica and merge

/** An empty replica. @returns {State} */
export function newState() {
  return { vector: {}, changes: {}, passes: {}, scans: {}, admissions: {} };
}

/**
 * Pass changes carry origin "server"; everything else in a merge is a scan.
 * @param {unknown} item
 */
export const isPassChange = (item) =>
  isObject(item) && /** @type {Record<string, unknown>} */ (item).origin === SERVER;

/**
 * Store one pass change; true if it was new. Later seq wins for a pass.
 * @param {State} state
 * @param {PassChange} change
 */
export function applyPassChange(state, change) {
  return storeChange(state, checkChange(change));
}

/**
 * Store one scan; true if it was new. Unknown fields are kept as they came.
 * @param {State} state
 * @param {Scan} scan
 */
export function applyScan(state, scan) {
  return storeScan(state, checkScan(scan));
}

/**
 * Store a mix of pass changes and scans; return how many were new. Every item is checked
 * before any is stored, so a bad batch changes nothing.
 * @param {State} state
 * @param {ReadonlyArray<PassChange|Scan>} items
 */
export function merge(state, items) {
  const checked = items.map((item, index) => {
    if (!isObject(item)) throw new SyncError('bad_type', `item ${index}: must be an object`);
    return isPassChange(item) ? checkChange(item) : checkScan(item);
  });
  let stored = 0;
  for (const record of checked) {
    const fresh = isPassChange(record)
      ? storeChange(state, /** @type {PassChange} */ (record))
      : storeScan(state, /** @type {Scan} */ (record));
    if (fresh) stored += 1;
  }
  return stored;
}

/** @param {State} state @param {PassChange} change */
function storeChange(state, change) {
  const { changes } = state;
  const key = String(change.seq);
  if (has(changes, key)) return false;
  changes[key] = clone(change);
  const current = has(state.passes, change.pass_id) ? state.passes[change.pass_id] : undefined;
  if (current === undefined || current.seq < change.seq) {
    state.passes[change.pass_id] = {
      status: change.status,
      tier: change.tier ?? null,
      reason: change.reason ?? null,
      seq: change.seq,
    };
  }
  advance(state.vector, SERVER, (s) => has(changes, String(s)));
  return true;
}

/** @param {State} state @param {Scan} scan */
function storeScan(state, scan) {
  const { device, seq, pass_id: passId } = scan;
  if (!has(state.scans, device)) state.scans[device] = {};
  const held = state.scans[device];
  if (has(held, String(seq))) return false;
  held[String(seq)] = clone(scan);
  if (scan.admitted && passId !== null) {
    if (!has(state.admissions, passId)) state.admissions[passId] = {};
    const byDevice = state.admissions[passId];
    if (!has(byDevice, device)) byDevice[device] = [];
    const seqs = byDevice[device];
    let at = seqs.length;
    while (at > 0 && seqs[at - 1] > seq) at -= 1;
    seqs.splice(at, 0, seq);
  }
  advance(state.vector, device, (s) => has(held, String(s)));
  return true;
}

/**
 * Install the server's pass index as of `serverSeq` (a bootstrap) without its log. Each entry
 * counts as a change numbered `serverSeq`: it replaces an older entry and loses to a newer one.
 * The vector jumps to `serverSeq`; changes after it arrive by pull as usual.
 * @param {State} state
 * @param {{serverSeq: number, passes: Record<string, {status: string, tier?: string|null,
 *   reason?: string|null}>}} snapshot
 */
export function applySnapshot(state, { serverSeq, passes }) {
  const ids = Object.keys(passes);
  if (!isInt(serverSeq) || serverSeq < (ids.length > 0 ? 1 : 0)) {
    throw new SyncError('bad_type', "'server_seq' must be an integer >= 1 (0 if no passes)");
  }
  /** @type {Record<string, PassStatus>} */
  const entries = {};
  for (const passId of ids) {
    const entry = passes[passId];
    if (!isObject(entry)) throw new SyncError('bad_type', `snapshot ${passId}: must be an object`);
    const problem = changeProblem({ ...entry, origin: SERVER, seq: serverSeq, pass_id: passId });
    if (problem !== null) throw new SyncError('bad_type', `snapshot ${passId}: ${problem}`);
    entries[passId] = {
      status: entry.status,
      tier: entry.tier ?? null,
      reason: entry.reason ?? null,
      seq: serverSeq,
    };
  }
  for (const [passId, entry] of Object.entries(entries)) {
    const current = has(state.passes, passId) ? state.passes[passId] : undefined;
    if (current === undefined || current.seq < serverSeq) state.passes[passId] = entry;
  }
  if (heldHigh(state, SERVER) < serverSeq) state.vector[SERVER] = serverSeq;
  const { changes } = state;
  advance(state.vector, SERVER, (s) => has(changes, String(s)));
}

/**
 * Highest gap-free seq held for `origin`: what the server acknowledges after a push.
 * @param {State} state
 * @param {string} origin
 */
export function heldHigh(state, origin) {
  return has(state.vector, origin) ? state.vector[origin] : 0;
}

// ---------------------------------------------------------------------------------------------
// 4. Pull

/**
 * Everything held that `vector` does not cover, oldest first, at most `limit` records: pass
 * changes by seq, then scans of devices other than `forDevice` by (device, seq).
 * @param {State} state
 * @param {Vector} vector
 * @param {{forDevice?: string|null, limit?: number|null}} [options]
 * @returns {Page}
 */
export function changesSince(state, vector, { forDevice = null, limit = null } = {}) {
  if (!isVector(vector)) {
    throw new SyncError('bad_type', "'vector' must map origins to integers >= 0");
  }
  if (limit !== null && (!isInt(limit) || limit < 1)) {
    throw new SyncError('bad_limit', "'limit' must be an integer >= 1 or null");
  }
  let budget = limit ?? -1;
  /** @type {Page} */
  const page = { changes: [], scans: [], more: false };
  for (const seq of sortedSeqs(state.changes)) {
    if (covers(vector, SERVER, seq)) continue;
    if (budget === 0) {
      page.more = true;
      return page;
    }
    page.changes.push(clone(state.changes[String(seq)]));
    budget -= 1;
  }
  for (const device of sortedStrings(Object.keys(state.scans))) {
    if (device === forDevice) continue;
    const held = state.scans[device];
    for (const seq of sortedSeqs(held)) {
      if (covers(vector, device, seq)) continue;
      if (budget === 0) {
        page.more = true;
        return page;
      }
      page.scans.push(clone(held[String(seq)]));
      budget -= 1;
    }
  }
  return page;
}

// ---------------------------------------------------------------------------------------------
// 5. Push and acknowledgement

/**
 * @param {string} code
 * @param {string} message
 * @param {number|null} [expected]
 * @returns {PushError}
 */
const pushError = (code, message, expected = null) => ({ code, message, expected });

/**
 * Check a pushed batch against what the server holds; null means store it all. Checks run in
 * a fixed order (types, device, seq run, gap), as in sync/push.py.
 * @param {{device: string, heldHigh: number, scans: unknown}} options
 * @returns {PushError|null}
 */
export function validatePush({ device, heldHigh, scans }) {
  if (!isInt(heldHigh) || heldHigh < 0) throw new RangeError("'held_high' must be an integer >= 0");
  if (!Array.isArray(scans)) return pushError('bad_type', 'scans must be a list');
  for (let i = 0; i < scans.length; i++) {
    const problem = scanProblem(scans[i]);
    if (problem !== null) return pushError('bad_type', `scan ${i}: ${problem}`);
  }
  const batch = /** @type {Scan[]} */ (scans);
  for (let i = 0; i < batch.length; i++) {
    if (batch[i].device !== device) {
      return pushError('wrong_device', `scan ${i}: device "${batch[i].device}" is not "${device}"`);
    }
  }
  for (let i = 1; i < batch.length; i++) {
    const expected = batch[i - 1].seq + 1;
    const got = batch[i].seq;
    if (got !== expected) {
      return pushError('bad_seq', `scan ${i}: expected seq ${expected}, got ${got}`, expected);
    }
  }
  if (batch.length > 0 && batch[0].seq > heldHigh + 1) {
    const expected = heldHigh + 1;
    const got = batch[0].seq;
    return pushError('seq_gap', `scan 0: expected seq ${expected} or lower, got ${got}`, expected);
  }
  return null;
}

/**
 * The outbox after the server acknowledged every seq up to `ackedSeq`, order kept.
 * @template {{seq: number}} T
 * @param {ReadonlyArray<T>} outbox
 * @param {number} ackedSeq
 * @returns {T[]}
 */
export function ackOutbox(outbox, ackedSeq) {
  return outbox.filter((scan) => !(isInt(scan.seq) && scan.seq <= ackedSeq));
}

// ---------------------------------------------------------------------------------------------
// 6. Clock

/**
 * Milliseconds to add to the device clock to read server time (midpoint of the round trip).
 * @param {{serverTime: number, sentAt: number, receivedAt: number}} times
 */
export function clockOffset({ serverTime, sentAt, receivedAt }) {
  if (!isInt(serverTime) || !isInt(sentAt) || !isInt(receivedAt)) {
    throw new RangeError('times must be integers (milliseconds since the Unix epoch)');
  }
  return serverTime - Math.floor((sentAt + receivedAt) / 2);
}

/**
 * The device clock read in server time.
 * @param {number} deviceNow
 * @param {number} offset
 */
export const correctedNow = (deviceNow, offset) => deviceNow + offset;

// ---------------------------------------------------------------------------------------------
// 7. Conflicts

/** @param {State} state @param {string} passId @returns {Scan[]} */
function admissionsOf(state, passId) {
  const byDevice = has(state.admissions, passId) ? state.admissions[passId] : {};
  return sortedStrings(Object.keys(byDevice)).flatMap((device) =>
    byDevice[device].map((seq) => state.scans[device][String(seq)]),
  );
}

/**
 * The canonical order of admissions: (scanned_at, device by code point, seq).
 * @param {Scan} a
 * @param {Scan} b
 */
function byOrder(a, b) {
  if (a.scanned_at !== b.scanned_at) return a.scanned_at < b.scanned_at ? -1 : 1;
  return compareStrings(a.device, b.device) || a.seq - b.seq;
}

/**
 * True when `scan`'s door had seen `other` when it scanned.
 * @param {Scan} scan
 * @param {Scan} other
 */
function saw(scan, other) {
  if (scan.device === other.device) return other.seq < scan.seq;
  return covers(scan.vector, other.device, other.seq);
}

/** @param {Scan} scan @param {Scan[]} admissions */
const sawAny = (scan, admissions) => admissions.some((o) => o !== scan && saw(scan, o));

/** @param {Scan} scan @returns {AdmissionRef} */
const ref = (scan) => ({
  device: scan.device,
  seq: scan.seq,
  scanned_at: scan.scanned_at,
  door: scan.door,
});

/** @param {Scan[]} admissions @returns {Scan|null} */
function firstOf(admissions) {
  if (admissions.length === 0) return null;
  const roots = admissions.filter((a) => !sawAny(a, admissions));
  // Honest histories always have a root; fall back to plain order if a buggy client made a cycle.
  return [...(roots.length > 0 ? roots : admissions)].sort(byOrder)[0];
}

/**
 * The admission every replica calls first for this pass, or null if nobody went in.
 * @param {State} state
 * @param {string} passId
 * @returns {AdmissionRef|null}
 */
export function canonicalFirst(state, passId) {
  const first = firstOf(admissionsOf(state, passId));
  return first === null ? null : ref(first);
}

/**
 * Every admission of the pass after the canonical first, ordered by (scanned_at, device, seq).
 * @param {State} state
 * @param {string} passId
 * @returns {Conflict[]}
 */
export function classify(state, passId) {
  const admissions = admissionsOf(state, passId);
  const first = firstOf(admissions);
  if (first === null) return [];
  return [...admissions]
    .sort(byOrder)
    .filter((other) => other !== first)
    .map((other) => ({
      pass_id: passId,
      first: ref(first),
      other: ref(other),
      kind: sawAny(other, admissions) ? 'override' : 'conflict',
    }));
}

/**
 * classify() for every pass with two or more admissions, ordered by pass id.
 * @param {State} state
 * @returns {Conflict[]}
 */
export function conflicts(state) {
  return sortedStrings(Object.keys(state.admissions)).flatMap((passId) => classify(state, passId));
}

/**
 * Admissions of the pass by devices other than `device` ("also admitted 20:14 at Gate B").
 * @param {State} state
 * @param {string} passId
 * @param {{device: string}} options
 * @returns {AdmissionRef[]}
 */
export function alsoAdmitted(state, passId, { device }) {
  return admissionsOf(state, passId)
    .sort(byOrder)
    .filter((scan) => scan.device !== device)
    .map(ref);
}

// ---------------------------------------------------------------------------------------------
// 8. Verdicts

/**
 * What debounce compares: the pass id if the token named one, else the raw code text.
 * @param {Token} token
 * @returns {string|null}
 */
export function scanKey(token) {
  if (token.ok === true && typeof token.pass_id === 'string' && token.pass_id) {
    return `pass:${token.pass_id}`;
  }
  if (typeof token.code === 'string' && token.code) return `code:${token.code}`;
  return null;
}

/**
 * True when the same key was last shown on this device less than 2000 ms ago (either way:
 * a clock that stepped back after a resync does not turn a repeat into a fresh verdict).
 * @param {Recent|null} recent
 * @param {{key: string|null, device: string, now: number}} options
 */
export function isRepeat(recent, { key, device, now }) {
  if (recent === null || recent === undefined || key === null) return false;
  return recent.device === device && recent.key === key && Math.abs(now - recent.at) < DEBOUNCE_MS;
}

/**
 * @param {string} code
 * @param {string|null} [passId]
 * @param {{tier?: string|null, reason?: string|null, at?: number|null, door?: string|null}} [facts]
 * @returns {Verdict}
 */
function makeVerdict(code, passId = null, facts = {}) {
  return {
    code,
    pass_id: passId,
    tier: facts.tier ?? null,
    reason: facts.reason ?? null,
    at: facts.at ?? null,
    door: facts.door ?? null,
  };
}

/**
 * Decide what the door shows for one scanned code. Order: ignored, invalid, wrong_event, void,
 * already_scanned, not_in_cache, admit (sync/PROTOCOL.md section 12).
 * @param {State} state
 * @param {{token: Token, device: string, now: number, recent: Recent|null}} options
 * @returns {Verdict}
 */
export function verdict(state, { token, device, now, recent }) {
  const key = scanKey(token);
  const passId = token.ok === true ? token.pass_id : undefined;
  if (isRepeat(recent, { key, device, now })) {
    return makeVerdict('ignored', typeof passId === 'string' ? passId : null);
  }
  if (token.ok !== true) {
    return makeVerdict(token.reason === 'wrong_event' ? 'wrong_event' : 'invalid');
  }
  if (typeof passId !== 'string' || !passId) return makeVerdict('invalid');
  if (token.event_ok === false) return makeVerdict('wrong_event', passId);
  const status = has(state.passes, passId) ? state.passes[passId] : null;
  const tier = status === null ? null : status.tier;
  if (status !== null && status.status !== 'valid') {
    // Fail closed: a status this replica does not know is treated as void.
    return makeVerdict('void', passId, { tier, reason: status.reason });
  }
  const first = canonicalFirst(state, passId);
  if (first !== null) {
    return makeVerdict('already_scanned', passId, { tier, at: first.scanned_at, door: first.door });
  }
  if (status === null) return makeVerdict('not_in_cache', passId);
  return makeVerdict('admit', passId, { tier });
}

/**
 * The scan record for a shown verdict; store it with applyScan and queue it for push.
 * `admitted` defaults to the verdict's colour; pass true for "admit anyway" after amber.
 * @param {State} state
 * @param {{device: string, verdict: Verdict, door: string, scannedAt: number,
 *   admitted?: boolean|null}} options
 * @returns {Scan}
 */
export function newScan(state, { device, verdict: shown, door, scannedAt, admitted = null }) {
  if (shown.code === 'ignored') throw new Error('an ignored verdict records no scan');
  if (!isInt(scannedAt)) throw new RangeError("'scanned_at' must be an integer");
  const held = has(state.scans, device) ? state.scans[device] : {};
  const seq = Object.keys(held).reduce((m, k) => Math.max(m, Number(k)), 0) + 1;
  /** @type {Vector} */
  const vector = {};
  const origins = Object.keys(state.vector).filter((o) => o !== device);
  if (seq > 1) origins.push(device);
  for (const origin of sortedStrings(origins)) {
    vector[origin] = origin === device ? seq - 1 : state.vector[origin];
  }
  return {
    device,
    seq,
    pass_id: shown.pass_id,
    scanned_at: scannedAt,
    verdict: shown.code,
    admitted: admitted ?? GREEN_CODES.includes(shown.code),
    door,
    vector,
  };
}

// ---------------------------------------------------------------------------------------------
// 9. Messages (human words, apart from the codes; the UI formats `at` in the event's zone)

/**
 * English words for a verdict; `at` and `door` pass through for the UI to format.
 * @param {Verdict} shown
 * @returns {Message}
 */
export function message(shown) {
  /** @type {[string|null, string, string|null]} */
  let words;
  switch (shown.code) {
    case 'admit':
      words = ['green', 'Admit', shown.tier];
      break;
    case 'not_in_cache':
      words = ['green', 'Valid — not yet in cache', "Validly signed; sold after this scanner's last sync"];
      break;
    case 'already_scanned':
      words = ['amber', 'Already scanned', shown.door ? `First admitted at ${shown.door}` : null];
      break;
    case 'void': {
      words = ['red', voidWording(shown.reason).door, null];
      break;
    }
    case 'invalid':
      words = ['red', 'Invalid pass', 'Signature or format not recognised'];
      break;
    case 'wrong_event':
      words = ['red', 'Wrong event', 'This pass is for another event'];
      break;
    case 'ignored':
      words = [null, '', null];
      break;
    default:
      words = ['red', 'Do not admit', `Unknown verdict ${shown.code}`];
  }
  const [color, title, detail] = words;
  return { code: shown.code, color, title, detail, at: shown.at, door: shown.door };
}
