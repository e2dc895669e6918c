// @ts-check
/**
 * One door phone's replica: what it knows, how a scan becomes a verdict and a stored scan, and
 * how sync answers flow in. Every rule (verdict, debounce, seq, vector, merge, conflicts, clock)
 * is sync-core's; this module only wires it to the token verifier, the pass pack and the store.
 *
 * Scans are serialised through one queue: two codes read 50 ms apart must not both take seq n.
 * A scan is applied to the in-memory replica, then written (scan + outbox + seq in one
 * transaction), and only then handed back for display.
 *
 * The door scans in or out (`direction`, the phone's toggle) on its door list; "inside now" on
 * that list is counted once at load and then kept by the passes each scan or pull touches, so
 * a 50,000-pass door does not recount everyone per scan.
 */

import { packChunks, snapshotOf } from './pass-pack.js';
import { coreToken, importKeys, verifyToken } from './pass-token.js';
import {
  DEFAULT_LIST,
  IN,
  OUT,
  SERVER,
  ackOutbox,
  applyScan,
  applySnapshot,
  changeProblem,
  classify,
  clockOffset,
  correctedNow,
  doorList,
  insideCounts,
  isInside,
  listProblem,
  merge,
  mergeLists,
  newScan,
  newState,
  passCount,
  passStatus,
  scanKey,
  scanProblem,
  verdict,
} from './sync-core.js';

/** Longest code text kept in a scan of a code that did not verify (WireScan.code). */
const CODE_CHARS = 200;
/** The `source` of a check-in from a guest found by name (PROTOCOL.md section 6). */
export const SEARCH = 'search';

/** @typedef {import('./sync-core.js').Scan} Scan */
/** @typedef {import('./sync-core.js').Verdict} Verdict */
/** @typedef {import('./scanner-store.js').Alert} Alert */
/** @typedef {import('./scanner-store.js').Identity} Identity */

/**
 * The bootstrap answer (GET /api/v1/scanner/bootstrap). `device.list` is the door list this
 * phone applies and `lists` every list of the event (absent from servers before door lists).
 * @typedef {{event: import('./scanner-store.js').EventInfo,
 *   device: {id: string, door: string, list?: string},
 *   keys: import('./pass-token.js').WireKey[], tiers: string[],
 *   passes: import('./pass-pack.js').WirePassPack, vector: import('./sync-core.js').Vector,
 *   server_time: number, lists?: import('./sync-core.js').DoorList[]}} Bootstrap
 */

/** @typedef {{verdict: Verdict, scan: Scan, saved: boolean}} Scanned */

/**
 * The store the door writes through: `ScannerStore`, or a stand-in in tests.
 * @typedef {Pick<import('./scanner-store.js').ScannerStore,
 *   'load'|'pair'|'unpair'|'saveBootstrap'|'recordScan'|'acknowledge'|'saveMerge'|'setMeta'|'saveAlerts'>}
 *   DoorStore
 */

export class Door {
  /** @param {{store: DoorStore, clock?: () => number}} options */
  constructor({ store, clock = Date.now }) {
    this.store = store;
    this.clock = clock;
    this.state = newState();
    /** @type {Scan[]} */
    this.outbox = [];
    /** @type {import('./sync-core.js').Recent|null} */
    this.recent = null;
    /** @type {import('./pass-token.js').KeyRing} */
    this.keys = new Map();
    /** Key ids this browser could not import (no Ed25519?). @type {number[]} */
    this.badKeys = [];
    /** @type {import('./scanner-store.js').Meta} */
    this.meta = {};
    this.passCount = 0;
    /** People this device has let in (its admitted scans): the door's own count. */
    this.admitted = 0;
    /** Passes inside now on this phone's list, by every scan this replica holds. */
    this.inside = 0;
    /** The same per tier ("" for a pass whose tier this phone does not know). @type {Map<string, number>} */
    this.insideByTier = new Map();
    /** Which way the door scans: "in", or "out" (the phone's In/Out toggle). */
    this.direction = IN;
    /** @type {Alert[]} */
    this.alerts = [];
    /** Scans applied in memory whose write failed; retried before each push. @type {Scan[]} */
    this.unsaved = [];
    /** @type {Promise<unknown>} */
    this.queue = Promise.resolve();
    this.writing = 0;
  }

  /** @returns {Identity|null} */
  get identity() {
    return this.meta.identity ?? null;
  }

  get device() {
    return this.meta.identity?.device_id ?? '';
  }

  get doorName() {
    return this.meta.identity?.door ?? '';
  }

  /**
   * The door list this phone applies (sync/PROTOCOL.md section 18): the bootstrap's word, else
   * the pairing's, else the default list.
   */
  get listId() {
    return this.meta.list ?? this.meta.identity?.list ?? DEFAULT_LIST;
  }

  /** The name of this phone's list for the door to see, or null on the default list. */
  get listName() {
    const held = this.state.lists ?? {};
    if (this.listId === DEFAULT_LIST || !Object.hasOwn(held, this.listId)) return null;
    return doorList(this.state, this.listId).name;
  }

  /** True once the door holds keys and a pass pack: it can scan with no network. */
  get ready() {
    return this.identity !== null && this.meta.pack !== undefined && this.meta.keys !== undefined;
  }

  get offset() {
    return this.meta.offset ?? 0;
  }

  /** Server time now, by this device's corrected clock. */
  now() {
    return correctedNow(this.clock(), this.offset);
  }

  /** Read everything back from the store and rebuild the replica. */
  async load() {
    const saved = await this.store.load();
    this.meta = saved.meta;
    this.state = newState();
    if (saved.meta.pack !== undefined && saved.meta.tiers !== undefined) {
      const { passes } = snapshotOf(saved.chunks, saved.meta.tiers);
      applySnapshot(this.state, { serverSeq: saved.meta.pack.server_seq, passes });
    }
    // A record the core refuses (an older app's bug, a damaged disk) must not stop the door.
    mergeLists(this.state, (saved.meta.lists ?? []).filter((l) => listProblem(l) === null));
    merge(this.state, saved.changes.filter((c) => changeProblem(c) === null));
    merge(this.state, saved.scans.filter((s) => scanProblem(s) === null));
    this.outbox = [...saved.outbox].sort((a, b) => a.seq - b.seq);
    // Alerts kept by an older version lack this door's side: read it from the replica.
    this.alerts = saved.alerts
      .map((alert) => (alert.here || alert.kind || !alert.pass_id ? alert
        : { ...alert, here: this.admissionHere(alert.pass_id, alert.scanned_at) ?? undefined }))
      .sort((a, b) => b.scanned_at - a.scanned_at);
    const imported = await importKeys(saved.meta.keys ?? []);
    this.keys = imported.keys;
    this.badKeys = imported.failed;
    this.countPasses();
    this.countAdmitted();
    this.countInside();
  }

  countPasses() {
    this.passCount = passCount(this.state);
  }

  /** "Inside now" on this phone's list, from the whole replica (PROTOCOL.md 19.4). */
  countInside() {
    const listId = this.listId;
    const rows = insideCounts(this.state).filter((row) => row.list === listId);
    this.inside = rows.reduce((sum, row) => sum + row.inside, 0);
    this.insideByTier = new Map(rows.map((row) => [row.tier ?? '', row.inside]));
  }

  /**
   * Move the per-tier "inside now" by one pass going in (+1) or out (-1).
   * @param {string} passId
   * @param {number} step
   */
  moveTier(passId, step) {
    const tier = passStatus(this.state, passId)?.tier ?? '';
    const count = (this.insideByTier.get(tier) ?? 0) + step;
    if (count > 0) this.insideByTier.set(tier, count);
    else this.insideByTier.delete(tier);
  }

  /**
   * Apply `change` to the replica and move "inside now" by what it did to `passIds`.
   * @template T
   * @param {Iterable<string>} passIds
   * @param {() => T} change
   * @returns {T}
   */
  tracking(passIds, change) {
    const listId = this.listId;
    const ids = [...new Set(passIds)];
    const before = ids.filter((passId) => isInside(this.state, passId, { listId }));
    const result = change();
    const after = ids.filter((passId) => isInside(this.state, passId, { listId }));
    this.inside += after.length - before.length;
    for (const passId of before) this.moveTier(passId, -1);
    for (const passId of after) this.moveTier(passId, +1);
    return result;
  }

  /**
   * Scan in or out from now on. A deliberate new reading: the same pass may be scanned again at
   * once (the debounce forgets the last verdict, PROTOCOL.md 12.2).
   * @param {string} direction "in" or "out"
   */
  setDirection(direction) {
    if (direction !== IN && direction !== OUT) throw new RangeError('direction must be "in" or "out"');
    if (direction === this.direction) return;
    this.direction = direction;
    this.recent = null;
  }

  countAdmitted() {
    const mine = this.state.scans[this.device] ?? {};
    this.admitted = Object.values(mine).filter((scan) => scan.admitted).length;
  }

  /** @param {Identity} identity */
  async pair(identity) {
    await this.store.pair(identity);
    await this.load();
  }

  /** Forget the pairing; unsent scans stay on the phone (the store's archive). */
  async unpair() {
    await this.idle();
    await this.store.unpair();
    await this.load();
    this.recent = null;
  }

  /**
   * Install a bootstrap: pass pack, keys, event. Later pulls continue from its vector.
   * @param {Bootstrap} boot
   */
  async bootstrap(boot) {
    const chunks = packChunks(boot.passes);
    const { passes, count } = snapshotOf(chunks, boot.tiers);
    const serverSeq = boot.vector[SERVER] ?? 0;
    applySnapshot(this.state, { serverSeq, passes });
    const imported = await importKeys(boot.keys);
    this.keys = imported.keys;
    this.badKeys = imported.failed;
    /** @type {import('./scanner-store.js').PackInfo} */
    const pack = { count, server_seq: serverSeq, chunks: chunks.length, fetched_at: this.now() };
    const record = { event: boot.event, keys: boot.keys, tiers: boot.tiers, pack, chunks };
    await this.store.saveBootstrap({ ...record, vector: this.state.vector });
    Object.assign(this.meta, { event: boot.event, keys: boot.keys, tiers: boot.tiers, pack });
    this.countPasses();
    await this.saveLists(boot.lists ?? []);
    const list = boot.device.list ?? DEFAULT_LIST;
    if (list !== this.listId) {
      // Bound to another list than the pairing said (the organizer rebound the phone): a new
      // reading of every pass. Nothing to write when it is the same (the cold start's path).
      this.meta.list = list;
      this.recent = null;
      this.countInside();
      await this.store.setMeta('list', list);
    }
  }

  /**
   * Store door list records (a bootstrap's, a pull's) and keep the ones held on the phone.
   * @param {ReadonlyArray<import('./sync-core.js').DoorList>} lists
   */
  async saveLists(lists) {
    const mine = () => this.state.lists?.[this.listId]?.seq;
    const before = mine();
    if (mergeLists(this.state, lists) === 0) return;
    // This door's rules changed: the pass just shown may be read again at once.
    if (mine() !== before) this.recent = null;
    await this.store.setMeta('lists', Object.values(this.state.lists ?? {}));
  }

  /**
   * @template T
   * @param {() => Promise<T>} job
   * @returns {Promise<T>}
   */
  serially(job) {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Decide and record one scanned code; null when it repeats the last verdict (debounce).
   * @param {string} text
   * @returns {Promise<Scanned|null>}
   */
  scan(text) {
    return this.serially(async () => {
      const code = String(text).trim();
      const check = await verifyToken(code, this.keys);
      const token = coreToken(check, code);
      const now = this.now();
      const device = this.device;
      const { listId, direction } = this;
      const shown = verdict(this.state, { token, device, now, recent: this.recent, listId, direction });
      if (shown.code === 'ignored') return null;
      const scan = newScan(this.state, { device, verdict: shown, door: this.doorName, scannedAt: now, listId, direction });
      if (!check.ok) scan.code = code.slice(0, CODE_CHARS);
      const saved = await this.record(scan);
      const key = scanKey(token);
      if (key !== null) this.recent = { device, key, at: now };
      return { verdict: shown, scan, saved };
    });
  }

  /**
   * A guest found by name (no code): the same verdict as a scan of their pass, recorded with
   * `source: "search"` (PROTOCOL.md section 6).
   * @param {string} passId
   * @returns {Promise<Scanned>}
   */
  checkIn(passId) {
    return this.serially(async () => {
      const token = { ok: true, pass_id: passId, event_ok: true };
      const now = this.now();
      const { device, listId, direction } = this;
      // A tap on "Check in" is never a repeat read: no debounce.
      const shown = verdict(this.state, { token, device, now, recent: null, listId, direction });
      const scan = newScan(this.state, {
        device, verdict: shown, door: this.doorName, scannedAt: now, listId, direction, source: SEARCH,
      });
      const saved = await this.record(scan);
      this.recent = { device, key: /** @type {string} */ (scanKey(token)), at: now };
      return { verdict: shown, scan, saved };
    });
  }

  /**
   * What the replica says of a pass, for a search result: its tier, valid or void (null when
   * the pass list does not have it yet), and whether it is inside on this phone's list.
   * @param {string} passId
   * @returns {{tier: string|null, status: 'valid'|'void'|null, inside: boolean}}
   */
  passInfo(passId) {
    const held = passStatus(this.state, passId);
    return {
      tier: held?.tier ?? null,
      status: held === null ? null : held.status === 'valid' ? 'valid' : 'void',
      inside: isInside(this.state, passId, { listId: this.listId }),
    };
  }

  /**
   * The door saw "already scanned" and lets the person in: a new scan, admitted (with the
   * `source` of the verdict's scan, when the guest was found by name).
   * @param {Verdict} shown
   * @param {{source?: string|null}} [options]
   * @returns {Promise<Scanned>}
   */
  admitAnyway(shown, { source = null } = {}) {
    return this.serially(async () => {
      const scan = newScan(this.state, {
        device: this.device,
        verdict: shown,
        door: this.doorName,
        scannedAt: this.now(),
        admitted: true,
        listId: this.listId,
        source,
      });
      const saved = await this.record(scan);
      return { verdict: shown, scan, saved };
    });
  }

  /**
   * Apply in memory, queue for push, write. A failed write keeps the scan for a retry.
   * @param {Scan} scan
   */
  async record(scan) {
    this.tracking(scan.pass_id === null ? [] : [scan.pass_id], () => applyScan(this.state, scan));
    if (scan.admitted) this.admitted += 1;
    this.outbox.push(scan);
    this.writing += 1;
    try {
      await this.store.recordScan(scan, this.state.vector);
      return true;
    } catch (error) {
      console.warn('scan not saved yet', error);
      this.unsaved.push(scan);
      return false;
    } finally {
      this.writing -= 1;
    }
  }

  /** Retry writes that failed (true when none are left). */
  async saveUnsaved() {
    return this.serially(async () => {
      while (this.unsaved.length > 0) {
        await this.store.recordScan(this.unsaved[0], this.state.vector);
        this.unsaved.shift();
      }
      return true;
    });
  }

  /** Resolves when no scan is being decided or written (safe to reload the page). */
  idle() {
    return this.serially(async () => this.writing === 0);
  }

  /**
   * Keep a note of the scans the server could not store (PROTOCOL.md 9.4), one per reason,
   * before `acknowledge` drops them from the outbox: the note is what remains of them here.
   * Returns the new notes (a batch sent again after a lost answer adds none).
   * @param {ReadonlyArray<{seq: number, reason: string, code?: string}>} refused
   * @returns {Promise<Alert[]>}
   */
  async noteRefused(refused) {
    /** @type {Map<string, number[]>} */
    const byReason = new Map();
    for (const { seq, reason } of refused) byReason.set(reason, [...(byReason.get(reason) ?? []), seq]);
    const known = new Set(this.alerts.map((a) => a.id));
    /** @type {Alert[]} */
    const notes = [];
    for (const [reason, seqs] of byReason) {
      const id = `refused:${this.device}:${seqs.join(',')}`;
      if (known.has(id)) continue;
      const count = seqs.length;
      notes.push({
        id, kind: 'refused', pass_id: '', device: this.device, seq: seqs[0],
        scanned_at: this.now(), door: this.doorName,
        text: `${count} ${count === 1 ? 'scan' : 'scans'} could not be stored: ${reason}`,
      });
    }
    if (notes.length === 0) return [];
    this.alerts = [...notes, ...this.alerts].sort((a, b) => b.scanned_at - a.scanned_at);
    await this.store.saveAlerts(notes);
    return notes;
  }

  /**
   * Drop what the server acknowledged.
   * @param {number} acked
   */
  async acknowledge(acked) {
    this.outbox = ackOutbox(this.outbox, acked);
    await this.store.acknowledge(acked);
  }

  /**
   * Keep the clock offset from one exchange.
   * @param {{serverTime: number, sentAt: number, receivedAt: number}} times
   */
  noteExchange(times) {
    this.meta.offset = clockOffset(times);
  }

  /**
   * Merge one pull answer, persist it, and return the new "also admitted" alerts.
   * @param {{changes: import('./sync-core.js').PassChange[], scans: Scan[],
   *   lists?: import('./sync-core.js').DoorList[]}} page
   * @returns {Promise<{stored: number, alerts: Alert[]}>}
   */
  async applyPull({ changes, scans, lists }) {
    const me = this.device;
    // Lists first: the scans of this page are read by the rules they now carry.
    if (lists) await this.saveLists(lists);
    // Passes another door moved (let in or out): their "inside" and double admissions may change.
    const moved = new Set(scans.filter((s) => s.pass_id !== null && s.device !== me).map((s) => /** @type {string} */ (s.pass_id)));
    const stored = this.tracking(moved, () => merge(this.state, [...changes, ...scans]));
    const alerts = this.doubleAdmissions(moved);
    if (changes.length > 0) this.countPasses();
    this.alerts = [...alerts, ...this.alerts].sort((a, b) => b.scanned_at - a.scanned_at);
    await this.store.saveMerge({ changes, scans, vector: this.state.vector, offset: this.offset, alerts });
    return { stored, alerts };
  }

  /**
   * New alerts for the passes given: each double admission (PROTOCOL.md 14.3: two admissions of
   * one stay that neither door knew of) between this door's admission and another door's. A
   * re-entry after an exit starts a new stay and is none; neither is an admission made knowing
   * of the other (an override, "admit anyway").
   * @param {Iterable<string>} passIds
   * @returns {Alert[]}
   */
  doubleAdmissions(passIds) {
    const me = this.device;
    const known = new Set(this.alerts.map((a) => a.id));
    /** @type {Alert[]} */
    const alerts = [];
    for (const passId of passIds) {
      if (!this.admittedHere(passId)) continue;
      for (const { first, other, kind } of classify(this.state, passId)) {
        if (kind !== 'conflict' || (first.device === me) === (other.device === me)) continue;
        const [here, there] = first.device === me ? [first, other] : [other, first];
        const id = `${there.device}:${there.seq}`;
        if (known.has(id)) continue;
        known.add(id);
        alerts.push({
          id, pass_id: passId, device: there.device, seq: there.seq, scanned_at: there.scanned_at,
          door: there.door, here: { door: here.door, scanned_at: here.scanned_at },
        });
      }
    }
    return alerts;
  }

  /**
   * This device's admission of the pass nearest in time to `at` (the other door's), for the
   * alert to name both doors; null when it has none.
   * @param {string} passId
   * @param {number} at
   * @returns {{door: string, scanned_at: number}|null}
   */
  admissionHere(passId, at) {
    const seqs = this.admittedHere(passId) ? this.state.admissions[passId][this.device] : [];
    /** @type {Scan|null} */
    let nearest = null;
    for (const seq of seqs) {
      const scan = this.state.scans[this.device]?.[String(seq)];
      if (scan && (nearest === null || Math.abs(scan.scanned_at - at) < Math.abs(nearest.scanned_at - at))) nearest = scan;
    }
    return nearest === null ? null : { door: nearest.door, scanned_at: nearest.scanned_at };
  }

  /**
   * True when this device has admitted the pass (read from the replica's admissions index).
   * @param {string} passId
   */
  admittedHere(passId) {
    const { admissions } = this.state;
    return Object.hasOwn(admissions, passId) && Object.hasOwn(admissions[passId], this.device);
  }

  /** @param {number} at server time of a full successful sync */
  async synced(at) {
    this.meta.last_sync = at;
    await this.store.setMeta('last_sync', at);
  }

  async revoke() {
    this.meta.revoked = true;
    await this.store.setMeta('revoked', true);
  }
}
