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
 * This module is the package's front door, as sync/__init__.py is for Python: it only re-exports.
 * The rules live in pwa/lib/sync/, one module per Python module, so a change to sync/x.py has
 * its twin in pwa/lib/sync/x.js:
 *
 *     wire       record shapes and their checks (Scan, PassChange, ..., SyncError, compareStrings)
 *     dots       version vectors (covers, mergeVectors, contiguousHigh)
 *     replica    a replica and how it learns (newState, apply*, merge, changesSince)
 *     lists      door lists: which tiers a door admits, and when (applyList, doorList, ...)
 *     push       upload and acknowledgement (validatePush, ackOutbox)
 *     verdicts   what the door shows (verdict, newScan, scanKey)
 *     messages   the human words for a verdict (message)
 *     movements  exits, re-entry and who is inside (movements, isInside, insideCounts)
 *     conflicts  double admissions (canonicalFirst, classify, conflicts, alsoAdmitted)
 *     clock      clock correction (clockOffset, correctedNow)
 *
 * These functions mutate the state they are given (a 50,000-pass replica is too big to copy per
 * scan). Runs unchanged in browsers and in node 20.
 */

export { clockOffset, correctedNow } from './sync/clock.js';
export { alsoAdmitted, canonicalFirst, classify, conflicts } from './sync/conflicts.js';
export { contiguousHigh, covers, mergeVectors } from './sync/dots.js';
export { DEFAULT_NAME, applyList, doorList, listsHigh, mergeLists } from './sync/lists.js';
export { message } from './sync/messages.js';
export { insideCounts, isExit, isInside, movements } from './sync/movements.js';
export { ackOutbox, validatePush } from './sync/push.js';
export {
  applyPassChange,
  applyScan,
  applySnapshot,
  changesSince,
  heldHigh,
  isPassChange,
  merge,
  newState,
  passCount,
  passStatus,
} from './sync/replica.js';
export { DEBOUNCE_MS, GREEN_CODES, isRepeat, newScan, scanKey, verdict } from './sync/verdicts.js';
export {
  DEFAULT_LIST,
  IN,
  OUT,
  SERVER,
  SyncError,
  changeProblem,
  clone,
  compareStrings,
  isInt,
  isVector,
  listProblem,
  scanList,
  scanProblem,
} from './sync/wire.js';

/** @typedef {import('./sync/messages.js').Message} Message */
/** @typedef {import('./sync/verdicts.js').Token} Token */
/** @typedef {import('./sync/wire.js').AdmissionRef} AdmissionRef */
/** @typedef {import('./sync/wire.js').Conflict} Conflict */
/** @typedef {import('./sync/wire.js').DoorList} DoorList */
/** @typedef {import('./sync/wire.js').DoorRules} DoorRules */
/** @typedef {import('./sync/wire.js').InsideCount} InsideCount */
/** @typedef {import('./sync/wire.js').MovementRef} MovementRef */
/** @typedef {import('./sync/wire.js').Page} Page */
/** @typedef {import('./sync/wire.js').PassChange} PassChange */
/** @typedef {import('./sync/wire.js').PassMap} PassMap */
/** @typedef {import('./sync/wire.js').PassStatus} PassStatus */
/** @typedef {import('./sync/wire.js').PullAnswer} PullAnswer */
/** @typedef {import('./sync/wire.js').PullRequest} PullRequest */
/** @typedef {import('./sync/wire.js').PushAnswer} PushAnswer */
/** @typedef {import('./sync/wire.js').PushError} PushError */
/** @typedef {import('./sync/wire.js').PushRequest} PushRequest */
/** @typedef {import('./sync/wire.js').Recent} Recent */
/** @typedef {import('./sync/wire.js').Scan} Scan */
/** @typedef {import('./sync/wire.js').State} State */
/** @typedef {import('./sync/wire.js').Vector} Vector */
/** @typedef {import('./sync/wire.js').Verdict} Verdict */
