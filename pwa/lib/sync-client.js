// @ts-check
/**
 * The scanner's side of the wire: HTTP calls to /api/v1/scanner/…, one sync round (push the
 * outbox, then pull until the server has nothing more), and the loop that runs rounds every few
 * seconds while online with exponential backoff after failures.
 *
 * Nothing here drops a scan: the outbox only shrinks by what the server acknowledged. A 401
 * means the organizer revoked this device: the loop stops for good and the outbox stays.
 */

/** @typedef {import('./sync-core.js').Scan} Scan */
/** @typedef {import('./sync-core.js').Vector} Vector */

/** Pairing request and answer. */
/** @typedef {{code: string, name: string}} PairRequest */
/**
 * @typedef {{device_id: string, token: string, event_id: string, event_name: string,
 *   door: string, server_time?: number, list?: string, may_search?: boolean}} PairAnswer
 */
/** @typedef {{scans: Scan[], pending: number}} PushBody */
/**
 * `refused`: scans the server kept only as placeholders (PROTOCOL.md 9.4); absent from old servers.
 * @typedef {{acked: number, server_time: number,
 *   refused?: Array<{seq: number, code: string, reason: string}>}} PushAnswer
 */
/** @typedef {{vector: Vector, limit: number, lists_after?: number}} PullBody */
/**
 * @typedef {{changes: import('./sync-core.js').PassChange[], scans: Scan[], more: boolean,
 *   server_time: number, lists?: import('./sync-core.js').DoorList[]}} PullAnswer
 */
/** @typedef {{conflicts: import('./sync-core.js').Conflict[], server_time: number}} ConflictsAnswer */
/** @template T @typedef {{data: T, sentAt: number, receivedAt: number}} Exchange */

import { BOOTSTRAP_MEDIA_TYPE, readBootstrap } from './pass-pack.js';
import { listsHigh } from './sync-core.js';

export const PUSH_LIMIT = 1000;
export const PULL_LIMIT = 2000;
export const SYNC_INTERVAL_MS = 5000;
export const BACKOFF_CAP_MS = 60000;

/** An HTTP answer outside 2xx; `detail` is the server's `{detail}` when it sent one. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} detail
   */
  constructor(status, detail) {
    super(`HTTP ${status}: ${detail}`);
    this.name = 'ApiError';
    this.status = status;
    this.detail = detail;
  }
}

/** @param {unknown} error */
export const isRevoked = (error) => error instanceof ApiError && error.status === 401;

/** The header naming the scanner version on each sync call (the server's device list shows it). */
export const APP_HEADER = 'X-Poctix-App';

/**
 * `appVersion` names the scanner version the phone runs (null: not known yet), sent as
 * X-Poctix-App on every call that carries the device token.
 * @param {{base?: string, fetchImpl?: typeof fetch, clock?: () => number, timeoutMs?: number,
 *   appVersion?: () => string|null}} [options]
 */
export function createApi({ base = '', fetchImpl, clock = Date.now, timeoutMs = 20000, appVersion = () => null } = {}) {
  const doFetch = fetchImpl ?? ((input, init) => fetch(input, init));

  /**
   * @template T
   * @param {string} method
   * @param {string} path
   * @param {{token?: string, body?: unknown, timeout?: number, accept?: string}} [options]
   * @returns {Promise<Exchange<T>>}
   */
  async function call(method, path, { token, body, timeout = timeoutMs, accept } = {}) {
    /** @type {Record<string, string>} */
    const headers = { Accept: accept ? `${accept}, application/json` : 'application/json' };
    if (token) {
      headers.Authorization = `Bearer ${token}`;
      const version = appVersion();
      if (version) headers[APP_HEADER] = version;
    }
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    const sentAt = clock();
    try {
      const response = await doFetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
        cache: 'no-store',
      });
      const receivedAt = clock();
      if (accept && response.ok && response.headers.get('content-type')?.startsWith(accept)) {
        return { data: readBootstrap(await response.arrayBuffer()), sentAt, receivedAt };
      }
      const text = await response.text();
      /** @type {any} */
      let data = null;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        data = null;
      }
      if (!response.ok) {
        const detail = data && typeof data.detail === 'string' ? data.detail : response.statusText;
        throw new ApiError(response.status, detail || `HTTP ${response.status}`);
      }
      return { data, sentAt, receivedAt };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    /** @param {PairRequest} body @returns {Promise<Exchange<PairAnswer>>} */
    pair: (body) => call('POST', '/api/v1/scanner/pair', { body }),
    /** @param {string} token @returns {Promise<Exchange<import('./door.js').Bootstrap>>} */
    bootstrap: (token) =>
      call('GET', '/api/v1/scanner/bootstrap/binary', {
        token,
        timeout: 60000,
        accept: BOOTSTRAP_MEDIA_TYPE,
      }),
    /** @param {string} token @param {PushBody} body @returns {Promise<Exchange<PushAnswer>>} */
    push: (token, body) => call('POST', '/api/v1/scanner/push', { token, body }),
    /** @param {string} token @param {PullBody} body @returns {Promise<Exchange<PullAnswer>>} */
    pull: (token, body) => call('POST', '/api/v1/scanner/pull', { token, body }),
    /** @param {string} token @returns {Promise<Exchange<ConflictsAnswer>>} */
    conflicts: (token) => call('GET', '/api/v1/scanner/conflicts', { token }),
    /**
     * The guest list of a "scan and search" phone (403 for a scan-only one).
     * @param {string} token @returns {Promise<Exchange<import('./guest-list.js').GuestAnswer>>}
     */
    guests: (token) => call('GET', '/api/v1/scanner/guests', { token, timeout: 60000 }),
  };
}

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * @template T
 * @param {Exchange<T & {server_time: number}>} exchange
 */
const times = ({ data, sentAt, receivedAt }) => ({ serverTime: data.server_time, sentAt, receivedAt });

/**
 * One sync round: push the outbox in batches of at most 1,000 (seq order), then pull until the
 * server says there is no more. Throws on any failure; what was acknowledged or merged stays.
 * Returns the new alerts: other doors' admissions, and notes of scans the server refused.
 * @param {{door: import('./door.js').Door, api: Api}} options
 */
export async function syncOnce({ door, api }) {
  const token = door.identity?.token;
  if (!token) throw new Error('not paired');
  if (door.unsaved.length > 0) await door.saveUnsaved();
  let alerts = /** @type {import('./scanner-store.js').Alert[]} */ ([]);
  while (door.outbox.length > 0) {
    const scans = door.outbox.slice(0, PUSH_LIMIT);
    const exchange = await api.push(token, { scans, pending: door.outbox.length - scans.length });
    door.noteExchange(times(exchange));
    const before = door.outbox.length;
    // Shown (and kept) before the outbox lets them go.
    alerts = alerts.concat(await door.noteRefused(exchange.data.refused ?? []));
    await door.acknowledge(exchange.data.acked);
    // The server holds less than we sent (a gap it cannot fill): retry later, drop nothing.
    if (door.outbox.length === before) {
      throw new Error(`push acknowledged seq ${exchange.data.acked}, outbox starts at ${scans[0].seq}`);
    }
  }
  for (;;) {
    // lists_after: door list changes reach the phone at its next pull (PROTOCOL.md 18.3).
    const body = { vector: { ...door.state.vector }, limit: PULL_LIMIT, lists_after: listsHigh(door.state) };
    const exchange = await api.pull(token, body);
    door.noteExchange(times(exchange));
    const merged = await door.applyPull(exchange.data);
    alerts = alerts.concat(merged.alerts);
    if (!exchange.data.more || merged.stored === 0) break;
  }
  await door.synced(door.now());
  return { alerts };
}

/**
 * Delay before retry number `failures` (1, 2, …): 1 s doubling up to a 60 s cap, with the top
 * half jittered so a room of phones does not retry in step.
 * @param {number} failures
 * @param {{base?: number, cap?: number, random?: () => number}} [options]
 */
export function backoffDelay(failures, { base = 1000, cap = BACKOFF_CAP_MS, random = Math.random } = {}) {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Runs `round` every `intervalMs` while online, right away on `trigger({now: true})`, after a
 * backoff when it fails; stops for good on a 401.
 */
export class SyncLoop {
  /**
   * @param {{round: () => Promise<unknown>, isOnline?: () => boolean,
   *   onChange?: (loop: SyncLoop) => void, onRevoked?: () => void, intervalMs?: number,
   *   backoff?: (failures: number) => number,
   *   timers?: {set: (fn: () => void, ms: number) => unknown, clear: (id: unknown) => void}}} options
   */
  constructor({ round, isOnline = () => true, onChange = () => {}, onRevoked = () => {},
    intervalMs = SYNC_INTERVAL_MS, backoff = backoffDelay, timers }) {
    this.round = round;
    this.isOnline = isOnline;
    this.onChange = onChange;
    this.onRevoked = onRevoked;
    this.intervalMs = intervalMs;
    this.backoff = backoff;
    this.timers = timers ?? {
      set: (/** @type {() => void} */ fn, /** @type {number} */ ms) => setTimeout(fn, ms),
      clear: (/** @type {any} */ id) => clearTimeout(id),
    };
    this.failures = 0;
    /** @type {unknown} */
    this.lastError = null;
    this.running = false;
    this.again = false;
    this.stopped = true;
    this.revoked = false;
    /** @type {unknown} */
    this.timer = null;
    /** @type {Array<(ok: boolean) => void>} */
    this.waiters = [];
  }

  start() {
    if (this.revoked) return;
    this.stopped = false;
    this.trigger({ now: true });
  }

  stop() {
    this.stopped = true;
    this.clearTimer();
  }

  clearTimer() {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  /** @param {number} ms */
  schedule(ms) {
    this.clearTimer();
    if (!this.stopped) this.timer = this.timers.set(() => this.trigger({ now: true }), ms);
  }

  /**
   * Ask for a round. Without `now`, a loop waiting out a backoff keeps waiting. Resolves true
   * when a round that started after the call succeeded.
   * @param {{now?: boolean}} [options]
   * @returns {Promise<boolean>}
   */
  trigger({ now = false } = {}) {
    if (this.stopped || this.revoked) return Promise.resolve(false);
    if (!now && this.failures > 0) return Promise.resolve(false);
    const done = new Promise((resolve) => this.waiters.push(resolve));
    if (this.running) {
      this.again = true;
    } else {
      void this.run();
    }
    return /** @type {Promise<boolean>} */ (done);
  }

  async run() {
    if (!this.isOnline()) {
      this.settle(false);
      this.schedule(this.intervalMs);
      return;
    }
    this.clearTimer();
    this.running = true;
    this.again = false;
    const waiters = this.waiters;
    this.waiters = [];
    this.onChange(this);
    let ok = false;
    try {
      await this.round();
      ok = true;
      this.failures = 0;
      this.lastError = null;
    } catch (error) {
      this.lastError = error;
      if (error instanceof ApiError && error.status === 401) {
        this.revoked = true;
        this.stopped = true;
        this.onRevoked();
      } else {
        this.failures += 1;
      }
    }
    this.running = false;
    for (const resolve of waiters) resolve(ok);
    this.onChange(this);
    if (this.stopped) return this.settle(false);
    if (this.again && (ok || this.waiters.length > 0)) {
      void this.run();
    } else {
      this.schedule(ok ? this.intervalMs : this.backoff(this.failures));
    }
  }

  /** @param {boolean} ok */
  settle(ok) {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(ok);
  }
}
