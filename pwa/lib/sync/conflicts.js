// @ts-check
/**
 * Double admissions, which admission of a pass came first and how the others relate to it: the
 * mirror of sync/conflicts.py (sync/PROTOCOL.md section 13).
 *
 * The canonical first is the smallest root admission (one whose door knew of no other) by
 * (scanned_at, device by code point, seq); every other admission is an override (its door knew)
 * or a conflict (it could not). The answer depends only on the scans held, never on their order.
 */

import { covers } from './dots.js';
import { compareStrings, has, sortedStrings } from './wire.js';

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
