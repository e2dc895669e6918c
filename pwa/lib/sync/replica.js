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
