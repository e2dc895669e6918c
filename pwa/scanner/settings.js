// @ts-check
/**
 * What this phone remembers about itself, apart from the door's data: sound, vibration, which
 * camera, whether it scans people in or out, the optional PIN lock (pin.js). Kept in localStorage under one key, so it survives a reload and
 * a new pairing (the IndexedDB replica is wiped on pairing; the phone's own choices are not).
 *
 * Nothing here is a secret the server knows or needs. A browser that refuses localStorage
 * (private mode) still works with the defaults, remembered until the page closes.
 */

export const SETTINGS_KEY = 'poctix-scanner-settings';

/**
 * Which camera to open: a facing direction where the phone tells it, else a device id.
 * @typedef {{facing: 'user'|'environment'} | {deviceId: string}} CameraChoice
 */

/**
 * The PIN as kept: PBKDF2-SHA-256 of the digits with a random salt (pin.js), base64.
 * @typedef {{salt: string, hash: string, iterations: number}} PinRecord
 */

/**
 * `direction`: the In/Out toggle (a door scanning people out stays so across a reload);
 * `pinFailures`: wrong PINs in a row; `pinBlockedUntil`: no PIN is checked before this time (ms).
 * @typedef {{sound: boolean, vibrate: boolean, camera: CameraChoice|null, pin: PinRecord|null,
 *   pinFailures: number, pinBlockedUntil: number, direction: 'in'|'out'}} Settings
 */

/** @type {Readonly<Settings>} */
export const DEFAULTS = Object.freeze({
  sound: true,
  vibrate: true,
  camera: null,
  pin: null,
  pinFailures: 0,
  pinBlockedUntil: 0,
  direction: 'in',
});

/** @typedef {Pick<Storage, 'getItem'|'setItem'>} KeyValueStore */

/** @param {unknown} v */
const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * @param {unknown} value
 * @returns {CameraChoice|null}
 */
function cameraOf(value) {
  if (!isObject(value)) return null;
  const v = /** @type {Record<string, unknown>} */ (value);
  if (v.facing === 'user' || v.facing === 'environment') return { facing: v.facing };
  if (typeof v.deviceId === 'string' && v.deviceId !== '') return { deviceId: v.deviceId };
  return null;
}

/**
 * @param {unknown} value
 * @returns {PinRecord|null}
 */
function pinOf(value) {
  if (!isObject(value)) return null;
  const v = /** @type {Record<string, unknown>} */ (value);
  if (typeof v.salt !== 'string' || typeof v.hash !== 'string') return null;
  if (typeof v.iterations !== 'number' || !Number.isInteger(v.iterations) || v.iterations < 1) return null;
  return { salt: v.salt, hash: v.hash, iterations: v.iterations };
}

/** @param {unknown} v */
const count = (v) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0);

/**
 * Settings from whatever was stored: every field checked, anything odd replaced by its default
 * (an older or damaged record never stops the door).
 * @param {unknown} raw
 * @returns {Settings}
 */
export function settingsFrom(raw) {
  const v = isObject(raw) ? /** @type {Record<string, unknown>} */ (raw) : {};
  return {
    sound: typeof v.sound === 'boolean' ? v.sound : DEFAULTS.sound,
    vibrate: typeof v.vibrate === 'boolean' ? v.vibrate : DEFAULTS.vibrate,
    camera: cameraOf(v.camera),
    pin: pinOf(v.pin),
    pinFailures: count(v.pinFailures),
    pinBlockedUntil: count(v.pinBlockedUntil),
    direction: v.direction === 'out' ? 'out' : 'in',
  };
}

/** The phone's settings, read and written through a key-value store (localStorage). */
export class PhoneSettings {
  /** @param {KeyValueStore|null} [storage] */
  constructor(storage) {
    this.storage = storage === undefined ? defaultStorage() : storage;
    /** @type {Settings} */
    this.current = settingsFrom(this.read());
  }

  /** @returns {unknown} */
  read() {
    try {
      const text = this.storage?.getItem(SETTINGS_KEY);
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  }

  /** @returns {Settings} */
  get() {
    return { ...this.current };
  }

  /**
   * Change some settings and keep them; returns the new settings.
   * @param {Partial<Settings>} patch
   * @returns {Settings}
   */
  set(patch) {
    this.current = settingsFrom({ ...this.current, ...patch });
    try {
      this.storage?.setItem(SETTINGS_KEY, JSON.stringify(this.current));
    } catch {
      // Storage full or refused: the setting still holds until the page closes.
    }
    return this.get();
  }
}

/** @returns {KeyValueStore|null} */
function defaultStorage() {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
