// @ts-check
/**
 * The guest list on a "scan and search" door phone (issue 16, section 3): who holds which pass,
 * by name, email and order reference, so the door can find a guest who has no code to show.
 *
 * Only a phone whose pairing said `may_search` asks for it (`GET /api/v1/scanner/guests`): after
 * its bootstrap, then at most every few minutes while online. It is kept in its own IndexedDB
 * database ("poctix-guests", one record) with `erase_at`, the moment the server says names must
 * leave the phone (24 hours after the event), and searched in memory (`GuestIndex`). The names
 * are erased when the phone is unpaired or paired again, when the organizer removes it (401) or
 * the server no longer gives it names (403), and once `erase_at` has passed (checked at load
 * and on a timer). The door's replica, scans and outbox never depend on it.
 */

import { openDB } from '../vendor/idb.js';
import { GuestIndex } from './guest-search.js';

export const GUESTS_DB = 'poctix-guests';
/** A "scan and search" phone asks for the guest list again at most this often. */
export const REFRESH_MS = 3 * 60 * 1000;
const KEY = 'list';
/** What the search says once the names' time has passed. */
export const ERASED = 'Guest names were erased from this phone after the event.';

/** @typedef {import('./guest-search.js').Guest} Guest */

/**
 * The answer of GET /api/v1/scanner/guests.
 * @typedef {{guests: Guest[], erase_at: number, server_time: number}} GuestAnswer
 */

/**
 * What the phone keeps: whose pairing fetched it, the guests, when to erase them (server time)
 * and when they came (corrected time).
 * @typedef {{device: string, guests: Guest[], erase_at: number, fetched_at: number}} GuestRecord
 */

/**
 * Where the record lives: `IdbGuestStore`, or a stand-in in tests.
 * @typedef {{get: () => Promise<GuestRecord|undefined>, put: (record: GuestRecord) => Promise<void>,
 *   clear: () => Promise<void>}} GuestStore
 */

/** The guest list in IndexedDB: one record, written whole. */
export class IdbGuestStore {
  /** @param {any} db an idb `IDBPDatabase` */
  constructor(db) {
    this.db = db;
  }

  /** @param {string} [name] */
  static async open(name = GUESTS_DB) {
    const db = await openDB(name, 1, {
      upgrade(/** @type {any} */ database) {
        database.createObjectStore('guests');
      },
      blocking(/** @type {number} */ _current, /** @type {number|null} */ _wanted, /** @type {Event} */ event) {
        /** @type {IDBDatabase} */ (event.target).close();
      },
    });
    return new IdbGuestStore(db);
  }

  /** @returns {Promise<GuestRecord|undefined>} */
  get() {
    return this.db.get('guests', KEY);
  }

  /** @param {GuestRecord} record */
  async put(record) {
    await this.db.put('guests', record, KEY);
  }

  async clear() {
    await this.db.clear('guests');
  }
}

export class GuestList {
  /** @param {{store: GuestStore}} options */
  constructor({ store }) {
    this.store = store;
    /** @type {GuestRecord|null} */
    this.record = null;
    /** @type {GuestIndex|null} */
    this.index = null;
    /** Corrected time of the last request, answered or not (null: none since the page opened). */
    /** @type {number|null} */
    this.triedAt = null;
    /** Why the server gave this phone no names (its 403 words), or null. */
    /** @type {string|null} */
    this.refused = null;
  }

  /** How many guests the phone holds (0 with no list). */
  get size() {
    return this.index?.size ?? 0;
  }

  /**
   * Read the kept list back: erased instead when it belongs to another pairing or its time
   * has passed.
   * @param {{device: string, now: number}} options
   */
  async load({ device, now }) {
    const record = await this.store.get();
    if (record === undefined) return;
    if (record.device !== device || now >= record.erase_at) {
      if (now >= record.erase_at) this.refused = ERASED;
      await this.erase();
      return;
    }
    this.keep(record);
  }

  /** @param {GuestRecord} record */
  keep(record) {
    this.record = record;
    this.index = new GuestIndex(record.guests);
  }

  /**
   * True when the list should be asked for now: never asked since the page opened and older
   * than REFRESH_MS (or missing), or last asked REFRESH_MS ago.
   * @param {number} now corrected time
   */
  due(now) {
    const last = Math.max(this.triedAt ?? -Infinity, this.record?.fetched_at ?? -Infinity);
    return now - last >= REFRESH_MS;
  }

  /**
   * Ask the server for the list and keep it. A 403 (a scan-only pairing, or after the event)
   * erases what the phone holds; any other failure keeps it and is thrown (a 401 too: the
   * caller erases on revocation).
   * @param {{fetchGuests: () => Promise<{data: GuestAnswer}>, device: string, now: number}} options
   */
  async refresh({ fetchGuests, device, now }) {
    this.triedAt = now;
    let answer;
    try {
      ({ data: answer } = await fetchGuests());
    } catch (error) {
      const status = /** @type {{status?: unknown}} */ (error)?.status;
      if (status === 403) {
        this.refused = String(/** @type {{detail?: unknown}} */ (error).detail ?? 'No guest list for this phone.');
        await this.erase();
        return;
      }
      throw error;
    }
    this.refused = null;
    if (now >= answer.erase_at) {
      this.refused = ERASED;
      await this.erase();
      return;
    }
    /** @type {GuestRecord} */
    const record = { device, guests: answer.guests, erase_at: answer.erase_at, fetched_at: now };
    await this.store.put(record);
    this.keep(record);
  }

  /**
   * Erase the list once its time has passed; true when it did.
   * @param {number} now corrected time
   */
  async expireIfDue(now) {
    if (this.record === null || now < this.record.erase_at) return false;
    this.refused = ERASED;
    await this.erase();
    return true;
  }

  /** Forget every name, in memory and on disk. */
  async erase() {
    this.record = null;
    this.index = null;
    await this.store.clear();
  }

  /**
   * The holder's name of a pass, when the phone may see names and the list has one.
   * @param {string|null} passId
   * @returns {string|null}
   */
  nameOf(passId) {
    if (passId === null || this.index === null) return null;
    return this.index.byPass(passId)?.[1] || null;
  }
}
