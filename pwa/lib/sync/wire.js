// @ts-check
/**
 * Wire shapes of the sync protocol and the checks that guard them: the mirror of sync/wire.py
 * (sync/PROTOCOL.md sections 2, 5, 6, 9 and 10).
 *
 * Everything that crosses the wire or sits in a replica is plain JSON data; the typedefs name
 * those shapes, and a record may carry fields they do not list (old phones stay in the field for
 * months, so unknown fields are kept, never refused). `scanProblem` and `changeProblem` say in
 * the same English sentences as the Python what is wrong with a record, or return null. The
 * JavaScript-only helpers (`compareStrings`, `has`, the sorted key lists) live here too: they are
 * the encoding rules of section 2 that Python gets from its own `<` and `dict`.
 */

/** The origin of pass changes. No device may use it as its id. */
export const SERVER = 'server';

/** The id of the door list every event has: every tier, any time. A scan without `list` is on it. */
export const DEFAULT_LIST = 'default';

/** A scan's `direction`: absent (or anything but "out") is the way in. */
export const IN = 'in';
export const OUT = 'out';

/** @typedef {Record<string, number>} Vector origin -> highest gap-free seq held (missing = 0) */

/**
 * Status of one pass after a server change. Unknown extra fields are kept.
 * @typedef {{origin: string, seq: number, pass_id: string, status: string,
 *   tier?: string|null, reason?: string|null, [extra: string]: unknown}} PassChange
 */

/**
 * One scan on one device; `scanned_at` is corrected time. `list` is the door list the device was
 * bound to (absent or null: the default list); `direction` is "out" on a door scanning people out
 * (absent on the way in); `source` says how the pass was found when it was not a scanned code
 * ("search": by name on the phone, "dashboard": checked in from the dashboard). Unknown extra
 * fields are kept.
 * @typedef {{device: string, seq: number, pass_id: string|null, scanned_at: number,
 *   verdict: string, admitted: boolean, door: string, vector: Vector, list?: string|null,
 *   direction?: string|null, source?: string|null, [extra: string]: unknown}} Scan
 */

/**
 * Which passes a door admits and when (sync/PROTOCOL.md section 18): `tiers` null admits every
 * tier, `from`/`until` null leave the window open on that side. On the wire every field but
 * `list_id`, `seq` and `name` may be absent.
 * @typedef {{list_id: string, seq: number, name: string, tiers?: string[]|null,
 *   from?: number|null, until?: number|null, reentry?: boolean,
 *   [extra: string]: unknown}} DoorList
 */

/**
 * A door list with every field filled in, as `doorList` answers.
 * @typedef {{list_id: string, seq: number, name: string, tiers: string[]|null,
 *   from: number|null, until: number|null, reentry: boolean}} DoorRules
 */

/** @typedef {{status: string, tier: string|null, reason: string|null, seq: number}} PassStatus */

/** @typedef {{status: string, tier?: string|null, reason?: string|null}} SnapshotEntry */

/**
 * A bootstrap snapshot kept as it came (section 7.3; the door's `PackIndex`): pass id -> entry,
 * read like a Map.
 * @typedef {{size: number, get: (passId: string) => SnapshotEntry|undefined,
 *   keys: () => Iterable<string>}} PassMap
 */

/**
 * A replica. Seqs are decimal-string keys in `changes` and `scans`, integers elsewhere.
 * @typedef {{vector: Vector,
 *   changes: Record<string, PassChange>,
 *   scans: Record<string, Record<string, Scan>>,
 *   passes: Record<string, PassStatus>,
 *   snapshots?: Array<{seq: number, passes: PassMap}>,
 *   admissions: Record<string, Record<string, number[]>>,
 *   exits?: Record<string, Record<string, number[]>>,
 *   lists?: Record<string, DoorList>}} State
 */

/**
 * Answer to a pull; `lists` only when the request named `lists_after`.
 * @typedef {{changes: PassChange[], scans: Scan[], more: boolean, lists?: DoorList[]}} Page
 */

/** @typedef {{device: string, key: string, at: number}} Recent last shown verdict, for debounce */

/**
 * `list_name` only on the verdicts of a door list (wrong_list, not_yet, closed, tier_unknown).
 * @typedef {{code: string, pass_id: string|null, tier: string|null, reason: string|null,
 *   at: number|null, door: string|null, list_name?: string}} Verdict
 */

/** @typedef {{device: string, seq: number, scanned_at: number, door: string}} AdmissionRef */

/**
 * One admission or exit of a pass: which door, when, and which way ("in" or "out").
 * @typedef {{device: string, seq: number, scanned_at: number, door: string,
 *   direction: string}} MovementRef
 */

/**
 * How many passes of one tier (null: not cached) are inside on one door list.
 * @typedef {{list: string, tier: string|null, inside: number}} InsideCount
 */

/**
 * `list` names the door list, absent for the default list.
 * @typedef {{pass_id: string, first: AdmissionRef, other: AdmissionRef,
 *   kind: 'override'|'conflict', list?: string}} Conflict
 */

/** @typedef {{code: string, message: string, expected: number|null}} PushError */

/** Message 1, device -> server. @typedef {{device: string, scans: Scan[]}} PushRequest */
/** Message 2, server -> device. @typedef {{acked: number, server_time: number}} PushAnswer */
/**
 * Message 3, device -> server.
 * @typedef {{device: string, vector: Vector, limit?: number|null,
 *   lists_after?: number|null}} PullRequest
 */
/**
 * Message 4, server -> device.
 * @typedef {{changes: PassChange[], scans: Scan[], more: boolean, server_time: number,
 *   lists?: DoorList[]}} PullAnswer
 */

/** A record or argument the protocol refuses; `code` is a stable reason code. */
export class SyncError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'SyncError';
    this.code = code;
  }
}

/**
 * Own-property test: replicas are plain objects keyed by ids that may be "constructor" or
 * "__proto__", so `in` and plain indexing would lie.
 * @param {object} obj
 * @param {string} key
 */
export const has = (obj, key) => Object.hasOwn(obj, key);

/**
 * Compare strings by Unicode code point, as Python does (plain `<` compares UTF-16 units, which
 * puts U+E000..U+FFFF after astral characters).
 * @param {string} a
 * @param {string} b
 * @returns {number}
 */
export function compareStrings(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const sx = x >= 0xd800 && x <= 0xdfff;
      const sy = y >= 0xd800 && y <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : 1;
}

/** @param {Iterable<string>} keys */
export const sortedStrings = (keys) => [...keys].sort(compareStrings);
/** @param {Record<string, unknown>} obj */
export const sortedSeqs = (obj) => Object.keys(obj).map(Number).sort((a, b) => a - b);

/**
 * Deep-copy JSON data, so a replica never shares objects with its caller.
 * @template T
 * @param {T} value
 * @returns {T}
 */
export function clone(value) {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/**
 * True for a safe integer; booleans are not integers on the wire.
 * @param {unknown} value
 * @returns {value is number}
 */
export const isInt = (value) => Number.isSafeInteger(value);

/**
 * True for an object mapping origin strings to integers >= 0.
 * @param {unknown} value
 * @returns {value is Vector}
 */
export function isVector(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.values(value).every((v) => isInt(v) && v >= 0);
}

/** @param {unknown} v */
const strOrNull = (v) => v === null || v === undefined || (typeof v === 'string' && v !== '');
/** @param {unknown} v */
export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Say what makes `scan` unusable, or null.
 * @param {unknown} scan
 * @returns {string|null}
 */
export function scanProblem(scan) {
  if (!isObject(scan)) return 'must be an object';
  const s = /** @type {Record<string, unknown>} */ (scan);
  if (typeof s.device !== 'string' || s.device === '' || s.device === SERVER) {
    return '\'device\' must be a non-empty string other than "server"';
  }
  if (!isInt(s.seq) || s.seq < 1) return "'seq' must be an integer >= 1";
  if (s.pass_id === undefined || !strOrNull(s.pass_id)) {
    return "'pass_id' must be a non-empty string or null";
  }
  if (!isInt(s.scanned_at) || s.scanned_at < 0) {
    return "'scanned_at' must be an integer >= 0 (milliseconds since 1970)";
  }
  if (typeof s.verdict !== 'string') return "'verdict' must be a string";
  if (typeof s.admitted !== 'boolean') return "'admitted' must be a boolean";
  if (typeof s.door !== 'string') return "'door' must be a string";
  if (!isVector(s.vector)) return "'vector' must map origins to integers >= 0";
  if (!strOrNull(s.list)) return "'list' must be a non-empty string or null";
  if (s.direction !== undefined && s.direction !== null && typeof s.direction !== 'string') {
    return "'direction' must be a string or null";
  }
  if (s.source !== undefined && s.source !== null && typeof s.source !== 'string') {
    return "'source' must be a string or null";
  }
  return null;
}

/**
 * The door list a scan was made on: its `list`, or the default list when absent or null.
 * @param {Scan} scan
 * @returns {string}
 */
export const scanList = (scan) => scan.list || DEFAULT_LIST;

/**
 * Say what makes a pass change unusable, or null. `tier`/`reason` may be absent.
 * @param {unknown} change
 * @returns {string|null}
 */
export function changeProblem(change) {
  if (!isObject(change)) return 'must be an object';
  const c = /** @type {Record<string, unknown>} */ (change);
  if (c.origin !== SERVER) return '\'origin\' must be "server"';
  if (!isInt(c.seq) || c.seq < 1) return "'seq' must be an integer >= 1";
  if (typeof c.pass_id !== 'string' || c.pass_id === '') {
    return "'pass_id' must be a non-empty string";
  }
  if (typeof c.status !== 'string') return "'status' must be a string";
  if (!strOrNull(c.tier)) return "'tier' must be a non-empty string or null";
  if (!strOrNull(c.reason)) return "'reason' must be a non-empty string or null";
  return null;
}

/** @param {unknown} v */
const timeOrNull = (v) => v === null || v === undefined || (isInt(v) && v >= 0);

/**
 * Say what makes a door list record unusable, or null. Only list_id, seq and name are required.
 * @param {unknown} doorList
 * @returns {string|null}
 */
export function listProblem(doorList) {
  if (!isObject(doorList)) return 'must be an object';
  const l = /** @type {Record<string, unknown>} */ (doorList);
  if (typeof l.list_id !== 'string' || l.list_id === '') {
    return "'list_id' must be a non-empty string";
  }
  if (!isInt(l.seq) || l.seq < 1) return "'seq' must be an integer >= 1";
  if (typeof l.name !== 'string' || l.name === '') return "'name' must be a non-empty string";
  const { tiers } = l;
  if (
    tiers !== null && tiers !== undefined &&
    !(Array.isArray(tiers) && tiers.every((t) => typeof t === 'string' && t !== ''))
  ) {
    return "'tiers' must be a list of tier names or null";
  }
  if (!timeOrNull(l.from)) {
    return "'from' must be an integer >= 0 (milliseconds since 1970) or null";
  }
  if (!timeOrNull(l.until)) {
    return "'until' must be an integer >= 0 (milliseconds since 1970) or null";
  }
  if (l.reentry !== undefined && typeof l.reentry !== 'boolean') return "'reentry' must be a boolean";
  return null;
}
