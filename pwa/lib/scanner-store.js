// @ts-check
/**
 * The door scanner's IndexedDB (database "poctix-scanner", through the vendored idb wrapper).
 *
 * Stores (version 1):
 *
 *     meta     key = name      identity, event, keys, tiers, pack, seq, vector, offset,
 *                              last_sync, revoked, list (this phone's door list id), lists
 *                              (the door list records held) (one record each)
 *     pack     key = chunk #   the bootstrap pass pack, ArrayBuffers of 5,000 passes × 13 bytes
 *     changes  keyPath seq     pass changes pulled after the pack (origin "server")
 *     scans    keyPath [device, seq]   the replica's scans: this device's and other devices'
 *     outbox   keyPath seq     this device's scans the server has not acknowledged
 *     alerts   keyPath id      "also admitted elsewhere" notices shown to the door
 *     archive  keyPath [device, seq]   unsent scans of an earlier pairing: kept, never dropped
 *
 * A scan, its outbox entry and the device's seq are written in one transaction, before the door
 * shows the verdict. Nothing in here knows a sync rule; `door.js` decides, this file keeps.
 */

import { openDB } from '../vendor/idb.js';

export const DB_NAME = 'poctix-scanner';
const DB_VERSION = 1;
const REPLICA_STORES = ['meta', 'pack', 'changes', 'scans', 'outbox', 'alerts'];

/**
 * What the pairing answer gives the device: `list` the door list it applies, `may_search`
 * whether it may download the guest list (absent from servers before them).
 * @typedef {{device_id: string, token: string, event_id: string, event_name: string,
 *   door: string, list?: string, may_search?: boolean}} Identity
 */

/**
 * @typedef {{id: string, name: string, venue: string, timezone: string, starts_at: number,
 *   ends_at: number}} EventInfo
 */

/** @typedef {{count: number, server_seq: number, chunks: number, fetched_at: number}} PackInfo */

/**
 * One notice kept for the door: another device's admission of a pass this device admitted (with
 * `here`, this device's own admission of it), or (`kind: 'refused'`, with its words in `text`)
 * scans of this device the server could not store.
 * @typedef {{id: string, pass_id: string, device: string, seq: number, scanned_at: number,
 *   door: string, here?: {door: string, scanned_at: number}, kind?: 'refused',
 *   text?: string}} Alert
 */

/**
 * @typedef {{identity?: Identity, event?: EventInfo,
 *   keys?: import('./pass-token.js').WireKey[], tiers?: string[], pack?: PackInfo,
 *   seq?: number, vector?: import('./sync-core.js').Vector, offset?: number,
 *   last_sync?: number, revoked?: boolean, list?: string,
 *   lists?: import('./sync-core.js').DoorList[]}} Meta
 */

/**
 * Everything the door reloads at start-up.
 * @typedef {{meta: Meta, chunks: ArrayBuffer[],
 *   changes: import('./sync-core.js').PassChange[], scans: import('./sync-core.js').Scan[],
 *   outbox: import('./sync-core.js').Scan[], alerts: Alert[]}} Saved
 */

/**
 * What a bootstrap leaves on disk.
 * @typedef {{event: EventInfo, keys: import('./pass-token.js').WireKey[], tiers: string[],
 *   pack: PackInfo, chunks: ArrayBuffer[], vector: import('./sync-core.js').Vector}} BootstrapRecord
 */

/**
 * What one pull leaves on disk.
 * @typedef {{changes: import('./sync-core.js').PassChange[],
 *   scans: import('./sync-core.js').Scan[], vector: import('./sync-core.js').Vector,
 *   offset: number, alerts: Alert[]}} MergeRecord
 */

export class ScannerStore {
  /** @param {any} db an idb `IDBPDatabase` (the vendored build carries no types) */
  constructor(db) {
    this.db = db;
  }

  /** @param {string} [name] */
  static async open(name = DB_NAME) {
    const db = await openDB(name, DB_VERSION, {
      upgrade(/** @type {any} */ database) {
        database.createObjectStore('meta');
        database.createObjectStore('pack');
        database.createObjectStore('changes', { keyPath: 'seq' });
        database.createObjectStore('scans', { keyPath: ['device', 'seq'] });
        database.createObjectStore('outbox', { keyPath: 'seq' });
        database.createObjectStore('alerts', { keyPath: 'id' });
        database.createObjectStore('archive', { keyPath: ['device', 'seq'] });
      },
      blocking(/** @type {number} */ _current, /** @type {number|null} */ _wanted, /** @type {Event} */ event) {
        // A newer version of the app wants to upgrade the schema: let it.
        /** @type {IDBDatabase} */ (event.target).close();
      },
    });
    return new ScannerStore(db);
  }

  /** @returns {Promise<Saved>} */
  async load() {
    const tx = this.db.transaction(REPLICA_STORES, 'readonly');
    const [metaKeys, metaValues, chunks, changes, scans, outbox, alerts] = await Promise.all([
      tx.objectStore('meta').getAllKeys(),
      tx.objectStore('meta').getAll(),
      tx.objectStore('pack').getAll(),
      tx.objectStore('changes').getAll(),
      tx.objectStore('scans').getAll(),
      tx.objectStore('outbox').getAll(),
      tx.objectStore('alerts').getAll(),
    ]);
    await tx.done;
    /** @type {Record<string, unknown>} */
    const meta = {};
    metaKeys.forEach((/** @type {IDBValidKey} */ key, /** @type {number} */ i) => {
      meta[String(key)] = metaValues[i];
    });
    return { meta: /** @type {Meta} */ (meta), chunks, changes, scans, outbox, alerts };
  }

  /**
   * Start over as a newly paired device. Unsent scans of the old pairing move to `archive`.
   * @param {Identity} identity
   */
  async pair(identity) {
    await this.startOver(identity);
  }

  /** Forget the pairing (the door unpaired the phone): as `pair`, with no identity after it. */
  async unpair() {
    await this.startOver(null);
  }

  /** @param {Identity|null} identity */
  async startOver(identity) {
    const tx = this.db.transaction([...REPLICA_STORES, 'archive'], 'readwrite');
    const unsent = await tx.objectStore('outbox').getAll();
    for (const scan of unsent) tx.objectStore('archive').put(scan);
    for (const name of REPLICA_STORES) tx.objectStore(name).clear();
    if (identity !== null) tx.objectStore('meta').put(identity, 'identity');
    await tx.done;
  }

  /** @param {BootstrapRecord} boot */
  async saveBootstrap(boot) {
    const tx = this.db.transaction(['meta', 'pack'], 'readwrite');
    const pack = tx.objectStore('pack');
    pack.clear();
    boot.chunks.forEach((chunk, i) => pack.put(chunk, i));
    const meta = tx.objectStore('meta');
    meta.put(boot.event, 'event');
    meta.put(boot.keys, 'keys');
    meta.put(boot.tiers, 'tiers');
    meta.put(boot.pack, 'pack');
    meta.put(boot.vector, 'vector');
    await tx.done;
  }

  /**
   * The scan, its outbox entry and the device's seq, in one transaction.
   * @param {import('./sync-core.js').Scan} scan
   * @param {import('./sync-core.js').Vector} vector the replica's vector after the scan
   */
  async recordScan(scan, vector) {
    const tx = this.db.transaction(['scans', 'outbox', 'meta'], 'readwrite');
    tx.objectStore('scans').put(scan);
    tx.objectStore('outbox').put(scan);
    tx.objectStore('meta').put(scan.seq, 'seq');
    tx.objectStore('meta').put(vector, 'vector');
    await tx.done;
  }

  /** Drop outbox entries with seq <= acked. @param {number} acked */
  async acknowledge(acked) {
    if (acked < 1) return;
    const tx = this.db.transaction('outbox', 'readwrite');
    await tx.store.delete(IDBKeyRange.upperBound(acked));
    await tx.done;
  }

  /** @param {MergeRecord} record */
  async saveMerge(record) {
    const tx = this.db.transaction(['changes', 'scans', 'meta', 'alerts'], 'readwrite');
    for (const change of record.changes) tx.objectStore('changes').put(change);
    for (const scan of record.scans) tx.objectStore('scans').put(scan);
    for (const alert of record.alerts) tx.objectStore('alerts').put(alert);
    tx.objectStore('meta').put(record.vector, 'vector');
    tx.objectStore('meta').put(record.offset, 'offset');
    await tx.done;
  }

  /** @param {Alert[]} alerts */
  async saveAlerts(alerts) {
    const tx = this.db.transaction('alerts', 'readwrite');
    for (const alert of alerts) tx.store.put(alert);
    await tx.done;
  }

  /**
   * @param {keyof Meta} key
   * @param {unknown} value
   */
  async setMeta(key, value) {
    await this.db.put('meta', value, key);
  }

  /** Unsent scans of earlier pairings. @returns {Promise<import('./sync-core.js').Scan[]>} */
  async archived() {
    return this.db.getAll('archive');
  }

  close() {
    this.db.close();
  }
}
