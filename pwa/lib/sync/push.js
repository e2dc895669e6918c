// @ts-check
/**
 * Push and acknowledgement, how a device's scans reach the server exactly once: the mirror of
 * sync/push.py (sync/PROTOCOL.md section 8).
 *
 * The device uploads its outbox in seq order; the server checks the batch (`validatePush`), stores
 * it and answers the highest gap-free seq it holds; the device drops its outbox up to there
 * (`ackOutbox`). A refused batch stores nothing.
 */

import { isInt, scanProblem } from './wire.js';

/** @typedef {import('./wire.js').PushError} PushError */
/** @typedef {import('./wire.js').Scan} Scan */

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
