// @ts-check
/**
 * The bootstrap's pass pack: every pass of the event, 13 bytes each.
 *
 *     pass key (11) | status byte (0 valid, 1 void refunded, 2 void disputed, 3 void cancelled,
 *                     4 void event cancelled)
 *                   | tier index (into the bootstrap's `tiers`)
 *
 * Why chunks: IndexedDB costs ~66 µs per `put`, so one record per pass makes a 50,000-pass
 * cold start take seconds. The pack is stored as a few ArrayBuffers of CHUNK_PASSES records
 * each (one put per chunk).
 *
 * Why a `PackIndex` and not an object of pass ids: turning 200,000 keys into base32 ids and
 * inserting them into a dictionary took about a second of a phone's main thread at every start
 * (and as much again in garbage). The index keeps the records as they came and hashes the keys'
 * bytes into one typed array (a few milliseconds); a lookup decodes the scanned id back to its
 * 11 bytes. The sync core keeps it as the snapshot (`applySnapshot` with a map, PROTOCOL.md
 * section 7.3) instead of copying it. Status objects are shared between passes with the same
 * status and tier.
 */

import { PASS_ID_CHARS, PASS_KEY_BYTES, decodeBase32, passIdOf } from './base32.js';

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
  ['void', 'event_cancelled'],
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

/** Status byte and tier index of a record, as one number (the shared entry's key). */
const kindAt = (/** @type {Uint8Array} */ bytes, /** @type {number} */ at) =>
  (bytes[at + PASS_KEY_BYTES] << 8) | bytes[at + PASS_KEY_BYTES + 1];

/**
 * Hash of the 11-byte key at `at` (FNV-1a; the keys are random, this only spreads them).
 * @param {Uint8Array} bytes
 * @param {number} at
 */
function hashKey(bytes, at) {
  let hash = 0x811c9dc5;
  for (let i = at; i < at + PASS_KEY_BYTES; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
}

/**
 * Every pass of a pack, found by pass id without a string per pass: open addressing over the
 * records (linear probing, at most half full). Answers like a read-only `Map` of pass id ->
 * {status, tier, reason} (`get`, `has`, `size`), which is what the sync core's snapshot takes.
 */
export class PackIndex {
  /**
   * @param {ReadonlyArray<ArrayBuffer>} chunks stored pack chunks (whole records each)
   * @param {ReadonlyArray<string>} tiers
   */
  constructor(chunks, tiers) {
    let length = 0;
    for (const chunk of chunks) length += chunk.byteLength - (chunk.byteLength % RECORD_BYTES);
    /** The records, one after another. */
    this.records = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      const whole = chunk.byteLength - (chunk.byteLength % RECORD_BYTES);
      this.records.set(new Uint8Array(chunk, 0, whole), at);
      at += whole;
    }
    const count = length / RECORD_BYTES;
    let size = 16;
    while (size < count * 2) size *= 2;
    this.mask = size - 1;
    /** Slot -> record number + 1 (0: empty). */
    this.slots = new Int32Array(size);
    /** Slot -> hash of its key: a probe compares keys only when the hashes agree. */
    this.hashes = new Uint32Array(size);
    /** @type {Map<number, SnapshotEntry>} */
    this.entries = new Map();
    this.tiers = tiers;
    this.size = 0;
    const { records, slots, hashes, mask } = this;
    for (let record = 0, at = 0; record < count; record++, at += RECORD_BYTES) {
      const hash = hashKey(records, at);
      for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
        const held = slots[slot];
        if (held === 0) {
          slots[slot] = record + 1;
          hashes[slot] = hash;
          this.size += 1;
          break;
        }
        if (hashes[slot] === hash && sameKey(records, (held - 1) * RECORD_BYTES, records, at)) {
          slots[slot] = record + 1; // the same pass twice: the later record wins, as in a Map
          break;
        }
      }
    }
  }

  /**
   * Where the record of a pass key starts, or -1.
   * @param {Uint8Array} key 11 bytes
   */
  find(key) {
    const { records, slots, hashes, mask } = this;
    const hash = hashKey(key, 0);
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = slots[slot];
      if (held === 0) return -1;
      const at = (held - 1) * RECORD_BYTES;
      if (hashes[slot] === hash && sameKey(records, at, key, 0)) return at;
    }
  }

  /**
   * The pass's entry, or undefined (also for text that is no pass id).
   * @param {string} passId
   * @returns {SnapshotEntry|undefined}
   */
  get(passId) {
    if (typeof passId !== 'string' || passId.length !== PASS_ID_CHARS) return undefined;
    const key = decodeBase32(passId);
    if (key === null) return undefined;
    const at = this.find(key);
    return at < 0 ? undefined : this.entryOf(kindAt(this.records, at));
  }

  /** @param {string} passId */
  has(passId) {
    return this.get(passId) !== undefined;
  }

  /**
   * The shared entry of a status byte and tier index.
   * @param {number} kind
   */
  entryOf(kind) {
    let entry = this.entries.get(kind);
    if (entry === undefined) {
      const { status, reason } = statusOf(kind >> 8);
      entry = Object.freeze({ status, tier: this.tiers[kind & 0xff] ?? null, reason });
      this.entries.set(kind, entry);
    }
    return entry;
  }

  /** Every pass id (a string each: for tests and tools, not the door's start). */
  *keys() {
    for (let at = 0; at < this.records.length; at += RECORD_BYTES) {
      const key = this.records.subarray(at, at + PASS_KEY_BYTES);
      if (this.find(key) === at) yield passIdOf(this.records, at);
    }
  }
}

/**
 * @param {Uint8Array} a
 * @param {number} atA
 * @param {Uint8Array} b
 * @param {number} atB
 */
function sameKey(a, atA, b, atB) {
  for (let i = 0; i < PASS_KEY_BYTES; i++) if (a[atA + i] !== b[atB + i]) return false;
  return true;
}

/**
 * The snapshot sync-core's `applySnapshot` takes, from stored chunks: a `PackIndex`, and how
 * many passes it holds.
 * @param {ReadonlyArray<ArrayBuffer>} chunks
 * @param {ReadonlyArray<string>} tiers
 * @returns {{passes: PackIndex, count: number}}
 */
export function snapshotOf(chunks, tiers) {
  const passes = new PackIndex(chunks, tiers);
  return { passes, count: passes.size };
}
