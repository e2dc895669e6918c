// @ts-check
/**
 * Door lists, which passes a door admits and when: the mirror of sync/lists.py
 * (sync/PROTOCOL.md section 18).
 *
 * A list record carries the list's whole definition after its latest change, numbered by the
 * server's per-event list counter; a replica keeps the latest record per list (higher seq wins,
 * first copy on a tie) and names the highest seq it holds (`listsHigh`) as `lists_after` in its
 * next pull. A door bound to a list this replica holds no record of applies the default
 * definition: every tier, any time, no re-entry.
 */

import { DEFAULT_LIST, SyncError, clone, has, listProblem } from './wire.js';

/** @typedef {import('./wire.js').DoorList} DoorList */
/** @typedef {import('./wire.js').DoorRules} DoorRules */
/** @typedef {import('./wire.js').State} State */

/** The name of a list this replica holds no record of. */
export const DEFAULT_NAME = 'All passes';

/** @param {unknown} doorList @returns {DoorList} */
function check(doorList) {
  const problem = listProblem(doorList);
  if (problem !== null) throw new SyncError('bad_type', `door list: ${problem}`);
  return /** @type {DoorList} */ (doorList);
}

/** @param {State} state @param {DoorList} doorList */
function store(state, doorList) {
  if (state.lists === undefined) state.lists = {};
  const held = state.lists;
  const current = has(held, doorList.list_id) ? held[doorList.list_id] : undefined;
  if (current !== undefined && current.seq >= doorList.seq) return false;
  held[doorList.list_id] = clone(doorList);
  return true;
}

/**
 * Store one list record; true if it replaced what this replica held for the list.
 * @param {State} state
 * @param {DoorList} doorList
 */
export function applyList(state, doorList) {
  return store(state, check(doorList));
}

/**
 * Store list records (a pull's `lists`, a bootstrap's); return how many were new. Every record
 * is checked before any is stored, so a bad batch changes nothing.
 * @param {State} state
 * @param {ReadonlyArray<DoorList>} items
 */
export function mergeLists(state, items) {
  if (!Array.isArray(items)) throw new SyncError('bad_type', 'lists must be a list');
  const checked = items.map(check);
  let stored = 0;
  for (const record of checked) if (store(state, record)) stored += 1;
  return stored;
}

/**
 * The highest list change seq held: what a pull names as `lists_after`.
 * @param {State} state
 */
export function listsHigh(state) {
  return Object.values(state.lists ?? {}).reduce((high, record) => Math.max(high, record.seq), 0);
}

/**
 * The definition a door bound to `listId` applies, absent fields filled with defaults.
 * @param {State} state
 * @param {string} [listId]
 * @returns {DoorRules}
 */
export function doorList(state, listId = DEFAULT_LIST) {
  const held = state.lists ?? {};
  if (!has(held, listId)) {
    return {
      list_id: listId,
      seq: 0,
      name: DEFAULT_NAME,
      tiers: null,
      from: null,
      until: null,
      reentry: false,
    };
  }
  const record = held[listId];
  return {
    list_id: listId,
    seq: record.seq,
    name: record.name,
    tiers: record.tiers === null || record.tiers === undefined ? null : [...record.tiers],
    from: record.from ?? null,
    until: record.until ?? null,
    reentry: record.reentry ?? false,
  };
}
