// @ts-check
/**
 * Origins, dots and version vectors: the mirror of sync/dots.py (sync/PROTOCOL.md sections 3-4).
 *
 * A version vector {origin: n} says "I hold every change of origin numbered 1..n"; it only moves
 * over gap-free runs and never holds zeros, so equal knowledge gives equal vectors.
 */

import { has, sortedStrings } from './wire.js';

/** @typedef {import('./wire.js').Vector} Vector */

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
export function advance(vector, origin, held) {
  let high = has(vector, origin) ? vector[origin] : 0;
  while (held(high + 1)) high += 1;
  if (high > 0) vector[origin] = high;
  return high;
}
