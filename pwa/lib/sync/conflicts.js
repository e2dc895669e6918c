// @ts-check
/**
 * Double admissions, which admission of a pass came first and how the others relate to it: the
 * mirror of sync/conflicts.py (sync/PROTOCOL.md section 14).
 *
 * Per door list, a pass's admissions and exits are put in one order and cut into stays at each
 * exit (./movements.js). Within a stay the first admission let the person in; every other one is
 * an override (its door had seen another admission of the stay) or a conflict (it could not): two
 * admissions with no exit between them. An admission after an exit is a re-entry, not listed.
 * With no exits this is the canonical first, the smallest root admission by (scanned_at, device
 * by code point, seq). The answer depends only on the scans held, never on their order, and
 * admissions of one pass on different lists are never compared.
 */

import { isExit, movementsByList, orderKey, saw, stays } from './movements.js';
import { DEFAULT_LIST, has, sortedStrings } from './wire.js';

/** @typedef {import('./wire.js').AdmissionRef} AdmissionRef */
/** @typedef {import('./wire.js').Conflict} Conflict */
/** @typedef {import('./wire.js').Scan} Scan */
/** @typedef {import('./wire.js').State} State */

/** @param {State} state @param {string} passId @returns {Scan[]} */
function admissionsOf(state, passId) {
  const byDevice = has(state.admissions, passId) ? state.admissions[passId] : {};
  return sortedStrings(Object.keys(byDevice)).flatMap((device) =>
    byDevice[device].map((seq) => state.scans[device][String(seq)]),
  );
}

/** @param {Scan} scan @returns {AdmissionRef} */
const ref = (scan) => ({
  device: scan.device,
  seq: scan.seq,
  scanned_at: scan.scanned_at,
  door: scan.door,
});

/**
 * The admission every replica calls first for this pass on this door list, or null.
 * @param {State} state
 * @param {string} passId
 * @param {{listId?: string}} [options]
 * @returns {AdmissionRef|null}
 */
export function canonicalFirst(state, passId, { listId = DEFAULT_LIST } = {}) {
  const moves = movementsByList(state, passId).get(listId) ?? [];
  const first = moves.find((move) => !isExit(move));
  return first === undefined ? null : ref(first);
}

/**
 * @param {string} passId
 * @param {string} listId
 * @param {Scan[]} moves
 * @returns {Conflict[]}
 */
function classifyList(passId, listId, moves) {
  /** @type {Array<[Scan, Conflict]>} */
  const out = [];
  for (const stay of stays(moves)) {
    const [first, ...others] = stay;
    for (const other of others) {
      const knew = stay.some((admission) => admission !== other && saw(other, admission));
      /** @type {Conflict} */
      const entry = {
        pass_id: passId,
        first: ref(first),
        other: ref(other),
        kind: knew ? 'override' : 'conflict',
      };
      if (listId !== DEFAULT_LIST) entry.list = listId;
      out.push([other, entry]);
    }
  }
  return out.sort(([a], [b]) => orderKey(a, b)).map(([, entry]) => entry);
}

/**
 * Every admission of the pass after the first of its stay, on every door list: lists in
 * code-point order of their ids, then by the other admission's (scanned_at, device, seq); an
 * entry names its `list` unless it is the default list.
 * @param {State} state
 * @param {string} passId
 * @returns {Conflict[]}
 */
export function classify(state, passId) {
  const byDevice = has(state.admissions, passId) ? state.admissions[passId] : {};
  // One admission or none: nothing to classify, whatever the exits.
  if (Object.values(byDevice).reduce((n, seqs) => n + seqs.length, 0) < 2) return [];
  return [...movementsByList(state, passId)].flatMap(([listId, moves]) =>
    classifyList(passId, listId, moves),
  );
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
 * Admissions of the pass by devices other than `device` ("also admitted 20:14 at Gate B"), on
 * every door list.
 * @param {State} state
 * @param {string} passId
 * @param {{device: string}} options
 * @returns {AdmissionRef[]}
 */
export function alsoAdmitted(state, passId, { device }) {
  return admissionsOf(state, passId)
    .sort(orderKey)
    .filter((scan) => scan.device !== device)
    .map(ref);
}
