// @ts-check
/**
 * Clock correction: the mirror of sync/clock.py (sync/PROTOCOL.md section 11). Scans carry the
 * device clock plus its offset to the server clock, so a phone whose clock is hours off still
 * orders its admissions correctly.
 */

import { isInt } from './wire.js';

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
