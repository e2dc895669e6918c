// @ts-check
/**
 * The bootstrap's pass pack: every pass of the event, 13 bytes each.
 *
 *     pass key (11) | status byte (0 valid, 1 void refunded, 2 void disputed, 3 void cancelled)
 *                   | tier index (into the bootstrap's `tiers`)
 *
 * Why chunks: IndexedDB costs ~66 µs per `put`, so one record per pass makes a 50,000-pass
 * cold start take seconds. The pack is stored as a few ArrayBuffers of CHUNK_PASSES records
 * each (one put per chunk) and turned into the in-memory pass index at start-up, which takes
 * tens of milliseconds. Status objects are shared between passes with the same status and tier,
 * so the snapshot for 50,000 passes holds a handful of objects besides its keys.
 */

import { PASS_KEY_BYTES, passIdOf } from './base32.js';

export const RECORD_BYTES = PASS_KEY_BYTES + 2;
export const CHUNK_PASSES = 5000;

/**
 * The pass pack as the bootstrap answer carries it: base64 `data` in the JSON bootstrap, or
 * `bytes` after the answer in the binary one (`readBootstrap`).
 * @typedef {{count: number, data: string, bytes?: Uint8Array}} WirePassPack
 */
/** @typedef {{status: string, tier: string|null, reason: string|null}} SnapshotEntry */

/** Status byte -> [status, reason]; unknown bytes fail closed (sync-core calls them void). */
const STATUS_BYTES = /** @type {const} */ ([
  ['valid', null],
  ['void', 'refunded'],
  ['void', 'disputed'],
  ['void', 'cancelled'],
]);

/**
 * Sync-core status words for a status byte.
 * @param {number} byte
 * @returns {{status: string, reason: string|null}}
 */
export function statusOf(byte) {
  const known = STATUS_BYTES[byte];
  if (known !== undefined) return { status: known[0], reason: known[1] };
  return { status: `unknown_${byte}`, reason: null };
}

/**
 * Standard base64 to bytes.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function decodeBase64(text) {
  const fromBase64 = /** @type {any} */ (Uint8Array).fromBase64;
  if (typeof fromBase64 === 'function') return fromBase64(text);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Decode the wire pack and cut it into chunks ready to store. Throws on a pack whose length
 * does not match its count.
 * @param {WirePassPack} pack
 * @param {number} [chunkPasses]
 * @returns {ArrayBuffer[]}
 */
export function packChunks(pack, chunkPasses = CHUNK_PASSES) {
  const bytes = pack.bytes ?? decodeBase64(pack.data);
  if (bytes.length !== pack.count * RECORD_BYTES) {
    throw new Error(`pass pack: ${bytes.length} bytes for ${pack.count} passes`);
  }
  const step = chunkPasses * RECORD_BYTES;
  /** @type {ArrayBuffer[]} */
  const chunks = [];
  for (let at = 0; at < bytes.length; at += step) {
    const end = bytes.byteOffset + Math.min(at + step, bytes.length);
    chunks.push(/** @type {ArrayBuffer} */ (bytes.buffer.slice(bytes.byteOffset + at, end)));
  }
  return chunks;
}

export const BOOTSTRAP_MEDIA_TYPE = 'application/vnd.poctix.bootstrap';
const MAGIC = [0x50, 0x58, 0x42, 0x31]; // "PXB1"

/**
 * Read the binary bootstrap (GET /api/v1/scanner/bootstrap/binary): "PXB1", the answer's length
 * (4 bytes, big-endian), the JSON answer with an empty `passes.data`, then the pass records,
 * which become `passes.bytes` (a view, not a copy). Throws on anything else.
 * @param {ArrayBuffer} body
 * @returns {any} the bootstrap answer
 */
export function readBootstrap(body) {
  const bytes = new Uint8Array(body);
  if (bytes.length < 8 || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw new Error('bootstrap: not a POCtix binary bootstrap');
  }
  const length = new DataView(body).getUint32(4);
  if (8 + length > bytes.length) throw new Error('bootstrap: cut short in its header');
  const answer = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  answer.passes.bytes = bytes.subarray(8 + length);
  return answer;
}

/**
 * Build the snapshot sync-core's `applySnapshot` takes: pass id -> {status, tier, reason}.
 * A null-prototype object, so lookups are a hash probe and no pass id can hit a prototype key.
 * @param {ReadonlyArray<ArrayBuffer>} chunks
 * @param {ReadonlyArray<string>} tiers
 * @returns {{passes: Record<string, SnapshotEntry>, count: number}}
 */
export function snapshotOf(chunks, tiers) {
  /** @type {Record<string, SnapshotEntry>} */
  const passes = Object.create(null);
  /** @type {Map<number, SnapshotEntry>} */
  const shared = new Map();
  let count = 0;
  for (const chunk of chunks) {
    const bytes = new Uint8Array(chunk);
    const end = bytes.length - (bytes.length % RECORD_BYTES);
    for (let at = 0; at < end; at += RECORD_BYTES) {
      const statusByte = bytes[at + PASS_KEY_BYTES];
      const tierIndex = bytes[at + PASS_KEY_BYTES + 1];
      const kind = (statusByte << 8) | tierIndex;
      let entry = shared.get(kind);
      if (entry === undefined) {
        const { status, reason } = statusOf(statusByte);
        entry = Object.freeze({ status, tier: tiers[tierIndex] ?? null, reason });
        shared.set(kind, entry);
      }
      passes[passIdOf(bytes, at)] = entry;
      count += 1;
    }
  }
  return { passes, count };
}
