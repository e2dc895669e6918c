// @ts-check
/**
 * RFC 4648 base32 (alphabet A–Z, 2–7), without padding, plus the 18-character pass id.
 *
 * Pass tokens are base32 so a QR encoder can use alphanumeric mode; pass ids are the base32 of
 * the 11-byte pass key (88 bits, padded with 2 zero bits to 18 characters), exactly as
 * `api/passes/tokens.py:pass_key_text` writes them. Hand-written because the pass cache turns
 * 50,000 keys into ids at every cold start: a lookup table and no intermediate strings.
 */

export const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Character code -> 5-bit value, or -1. */
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/**
 * Encode bytes[start, end) as base32 without padding; the last group is filled with zero bits.
 * @param {Uint8Array} bytes
 * @param {number} [start]
 * @param {number} [end]
 * @returns {string}
 */
export function encodeBase32(bytes, start = 0, end = bytes.length) {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = start; i < end; i++) {
    buffer = ((buffer << 8) | bytes[i]) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decode upper-case base32 without padding; null if a character is outside the alphabet or the
 * length leaves a partial byte with non-zero bits.
 * @param {string} text
 * @returns {Uint8Array|null}
 */
export function decodeBase32(text) {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? VALUES[code] : -1;
    if (value < 0) return null;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  if (bits >= 5 || (buffer & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** Bytes in a pass key. */
export const PASS_KEY_BYTES = 11;
/** Characters in a pass id. */
export const PASS_ID_CHARS = 18;

/**
 * The pass id text of the 11-byte pass key starting at `offset`.
 * @param {Uint8Array} bytes
 * @param {number} [offset]
 * @returns {string}
 */
export function passIdOf(bytes, offset = 0) {
  return encodeBase32(bytes, offset, offset + PASS_KEY_BYTES);
}
