// @ts-check
/**
 * The optional PIN that locks the scanner's settings and unpairing (never scanning): 4 to 6
 * digits, set on the phone and kept there only, as PBKDF2-SHA-256 with a random salt through
 * WebCrypto, so the digits themselves are not in the phone's storage. Five wrong tries in a row
 * make the next one wait a minute; the count survives a reload.
 *
 * A short PIN is not a password: it keeps a borrowed or lost phone's settings out of casual
 * hands, and the organizer can still remove the phone from the door on the dashboard.
 */

import { say } from '../lib/i18n.js';
import { PhoneSettings } from './settings.js';

export const PIN_ITERATIONS = 100_000;
export const MAX_TRIES = 5;
export const WAIT_MS = 60_000;
const SALT_BYTES = 16;

/** @typedef {import('./settings.js').PinRecord} PinRecord */
/** @typedef {{ok: true} | {ok: false, problem: string}} Outcome */

/**
 * What is wrong with a PIN to be set, or null.
 * @param {string} pin
 */
export function pinProblem(pin) {
  return /^[0-9]{4,6}$/.test(pin) ? null : say('pin.digits');
}

/** @param {Uint8Array} bytes */
const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));

/** @param {string} text */
const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * @param {string} pin
 * @param {Uint8Array<ArrayBuffer>} salt
 * @param {number} iterations
 */
async function derive(pin, salt, iterations) {
  const { subtle } = globalThis.crypto;
  const key = await subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

/**
 * The record kept for a PIN: a fresh salt and the derived hash.
 * @param {string} pin
 * @param {{iterations?: number}} [options]
 * @returns {Promise<PinRecord>}
 */
export async function hashPin(pin, { iterations = PIN_ITERATIONS } = {}) {
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  return { salt: toBase64(salt), hash: toBase64(await derive(pin, salt, iterations)), iterations };
}

/**
 * True when `pin` is the one the record was made from.
 * @param {string} pin
 * @param {PinRecord} record
 */
export async function pinMatches(pin, record) {
  const expected = fromBase64(record.hash);
  const given = await derive(pin, fromBase64(record.salt), record.iterations);
  // Compare every byte, so how long it takes says nothing about where they differ.
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= expected[i] ^ (given[i] ?? 0);
  return diff === 0;
}

/** The phone's PIN lock, kept in its settings. */
export class PinLock {
  /** @param {{settings: PhoneSettings, clock?: () => number, iterations?: number}} options */
  constructor({ settings, clock = Date.now, iterations = PIN_ITERATIONS }) {
    this.settings = settings;
    this.clock = clock;
    this.iterations = iterations;
  }

  /** True when a PIN is set. */
  get enabled() {
    return this.settings.get().pin !== null;
  }

  /**
   * Set (or change) the PIN; the caller has unlocked the settings first.
   * @param {string} pin
   * @param {string} repeat the same PIN typed again
   * @returns {Promise<Outcome>}
   */
  async set(pin, repeat) {
    const problem = pinProblem(pin);
    if (problem !== null) return { ok: false, problem };
    if (pin !== repeat) return { ok: false, problem: say('pin.differ') };
    const record = await hashPin(pin, { iterations: this.iterations });
    this.settings.set({ pin: record, pinFailures: 0, pinBlockedUntil: 0 });
    return { ok: true };
  }

  /** Remove the PIN; the caller has unlocked the settings first. */
  remove() {
    this.settings.set({ pin: null, pinFailures: 0, pinBlockedUntil: 0 });
  }

  /**
   * Check a PIN typed to unlock. With no PIN set, anything unlocks.
   * @param {string} pin
   * @returns {Promise<Outcome>}
   */
  async check(pin) {
    const { pin: record, pinFailures, pinBlockedUntil } = this.settings.get();
    if (record === null) return { ok: true };
    const now = this.clock();
    if (now < pinBlockedUntil) {
      const seconds = Math.ceil((pinBlockedUntil - now) / 1000);
      return { ok: false, problem: say('pin.blocked', { seconds }) };
    }
    if (await pinMatches(pin, record)) {
      this.settings.set({ pinFailures: 0, pinBlockedUntil: 0 });
      return { ok: true };
    }
    const failures = pinFailures + 1;
    if (failures >= MAX_TRIES) {
      this.settings.set({ pinFailures: 0, pinBlockedUntil: now + WAIT_MS });
      return { ok: false, problem: say('pin.wrong_wait', { seconds: WAIT_MS / 1000 }) };
    }
    this.settings.set({ pinFailures: failures });
    return { ok: false, problem: say('pin.wrong') };
  }
}
