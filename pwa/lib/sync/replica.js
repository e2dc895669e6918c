// @ts-check
/**
 * A replica and how it learns: the mirror of sync/replica.py (sync/PROTOCOL.md sections 7-10).
 *
 * {vector, changes, scans, passes, admissions, exits?, lists?}: two logs keyed by dot (first copy
 * wins), indexes over them kept up to date in the same call, and the door lists held, so merging
 * is idempotent and order-free and a verdict looks a pass up without replaying anything. These
 * functions mutate the state they are given (a 50,000-pass replica is too big to copy per scan).
 */

import { advance, covers } from './dots.js';
import {
  OUT,
  SERVER,
  SyncError,
  changeProblem,
  clone,
  compareStrings,
  has,
  isInt,
  isObject,
  isVector,
  scanProblem,
  sortedSeqs,
  sortedStrings,
} from './wire.js';

/** @typedef {import('./wire.js').Page} Page */
/** @typedef {import('./wire.js').PassChange} PassChange */
/** @typedef {import('./wire.js').PassMap} PassMap */
/** @typedef {import('./wire.js').SnapshotEntry} SnapshotEntry */
/** @typedef {import('./wire.js').PassStatus} PassStatus */
/** @typedef {import('./wire.js').Scan} Scan */
/** @typedef {import('./wire.js').State} State */
/** @typedef {import('./wire.js').Vector} Vector */

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
  if (passId !== null && (scan.admitted || scan.direction === OUT)) {
    // An admission whatever its direction (old replicas read `admitted` alone); an exit is a scan
    // on the way out that let nobody in.
    if (!scan.admitted && state.exits === undefined) state.exits = {};
    const index = scan.admitted ? state.admissions : state.exits ?? {};
    if (!has(index, passId)) index[passId] = {};
    const byDevice = index[passId];
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
 *
 * `passes` is a record (checked, then copied into `state.passes`) or, on the door, a map: any
 * object with Map's `get` and `size`, such as the 200,000-pass `PackIndex`, which is kept as it
 * is in `state.snapshots` and consulted by `passStatus` (copying it would cost the phone a
 * second at every start). A map's entries are the caller's to vouch for: they are not checked.
 * A map applied after another with a seq at least as high takes its place (the older map's
 * passes the new one lacks are copied into `state.passes`).
 * @param {State} state
 * @param {{serverSeq: number, passes: Record<string, SnapshotEntry> | PassMap}} snapshot
 */
export function applySnapshot(state, { serverSeq, passes }) {
  if (isPassMap(passes)) {
    checkServerSeq(serverSeq, passes.size);
    /** @type {Array<{seq: number, passes: PassMap}>} */
    const kept = [];
    for (const older of state.snapshots ?? []) {
      if (older.seq > serverSeq) {
        kept.push(older);
        continue;
      }
      // A bootstrap again (the door refreshes its pack): the older map gives way, its passes
      // the new one lacks become index entries, so the replica holds one map again.
      for (const passId of older.passes.keys()) {
        if (passes.get(passId) !== undefined) continue;
        const entry = /** @type {SnapshotEntry} */ (older.passes.get(passId));
        const current = has(state.passes, passId) ? state.passes[passId] : undefined;
        if (current === undefined || current.seq < older.seq) {
          state.passes[passId] = { ...wordsOf(entry), seq: older.seq };
        }
      }
    }
    state.snapshots = [...kept, { seq: serverSeq, passes }];
    jumpTo(state, serverSeq);
    return;
  }
  const ids = Object.keys(passes);
  checkServerSeq(serverSeq, ids.length);
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
  jumpTo(state, serverSeq);
}

/**
 * @param {unknown} passes
 * @returns {passes is PassMap}
 */
const isPassMap = (passes) =>
  isObject(passes) && typeof (/** @type {any} */ (passes).get) === 'function'
  && isInt(/** @type {any} */ (passes).size);

/** @param {unknown} serverSeq @param {number} count */
function checkServerSeq(serverSeq, count) {
  if (!isInt(serverSeq) || /** @type {number} */ (serverSeq) < (count > 0 ? 1 : 0)) {
    throw new SyncError('bad_type', "'server_seq' must be an integer >= 1 (0 if no passes)");
  }
}

/** @param {State} state @param {number} serverSeq */
function jumpTo(state, serverSeq) {
  if (heldHigh(state, SERVER) < serverSeq) state.vector[SERVER] = serverSeq;
  const { changes } = state;
  advance(state.vector, SERVER, (s) => has(changes, String(s)));
}

/**
 * The latest status the replica holds for a pass, or null: its index entry (`state.passes`)
 * or a snapshot kept as a map, whichever is numbered higher (the index on a tie). Every rule
 * that reads a pass's status reads it here.
 * @param {State} state
 * @param {string} passId
 * @returns {PassStatus|null}
 */
export function passStatus(state, passId) {
  /** @type {PassStatus|null} */
  let found = has(state.passes, passId) ? state.passes[passId] : null;
  for (const { seq, passes } of state.snapshots ?? []) {
    if (found !== null && found.seq >= seq) continue;
    const entry = passes.get(passId);
    if (entry !== undefined) found = { ...wordsOf(entry), seq };
  }
  return found;
}

/**
 * How many passes the replica knows: its index's and its snapshot maps', each pass once.
 * @param {State} state
 */
export function passCount(state) {
  const snapshots = state.snapshots ?? [];
  const known = (/** @type {string} */ passId) => snapshots.some(({ passes }) => passes.get(passId) !== undefined);
  let count = Object.keys(state.passes).filter((passId) => !known(passId)).length;
  /** @type {Set<string>} */
  const seen = new Set();
  for (const [i, { passes }] of snapshots.entries()) {
    if (i === snapshots.length - 1) {
      count += passes.size;
    } else {
      // Only while an older bootstrap outranks a newer one (rare): ids, one string each.
      for (const passId of passes.keys()) {
        if (!seen.has(passId) && !snapshots.slice(i + 1).some((later) => later.passes.get(passId) !== undefined)) count += 1;
        seen.add(passId);
      }
    }
  }
  return count;
}

/**
 * A snapshot entry's status words, absent fields null.
 * @param {SnapshotEntry} entry
 * @returns {{status: string, tier: string|null, reason: string|null}}
 */
const wordsOf = (entry) => ({ status: entry.status, tier: entry.tier ?? null, reason: entry.reason ?? null });

/**
 * Highest gap-free seq held for `origin`: what the server acknowledges after a push.
 * @param {State} state
 * @param {string} origin
 */
export function heldHigh(state, origin) {
  return has(state.vector, origin) ? state.vector[origin] : 0;
}

// ---------------------------------------------------------------------------------------------
// Pull: what a vector does not cover (sync/PROTOCOL.md section 10)

/**
 * Everything held that `vector` does not cover, oldest first, at most `limit` records: pass
 * changes by seq, then scans of devices other than `forDevice` by (device, seq). With
 * `listsAfter`, the page also carries `lists`: every door list whose latest change is numbered
 * above it, by seq (not counted against `limit`).
 * @param {State} state
 * @param {Vector} vector
 * @param {{forDevice?: string|null, limit?: number|null, listsAfter?: number|null}} [options]
 * @returns {Page}
 */
export function changesSince(
  state,
  vector,
  { forDevice = null, limit = null, listsAfter = null } = {},
) {
  if (!isVector(vector)) {
    throw new SyncError('bad_type', "'vector' must map origins to integers >= 0");
  }
  if (limit !== null && (!isInt(limit) || limit < 1)) {
    throw new SyncError('bad_limit', "'limit' must be an integer >= 1 or null");
  }
  if (listsAfter !== null && (!isInt(listsAfter) || listsAfter < 0)) {
    throw new SyncError('bad_type', "'lists_after' must be an integer >= 0 or null");
  }
  let budget = limit ?? -1;
  /** @type {Page} */
  const page = { changes: [], scans: [], more: false };
  if (listsAfter !== null) {
    const after = listsAfter;
    page.lists = Object.values(state.lists ?? {})
      .filter((record) => record.seq > after)
      .sort((a, b) => a.seq - b.seq || compareStrings(a.list_id, b.list_id))
      .map((record) => clone(record));
  }
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
