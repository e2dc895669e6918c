// @ts-check
/**
 * Which scanner version this phone runs, for the organizer's device list: the service worker
 * names its shell cache `poctix-shell-<hash of every file of the app>` (sw.js, api/web/pwa.py),
 * so the hash's first 12 characters name the code the page was served from. Sync calls send it
 * as `X-Poctix-App` (pwa/lib/sync-client.js).
 *
 * While a new version installs or waits, two shell caches exist and the page still runs the
 * older one: the version read when only one existed (kept in localStorage) is the one that
 * stays, and with none known the phone sends nothing rather than a guess.
 */

export const SHELL_PREFIX = 'poctix-shell-';
export const VERSION_CHARS = 12;
const KEPT = 'poctix-scanner-version';

/**
 * The version the cache names say, or null when they do not say which.
 * @param {readonly string[]} names every cache name (caches.keys())
 * @param {string|null} [known] the version read before, if any
 * @returns {string|null}
 */
export function shellVersion(names, known = null) {
  const versions = [...new Set(names
    .filter((name) => name.startsWith(SHELL_PREFIX))
    .map((name) => name.slice(SHELL_PREFIX.length, SHELL_PREFIX.length + VERSION_CHARS))
    .filter((version) => version !== ''))];
  if (versions.length === 1) return versions[0];
  return known !== null && versions.includes(known) ? known : null;
}

/** The version of this page, read from the caches when it is not known yet. */
export class AppVersion {
  constructor() {
    /** @type {string|null} */
    this.value = null;
  }

  /** @returns {string|null} */
  get current() {
    return this.value;
  }

  /** Read the caches (cheap) until they say; the page's version never changes after that. */
  async read() {
    if (this.value !== null || typeof caches === 'undefined') return this.value;
    let kept = null;
    try {
      kept = localStorage.getItem(KEPT);
    } catch {
      kept = null;
    }
    try {
      this.value = shellVersion(await caches.keys(), kept);
    } catch {
      return null;
    }
    if (this.value !== null) {
      try {
        localStorage.setItem(KEPT, this.value);
      } catch {
        // Private mode: the next load reads it again.
      }
    }
    return this.value;
  }
}
