// @ts-check
/**
 * The wallet's IndexedDB (database "poctix-wallet", through the vendored idb wrapper).
 *
 * Store (version 1):
 *
 *     orders   out-of-line key = the order's public id   one SavedOrder (see model.js) each
 *
 * Keys are out of line on purpose: a record is read back as whatever is there and checked by
 * `model.readRecord`, so one damaged record can be reported by its key without hiding the rest.
 */

import { openDB } from '../vendor/idb.js';

export const DB_NAME = 'poctix-wallet';
export const STORE = 'orders';
const DB_VERSION = 1;

/** @param {string} [name] @returns {Promise<any>} an idb `IDBPDatabase` */
export function openWallet(name = DB_NAME) {
  return openDB(name, DB_VERSION, {
    upgrade(/** @type {any} */ db) {
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE);
    },
  });
}

/**
 * Every record with its key, in one read transaction.
 * @param {any} db
 * @returns {Promise<{key: unknown, value: unknown}[]>}
 */
export async function allRecords(db) {
  const tx = db.transaction(STORE, 'readonly');
  const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
  return keys.map((/** @type {unknown} */ key, /** @type {number} */ i) => ({ key, value: values[i] }));
}

/**
 * @param {any} db
 * @param {string} publicId
 * @returns {Promise<unknown>}
 */
export function record(db, publicId) {
  return db.get(STORE, publicId);
}

/**
 * @param {any} db
 * @param {import('./model.js').SavedOrder} order
 */
export async function putOrder(db, order) {
  await db.put(STORE, order, order.public_id);
}

/**
 * @param {any} db
 * @param {unknown[]} keys
 */
export async function removeKeys(db, keys) {
  const tx = db.transaction(STORE, 'readwrite');
  await Promise.all([...keys.map((key) => tx.store.delete(/** @type {IDBValidKey} */ (key))), tx.done]);
}
