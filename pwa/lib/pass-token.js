// @ts-check
/**
 * Pass tokens in the browser: parse the QR text and verify its Ed25519 signature offline.
 *
 * Layout (80 bytes, so the base32 text is exactly 128 characters, no padding), the same as
 * `api/passes/tokens.py`:
 *
 *     version (1, must be 1) | key id (4, big-endian, unsigned) | pass key (11) | signature (64)
 *
 * The signature covers the first 16 bytes. The scanner holds only the event's public keys, so a
 * lost phone admits nobody. `verifyToken` never throws: any input gets `{ok: true, kid, passId}`
 * or `{ok: false, reason}` with a stable reason code. Golden cases in
 * tests/fixtures/pass-tokens.json are shared with the Python verifier.
 */

import { PASS_KEY_BYTES, decodeBase32, passIdOf } from './base32.js';

export const VERSION = 1;
export const TOKEN_BYTES = 80;
export const TOKEN_CHARS = 128;
const SIGNED_BYTES = 1 + 4 + PASS_KEY_BYTES;

/** @typedef {'malformed'|'unsupported_version'|'unknown_key'|'bad_signature'} TokenReason */

/**
 * @typedef {{ok: true, kid: number, passId: string}
 *   | {ok: false, reason: TokenReason}} TokenCheck
 */

/** A public key as the bootstrap sends it. @typedef {{kid: number, public_key: string}} WireKey */

/** Key id -> imported Ed25519 public key. @typedef {Map<number, CryptoKey>} KeyRing */

/**
 * Check shape and version only; no signature.
 * @param {unknown} text
 * @returns {{ok: true, kid: number, passId: string, raw: Uint8Array}
 *   | {ok: false, reason: TokenReason}}
 */
export function parseToken(text) {
  if (typeof text !== 'string') return { ok: false, reason: 'malformed' };
  const cleaned = text.trim().toUpperCase();
  if (cleaned.length !== TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const raw = decodeBase32(cleaned);
  if (raw === null || raw.length !== TOKEN_BYTES) return { ok: false, reason: 'malformed' };
  if (raw[0] !== VERSION) return { ok: false, reason: 'unsupported_version' };
  const kid = new DataView(raw.buffer, raw.byteOffset).getUint32(1, false);
  return { ok: true, kid, passId: passIdOf(raw, 5), raw };
}

/**
 * Verify a scanned text against the event's keys. Never throws.
 * @param {unknown} text
 * @param {KeyRing} keys
 * @returns {Promise<TokenCheck>}
 */
export async function verifyToken(text, keys) {
  const shape = parseToken(text);
  if (!shape.ok) return shape;
  const key = keys.get(shape.kid);
  if (key === undefined) return { ok: false, reason: 'unknown_key' };
  try {
    const signature = /** @type {BufferSource} */ (shape.raw.subarray(SIGNED_BYTES));
    const data = /** @type {BufferSource} */ (shape.raw.subarray(0, SIGNED_BYTES));
    const good = await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, data);
    if (!good) return { ok: false, reason: 'bad_signature' };
  } catch {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true, kid: shape.kid, passId: shape.passId };
}

/**
 * Decode base64url (padding optional) to bytes.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function decodeBase64Url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Import the bootstrap's public keys. A key this browser cannot import is skipped and named in
 * `failed`, so the door can say why passes signed with it show as wrong event.
 * @param {ReadonlyArray<WireKey>} wireKeys
 * @returns {Promise<{keys: KeyRing, failed: number[]}>}
 */
export async function importKeys(wireKeys) {
  /** @type {KeyRing} */
  const keys = new Map();
  /** @type {number[]} */
  const failed = [];
  for (const { kid, public_key: publicKey } of wireKeys) {
    try {
      const raw = /** @type {BufferSource} */ (decodeBase64Url(publicKey));
      const key = await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
      keys.set(kid, key);
    } catch {
      failed.push(kid);
    }
  }
  return { keys, failed };
}

/**
 * The token argument of sync-core's `verdict`: a signed pass of this event, a pass of another
 * event (`unknown_key`: key ids are unique across events), or an invalid code (PROTOCOL.md
 * section 12.1). `code` is the scanned text, which debounce compares when no pass id was read.
 * @param {TokenCheck} check
 * @param {string} code
 * @returns {import('./sync-core.js').Token}
 */
export function coreToken(check, code) {
  if (check.ok) return { ok: true, pass_id: check.passId, event_ok: true, code };
  if (check.reason === 'unknown_key') return { ok: false, reason: 'wrong_event', code };
  return { ok: false, reason: 'invalid', code };
}
