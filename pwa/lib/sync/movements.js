// @ts-check
/**
 * Exits, re-entry and who is inside: the mirror of sync/movements.py (sync/PROTOCOL.md
 * section 19).
 *
 * An admission is a scan with `admitted: true`; an exit is a scan with `direction: "out"`, a pass
 * id and `admitted: false`. On one door list a pass's movements are put in one order: a movement
 * comes after every movement its door had seen, and among the free ones the smallest by
 * (scanned_at, device by code point, seq) goes first (the smallest remaining if buggy vectors
 * leave none free). The pass is inside when its last movement is an admission; a stay is a run of
 * admissions up to the next exit.
 */

import { covers } from './dots.js';
import { passStatus } from './replica.js';
import { DEFAULT_LIST, IN, OUT, compareStrings, has, scanList, sortedStrings } from './wire.js';

/** @typedef {import('./wire.js').InsideCount} InsideCount */
/** @typedef {import('./wire.js').MovementRef} MovementRef */
/** @typedef {import('./wire.js').Scan} Scan */
/** @typedef {import('./wire.js').State} State */

/**
 * True for a scan on the way out that let nobody in and names a pass.
 * @param {Scan} scan
 */
export function isExit(scan) {
  return scan.direction === OUT && !scan.admitted && scan.pass_id !== null;
}

/**
 * True when `scan`'s door had seen `other` when it scanned (a device has seen all of its own
 * earlier scans and none of its later ones, whatever its vector says of itself).
 * @param {Scan} scan
 * @param {Scan} other
 */
export function saw(scan, other) {
  if (scan.device === other.device) return other.seq < scan.seq;
  return covers(scan.vector, other.device, other.seq);
}

/**
 * The order of movements no door knew of each other: (scanned_at, device by code point, seq), as
 * a comparator.
 * @param {Scan} a
 * @param {Scan} b
 */
export function orderKey(a, b) {
  if (a.scanned_at !== b.scanned_at) return a.scanned_at < b.scanned_at ? -1 : 1;
  return compareStrings(a.device, b.device) || a.seq - b.seq;
}

/**
 * @param {State} state
 * @param {Record<string, Record<string, number[]>>} index
 * @param {string} passId
 * @returns {Scan[]}
 */
function held(state, index, passId) {
  const byDevice = has(index, passId) ? index[passId] : {};
  return sortedStrings(Object.keys(byDevice)).flatMap((device) =>
    byDevice[device].map((seq) => state.scans[device][String(seq)]),
  );
}

/** @param {Scan[]} moves @returns {Scan[]} */
function inOrder(moves) {
  const remaining = [...moves].sort(orderKey);
  /** @type {Scan[]} */
  const out = [];
  while (remaining.length > 0) {
    const free = remaining.findIndex((move) => !remaining.some((o) => o !== move && saw(move, o)));
    // A cycle of buggy vectors: the smallest remaining goes first.
    out.push(...remaining.splice(free === -1 ? 0 : free, 1));
  }
  return out;
}

/**
 * The admissions and exits of a pass held here, per door list (lists in code-point order), each
 * list in the one order.
 * @param {State} state
 * @param {string} passId
 * @returns {Map<string, Scan[]>}
 */
export function movementsByList(state, passId) {
  const exits = state.exits ?? {};
  /** @type {Scan[]} */
  let moves;
  if (!has(exits, passId)) {
    if (!has(state.admissions, passId)) return new Map();
    moves = held(state, state.admissions, passId);
    // The common case: one admission, nothing to order.
    if (moves.length === 1) return new Map([[scanList(moves[0]), moves]]);
  } else {
    moves = [...held(state, state.admissions, passId), ...held(state, exits, passId)];
  }
  /** @type {Map<string, Scan[]>} */
  const grouped = new Map();
  for (const move of moves) {
    const listId = scanList(move);
    const group = grouped.get(listId);
    if (group === undefined) grouped.set(listId, [move]);
    else group.push(move);
  }
  return new Map(
    sortedStrings(grouped.keys()).map((listId) => [listId, inOrder(grouped.get(listId) ?? [])]),
  );
}

/**
 * The admissions of ordered movements, cut into stays at each exit.
 * @param {ReadonlyArray<Scan>} moves
 * @returns {Scan[][]}
 */
export function stays(moves) {
  /** @type {Scan[][]} */
  const out = [];
  /** @type {Scan[]|null} */
  let current = null;
  for (const move of moves) {
    if (isExit(move)) {
      current = null;
    } else if (current === null) {
      current = [move];
      out.push(current);
    } else {
      current.push(move);
    }
  }
  return out;
}

/** @param {Scan} scan @returns {MovementRef} */
const ref = (scan) => ({
  device: scan.device,
  seq: scan.seq,
  scanned_at: scan.scanned_at,
  door: scan.door,
  direction: isExit(scan) ? OUT : IN,
});

/**
 * The admissions and exits of a pass on one door list, in the one order.
 * @param {State} state
 * @param {string} passId
 * @param {{listId?: string}} [options]
 * @returns {MovementRef[]}
 */
export function movements(state, passId, { listId = DEFAULT_LIST } = {}) {
  return (movementsByList(state, passId).get(listId) ?? []).map(ref);
}

/**
 * True when the pass's last movement on this list is an admission.
 * @param {State} state
 * @param {string} passId
 * @param {{listId?: string}} [options]
 */
export function isInside(state, passId, { listId = DEFAULT_LIST } = {}) {
  const moves = movementsByList(state, passId).get(listId) ?? [];
  return moves.length > 0 && !isExit(moves[moves.length - 1]);
}

/**
 * Passes inside now, per door list and tier (null: not cached), lists and tiers in code-point
 * order, the unknown tier last; only non-zero counts.
 * @param {State} state
 * @returns {InsideCount[]}
 */
export function insideCounts(state) {
  /** @type {Map<string, InsideCount>} */
  const counts = new Map();
  const exits = state.exits ?? {};
  for (const [passId, byDevice] of Object.entries(state.admissions)) {
    const status = passStatus(state, passId);
    const tier = status === null ? null : status.tier;
    const devices = Object.keys(byDevice);
    /** @type {string[]} */
    let inside;
    if (!has(exits, passId) && devices.length === 1 && byDevice[devices[0]].length === 1) {
      // The common case, one admission and no exit: inside on its list, nothing to order.
      inside = [scanList(state.scans[devices[0]][String(byDevice[devices[0]][0])])];
    } else {
      inside = [...movementsByList(state, passId)]
        .filter(([, moves]) => moves.length > 0 && !isExit(moves[moves.length - 1]))
        .map(([listId]) => listId);
    }
    for (const listId of inside) {
      const key = JSON.stringify([listId, tier]);
      const row = counts.get(key);
      if (row === undefined) counts.set(key, { list: listId, tier, inside: 1 });
      else row.inside += 1;
    }
  }
  return [...counts.values()].sort(
    (a, b) =>
      compareStrings(a.list, b.list) ||
      (a.tier === b.tier ? 0 : a.tier === null ? 1 : b.tier === null ? -1 : compareStrings(a.tier, b.tier)),
  );
}
