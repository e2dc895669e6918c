// @ts-check
/**
 * Test doubles for the door scanner's pure logic: an in-memory store with ScannerStore's
 * methods, a localStorage stand-in, and a scanner server whose rules are sync-core's own (the
 * Python server runs the same rules), with real Ed25519 pass tokens; `pairedDoor` pairs a door
 * with that server.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

import { encodeBase32, passIdOf } from '../../pwa/lib/base32.js';
import { Door } from '../../pwa/lib/door.js';
import { ApiError } from '../../pwa/lib/sync-client.js';
import * as core from '../../pwa/lib/sync-core.js';

/** A localStorage stand-in (the phone's settings and PIN lock keep their state in it). */
export class MemoryStorage {
  constructor() {
    /** @type {Map<string, string>} */
    this.items = new Map();
  }

  /** @param {string} key */
  getItem(key) {
    return this.items.get(key) ?? null;
  }

  /** @param {string} key @param {string} value */
  setItem(key, value) {
    this.items.set(key, value);
  }
}

export class MemoryStore {
  constructor() {
    /** @type {Record<string, any>} */
    this.meta = {};
    /** @type {ArrayBuffer[]} */
    this.chunks = [];
    /** @type {Map<number, any>} */
    this.changes = new Map();
    /** @type {Map<string, any>} */
    this.scans = new Map();
    /** @type {Map<number, any>} */
    this.outbox = new Map();
    /** @type {Map<string, any>} */
    this.alerts = new Map();
    /** @type {any[]} */
    this.archive = [];
    this.failWrites = false;
  }

  async load() {
    const copy = structuredClone;
    return {
      meta: copy(this.meta),
      chunks: this.chunks.map((c) => c.slice(0)),
      changes: copy([...this.changes.values()]),
      scans: copy([...this.scans.values()]),
      outbox: copy([...this.outbox.values()]),
      alerts: copy([...this.alerts.values()]),
    };
  }

  /** @param {any} identity */
  async pair(identity) {
    await this.unpair();
    this.meta.identity = structuredClone(identity);
  }

  async unpair() {
    this.archive.push(...this.outbox.values());
    Object.assign(this, new MemoryStore(), { archive: this.archive });
  }

  /** @param {any} boot */
  async saveBootstrap(boot) {
    this.chunks = boot.chunks.map((/** @type {ArrayBuffer} */ c) => c.slice(0));
    for (const key of ['event', 'keys', 'tiers', 'pack', 'vector']) this.meta[key] = structuredClone(boot[key]);
  }

  /** @param {any} scan @param {any} vector */
  async recordScan(scan, vector) {
    if (this.failWrites) throw new Error('disk full');
    this.scans.set(`${scan.device}:${scan.seq}`, structuredClone(scan));
    this.outbox.set(scan.seq, structuredClone(scan));
    this.meta.seq = scan.seq;
    this.meta.vector = structuredClone(vector);
  }

  /** @param {number} acked */
  async acknowledge(acked) {
    for (const seq of [...this.outbox.keys()]) if (seq <= acked) this.outbox.delete(seq);
  }

  /** @param {any} record */
  async saveMerge(record) {
    for (const c of record.changes) this.changes.set(c.seq, structuredClone(c));
    for (const s of record.scans) this.scans.set(`${s.device}:${s.seq}`, structuredClone(s));
    for (const a of record.alerts) this.alerts.set(a.id, structuredClone(a));
    this.meta.vector = structuredClone(record.vector);
    this.meta.offset = record.offset;
  }

  /** @param {any[]} alerts */
  async saveAlerts(alerts) {
    for (const a of alerts) this.alerts.set(a.id, structuredClone(a));
  }

  /** @param {string} key @param {unknown} value */
  async setMeta(key, value) {
    this.meta[key] = structuredClone(value);
  }
}

/** Status word -> pack status byte. */
const STATUS_BYTE = { valid: 0, refunded: 1, disputed: 2, cancelled: 3, event_cancelled: 4 };

/**
 * One event on a fake server: passes with real tokens, a replica with sync-core's rules, and the
 * scanner endpoints as plain async functions (createApi's shape).
 */
export class FakeServer {
  /** @param {{passes?: number, tiers?: string[], clock?: () => number}} [options] */
  constructor({ passes = 3, tiers = ['General', 'VIP'], clock = () => 1750000000000 } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.kid = 0x5eed0001;
    const jwk = publicKey.export({ format: 'jwk' });
    this.wireKeys = [{ kid: this.kid, public_key: /** @type {string} */ (jwk.x) }];
    this.tiers = tiers;
    this.clock = clock;
    this.state = core.newState();
    /** @type {Array<{key: Buffer, tier: number, status: keyof typeof STATUS_BYTE}>} */
    this.passes = [];
    /** @type {Map<string, string>} device id -> token */
    this.devices = new Map();
    /** @type {Map<string, string>} device id -> the door list it applies */
    this.deviceLists = new Map();
    this.revoked = new Set();
    this.offline = false;
    /** @type {any[]} every push body, for assertions */
    this.pushes = [];
    /** @type {any[]} every pull body, for assertions */
    this.pulls = [];
    /**
     * What this server cannot store (PROTOCOL.md 9.4): a reason, or null to store the scan.
     * @type {(scan: any) => string|null}
     */
    this.cannotStore = () => null;
    for (let i = 0; i < passes; i++) this.issue(i % tiers.length);
  }

  /** Sell a pass after bootstraps: a pass change with the next server seq. @param {number} tier */
  issue(tier = 0) {
    const key = randomBytes(11);
    this.passes.push({ key, tier, status: 'valid' });
    this.change(this.passes.length - 1);
    return this.passes.length - 1;
  }

  /** @param {number} index @param {'refunded'|'disputed'|'cancelled'} reason */
  voidPass(index, reason = 'refunded') {
    this.passes[index].status = reason;
    this.change(index);
  }

  /** @param {number} index */
  change(index) {
    const p = this.passes[index];
    const seq = core.heldHigh(this.state, core.SERVER) + 1;
    core.applyPassChange(this.state, {
      origin: core.SERVER,
      seq,
      pass_id: passIdOf(p.key),
      status: p.status === 'valid' ? 'valid' : 'void',
      tier: this.tiers[p.tier],
      reason: p.status === 'valid' ? null : p.status,
    });
  }

  /** @param {number} index */
  passId(index) {
    return passIdOf(this.passes[index].key);
  }

  /** The QR text of pass `index`. @param {number} index @param {number} [kid] */
  token(index, kid = this.kid) {
    const body = Buffer.alloc(16);
    body[0] = 1;
    body.writeUInt32BE(kid, 1);
    this.passes[index].key.copy(body, 5);
    return encodeBase32(new Uint8Array(Buffer.concat([body, sign(null, body, this.privateKey)])));
  }

  /** @param {string} token */
  deviceOf(token) {
    if (this.offline) throw new TypeError('Failed to fetch');
    const device = [...this.devices].find(([, t]) => t === token)?.[0];
    if (device === undefined || this.revoked.has(device)) throw new ApiError(401, 'unknown device');
    return device;
  }

  /** @template T @param {T} data */
  answer(data) {
    const at = this.clock();
    return { data: { ...data, server_time: at }, sentAt: at, receivedAt: at };
  }

  /**
   * A door list record (PROTOCOL.md section 18), as the organizer saves it.
   * @param {any} record
   */
  saveList(record) {
    core.applyList(this.state, record);
  }

  /**
   * Pair a phone; `list` and `maySearch` stand for what the pairing link says.
   * @param {{code: string, name: string}} body
   * @param {{list?: string, maySearch?: boolean}} [link]
   */
  async pair({ name }, { list = 'default', maySearch = false } = {}) {
    const device = `device-${this.devices.size + 1}`;
    const token = `token-${device}`;
    this.devices.set(device, token);
    this.deviceLists.set(device, list);
    return this.answer({ device_id: device, token, event_id: 'event-1', event_name: 'Demo',
      door: name || 'Main gate', list, may_search: maySearch });
  }

  /** @param {string} token */
  async bootstrap(token) {
    const device = this.deviceOf(token);
    const bytes = Buffer.alloc(this.passes.length * 13);
    this.passes.forEach((p, i) => {
      p.key.copy(bytes, i * 13);
      bytes[i * 13 + 11] = STATUS_BYTE[p.status];
      bytes[i * 13 + 12] = p.tier;
    });
    return this.answer({
      event: { id: 'event-1', name: 'Demo', venue: 'Hall', timezone: 'America/New_York', starts_at: 0, ends_at: 1 },
      device: { id: device, door: 'Main gate', list: this.deviceLists.get(device) ?? 'default' },
      lists: Object.values(this.state.lists ?? {}),
      keys: this.wireKeys,
      tiers: this.tiers,
      passes: { count: this.passes.length, data: bytes.toString('base64') },
      vector: { server: core.heldHigh(this.state, core.SERVER) },
    });
  }

  /** @param {string} token @param {{scans: any[], pending: number}} body */
  async push(token, body) {
    const device = this.deviceOf(token);
    this.pushes.push(structuredClone(body));
    const problem = core.validatePush({ device, heldHigh: core.heldHigh(this.state, device), scans: body.scans });
    if (problem !== null) throw new ApiError(422, problem.message);
    /** @type {Array<{seq: number, code: string, reason: string}>} */
    const refused = [];
    const stored = body.scans.map((/** @type {any} */ scan) => {
      const reason = this.cannotStore(scan);
      if (reason === null) return scan;
      refused.push({ seq: scan.seq, code: 'refused', reason });
      return { device, seq: scan.seq, pass_id: null, scanned_at: this.clock(), verdict: 'refused',
        admitted: false, door: '', vector: {}, refused: 'refused' };
    });
    core.merge(this.state, stored);
    return this.answer({ acked: core.heldHigh(this.state, device), refused });
  }

  /** @param {string} token @param {{vector: any, limit: number, lists_after?: number}} body */
  async pull(token, body) {
    const device = this.deviceOf(token);
    this.pulls.push(structuredClone(body));
    const listsAfter = body.lists_after ?? null;
    return this.answer(core.changesSince(this.state, body.vector, { forDevice: device, limit: body.limit, listsAfter }));
  }
}

/**
 * A door phone paired with `server` through a link (`link`: its list, search) and bootstrapped,
 * with a clock of its own that starts at `now` (the test moves `clock.now`).
 * @param {FakeServer} server
 * @param {string} name
 * @param {{now?: number, link?: {list?: string, maySearch?: boolean}}} [options]
 */
export async function pairedDoor(server, name, { now = 1750000000000, link = {} } = {}) {
  const clock = { now };
  const store = new MemoryStore();
  const door = new Door({ store, clock: () => clock.now });
  const paired = await server.pair({ code: 'x'.repeat(16), name }, link);
  await door.pair(paired.data);
  await door.bootstrap((await server.bootstrap(paired.data.token)).data);
  return { door, store, clock };
}
