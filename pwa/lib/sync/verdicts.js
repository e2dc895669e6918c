// @ts-check
/**
 * Scanner verdicts, the one rule for what the door shows: the mirror of sync/verdicts.py
 * (sync/PROTOCOL.md section 12). Order: ignored, invalid, wrong_event, void, wrong_list, not_yet,
 * closed, already_scanned, tier_unknown, not_in_cache, admit; on the way out: ignored, invalid,
 * wrong_event, not_inside, exit. `newScan` turns a shown verdict into the scan record the device
 * stores and uploads; the human words live in ./messages.js.
 */

import { doorList } from './lists.js';
import { isExit, movementsByList, stays } from './movements.js';
import { passStatus } from './replica.js';
import { DEFAULT_LIST, IN, OUT, has, isInt, sortedStrings } from './wire.js';

/** @typedef {import('./wire.js').Recent} Recent */
/** @typedef {import('./wire.js').Scan} Scan */
/** @typedef {import('./wire.js').State} State */
/** @typedef {import('./wire.js').Vector} Vector */
/** @typedef {import('./wire.js').Verdict} Verdict */

/** A repeat of the same code on the same device within this many ms is ignored. */
export const DEBOUNCE_MS = 2000;
/** Verdicts that let the person in unless the door decides otherwise. */
export const GREEN_CODES = Object.freeze(['admit', 'not_in_cache']);

/**
 * Outcome of signature verification, done elsewhere. `code` is the raw scanned text (used only
 * for debounce of codes that name no pass).
 * @typedef {{ok: boolean, pass_id?: string, event_ok?: boolean, reason?: string,
 *   code?: string}} Token
 */

/**
 * What debounce compares: the pass id if the token named one, else the raw code text.
 * @param {Token} token
 * @returns {string|null}
 */
export function scanKey(token) {
  if (token.ok === true && typeof token.pass_id === 'string' && token.pass_id) {
    return `pass:${token.pass_id}`;
  }
  if (typeof token.code === 'string' && token.code) return `code:${token.code}`;
  return null;
}

/**
 * True when the same key was last shown on this device less than 2000 ms ago (either way:
 * a clock that stepped back after a resync does not turn a repeat into a fresh verdict).
 * @param {Recent|null} recent
 * @param {{key: string|null, device: string, now: number}} options
 */
export function isRepeat(recent, { key, device, now }) {
  if (recent === null || recent === undefined || key === null) return false;
  return recent.device === device && recent.key === key && Math.abs(now - recent.at) < DEBOUNCE_MS;
}

/**
 * @param {string} code
 * @param {string|null} [passId]
 * @param {{tier?: string|null, reason?: string|null, at?: number|null, door?: string|null,
 *   listName?: string}} [facts]
 * @returns {Verdict}
 */
function makeVerdict(code, passId = null, facts = {}) {
  /** @type {Verdict} */
  const shown = {
    code,
    pass_id: passId,
    tier: facts.tier ?? null,
    reason: facts.reason ?? null,
    at: facts.at ?? null,
    door: facts.door ?? null,
  };
  if (facts.listName !== undefined) shown.list_name = facts.listName;
  return shown;
}

/**
 * The verdict on the way out: `exit` with when the stay began, or `not_inside` with the last exit.
 * @param {string} passId
 * @param {string|null} tier
 * @param {Scan[]} moves
 * @returns {Verdict}
 */
function wayOut(passId, tier, moves) {
  if (moves.length > 0 && !isExit(moves[moves.length - 1])) {
    const stayed = stays(moves);
    const cameIn = stayed[stayed.length - 1][0];
    return makeVerdict('exit', passId, { tier, at: cameIn.scanned_at, door: cameIn.door });
  }
  const wentOut = [...moves].reverse().find(isExit);
  if (wentOut === undefined) return makeVerdict('not_inside', passId, { tier });
  return makeVerdict('not_inside', passId, { tier, at: wentOut.scanned_at, door: wentOut.door });
}

/**
 * Decide what the door shows for one scanned code (sync/PROTOCOL.md section 12). `listId` is
 * the door list the device is bound to; list verdicts carry its `list_name`. `direction` is
 * "in", or "out" on a door scanning people out.
 * @param {State} state
 * @param {{token: Token, device: string, now: number, recent: Recent|null,
 *   listId?: string, direction?: string}} options
 * @returns {Verdict}
 */
export function verdict(
  state,
  { token, device, now, recent, listId = DEFAULT_LIST, direction = IN },
) {
  if (direction !== IN && direction !== OUT) throw new RangeError('\'direction\' must be "in" or "out"');
  const key = scanKey(token);
  const passId = token.ok === true ? token.pass_id : undefined;
  if (isRepeat(recent, { key, device, now })) {
    return makeVerdict('ignored', typeof passId === 'string' ? passId : null);
  }
  if (token.ok !== true) {
    return makeVerdict(token.reason === 'wrong_event' ? 'wrong_event' : 'invalid');
  }
  if (typeof passId !== 'string' || !passId) return makeVerdict('invalid');
  if (token.event_ok === false) return makeVerdict('wrong_event', passId);
  const status = passStatus(state, passId);
  const tier = status === null ? null : status.tier;
  const moves = movementsByList(state, passId).get(listId) ?? [];
  if (direction === OUT) return wayOut(passId, tier, moves);
  if (status !== null && status.status !== 'valid') {
    // Fail closed: a status this replica does not know is treated as void.
    return makeVerdict('void', passId, { tier, reason: status.reason });
  }
  const rules = doorList(state, listId);
  const { name: listName, tiers } = rules;
  if (tiers !== null && tier !== null && !tiers.includes(tier)) {
    return makeVerdict('wrong_list', passId, { tier, listName });
  }
  if (rules.from !== null && now < rules.from) {
    return makeVerdict('not_yet', passId, { tier, at: rules.from, listName });
  }
  if (rules.until !== null && now >= rules.until) {
    return makeVerdict('closed', passId, { tier, at: rules.until, listName });
  }
  const wentIn = stays(moves);
  if (wentIn.length > 0 && (!isExit(moves[moves.length - 1]) || !rules.reentry)) {
    // Inside now, or out on a list without re-entry: when the (latest) stay began.
    const first = wentIn[wentIn.length - 1][0];
    return makeVerdict('already_scanned', passId, { tier, at: first.scanned_at, door: first.door });
  }
  // The signature proves the pass, not its tier: a door admitting some tiers only checks it.
  if (tiers !== null && tier === null) return makeVerdict('tier_unknown', passId, { listName });
  if (status === null) return makeVerdict('not_in_cache', passId);
  return makeVerdict('admit', passId, { tier });
}

/**
 * The scan record for a shown verdict; store it with applyScan and queue it for push.
 * `admitted` defaults to the verdict's colour; pass true for "admit anyway" after amber.
 * `listId` is the door list the device is bound to, written as `list` unless it is the default;
 * `direction` is written only when it is "out", and such a scan is never an admission. `source`
 * says how the pass was found when it was not a scanned code ("search": by name on the phone),
 * written only when given.
 * @param {State} state
 * @param {{device: string, verdict: Verdict, door: string, scannedAt: number,
 *   admitted?: boolean|null, listId?: string, direction?: string, source?: string|null}} options
 * @returns {Scan}
 */
export function newScan(
  state,
  {
    device,
    verdict: shown,
    door,
    scannedAt,
    admitted = null,
    listId = DEFAULT_LIST,
    direction = IN,
    source = null,
  },
) {
  if (shown.code === 'ignored') throw new Error('an ignored verdict records no scan');
  if (!isInt(scannedAt)) throw new RangeError("'scanned_at' must be an integer");
  if (typeof listId !== 'string' || listId === '') {
    throw new RangeError("'list_id' must be a non-empty string");
  }
  if (direction !== IN && direction !== OUT) throw new RangeError('\'direction\' must be "in" or "out"');
  if (direction === OUT && admitted) throw new RangeError('a scan on the way out admits nobody');
  if (source !== null && (typeof source !== 'string' || source === '')) {
    throw new RangeError("'source' must be a non-empty string or null");
  }
  const held = has(state.scans, device) ? state.scans[device] : {};
  const seq = Object.keys(held).reduce((m, k) => Math.max(m, Number(k)), 0) + 1;
  /** @type {Vector} */
  const vector = {};
  const origins = Object.keys(state.vector).filter((o) => o !== device);
  if (seq > 1) origins.push(device);
  for (const origin of sortedStrings(origins)) {
    vector[origin] = origin === device ? seq - 1 : state.vector[origin];
  }
  /** @type {Scan} */
  const scan = {
    device,
    seq,
    pass_id: shown.pass_id,
    scanned_at: scannedAt,
    verdict: shown.code,
    admitted: admitted ?? GREEN_CODES.includes(shown.code),
    door,
    vector,
  };
  if (listId !== DEFAULT_LIST) scan.list = listId;
  if (direction === OUT) scan.direction = OUT;
  if (source !== null) scan.source = source;
  return scan;
}
