// @ts-check
/**
 * Double admissions, which admission of a pass came first and how the others relate to it: the
 * mirror of sync/conflicts.py (sync/PROTOCOL.md section 13).
 *
 * The canonical first is the smallest root admission (one whose door knew of no other) by
 * (scanned_at, device by code point, seq); every other admission is an override (its door knew)
 * or a conflict (it could not). The answer depends only on the scans held, never on their order.
 * All of it is per door list: admissions of one pass on different lists are never compared.
 */

import { covers } from './dots.js';
import { DEFAULT_LIST, compareStrings, has, scanList, sortedStrings } from './wire.js';

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

/**
 * The admissions grouped by door list, lists in code-point order of their ids.
 * @param {Scan[]} admissions
 * @returns {Array<[string, Scan[]]>}
 */
function byList(admissions) {
  /** @type {Map<string, Scan[]>} */
  const out = new Map();
  for (const scan of admissions) {
    const listId = scanList(scan);
    const group = out.get(listId);
    if (group === undefined) out.set(listId, [scan]);
    else group.push(scan);
  }
  return sortedStrings(out.keys()).map((listId) => [listId, /** @type {Scan[]} */ (out.get(listId))]);
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
 * The admission every replica calls first for this pass on this door list, or null.
 * @param {State} state
 * @param {string} passId
 * @param {{listId?: string}} [options]
 * @returns {AdmissionRef|null}
 */
export function canonicalFirst(state, passId, { listId = DEFAULT_LIST } = {}) {
  const first = firstOf(admissionsOf(state, passId).filter((a) => scanList(a) === listId));
  return first === null ? null : ref(first);
}

/**
 * @param {string} passId
 * @param {string} listId
 * @param {Scan[]} admissions
 * @returns {Conflict[]}
 */
function classifyList(passId, listId, admissions) {
  const first = firstOf(admissions);
  if (first === null) return [];
  return [...admissions]
    .sort(byOrder)
    .filter((other) => other !== first)
    .map((other) => {
      /** @type {Conflict} */
      const entry = {
        pass_id: passId,
        first: ref(first),
        other: ref(other),
        kind: sawAny(other, admissions) ? 'override' : 'conflict',
      };
      if (listId !== DEFAULT_LIST) entry.list = listId;
      return entry;
    });
}

/**
 * Every admission of the pass after the canonical first of its door list: lists in code-point
 * order of their ids, then by (scanned_at, device, seq); an entry names its `list` unless it is
 * the default list.
 * @param {State} state
 * @param {string} passId
 * @returns {Conflict[]}
 */
export function classify(state, passId) {
  return byList(admissionsOf(state, passId)).flatMap(([listId, admissions]) =>
    classifyList(passId, listId, admissions),
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
    .sort(byOrder)
    .filter((scan) => scan.device !== device)
    .map(ref);
}
