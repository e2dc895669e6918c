// @ts-check
/**
 * Pages that need a secure context, and what to tell a person who opened one without it.
 *
 * The scanner and the wallet need HTTPS (or localhost): browsers give a service worker, the
 * camera and WebCrypto (`crypto.subtle`, which checks pass signatures) only to secure pages. On
 * http://192.168.1.20:8000 all three are simply missing, so the page must name that cause and
 * not a symptom: "no Ed25519, update the browser" would send door staff looking for an update
 * that does not exist. One module, used by the scanner, the wallet and the dashboard.
 */

import { say } from './i18n.js';

/** @typedef {{host: string, pathname: string, search: string, hash: string}} PageLocation */

/**
 * True when this page runs without a secure context (plain HTTP on anything but localhost).
 * @param {{isSecureContext?: boolean}} [scope]
 */
export function needsHttps(scope = globalThis) {
  return scope.isSecureContext === false;
}

/**
 * The same page on the same host over HTTPS. The fragment is kept: a scanner's pairing code
 * travels in it and must survive the move.
 * @param {PageLocation} location
 */
export function httpsAddress(location) {
  return `https://${location.host}${location.pathname}${location.search}${location.hash}`;
}

/**
 * Fill `element` with "This page needs HTTPS: open <link>" (in the page's language, when it
 * is known by then: `speakWith` in ./i18n.js) and return it.
 * @template {HTMLElement} T
 * @param {T} element
 * @param {PageLocation} location
 * @returns {T}
 */
export function writeHttpsNotice(element, location) {
  const address = httpsAddress(location);
  const link = element.ownerDocument.createElement('a');
  link.href = address;
  link.id = 'needs-https-link';
  link.textContent = address;
  element.replaceChildren(`${say('secure.needs_https')} `, link); // the page's language, once known
  element.dataset.needsHttps = 'true';
  element.setAttribute('role', 'alert'); // the page cannot do its job: say it first
  return element;
}

/**
 * Why pass signatures cannot be checked here, if they cannot: an insecure page has no WebCrypto
 * at all, which no browser update fixes; only a secure page that still could not import the
 * event's Ed25519 keys has a browser too old for them.
 * @param {{secure: boolean, unreadableKeys: number}} facts
 * @returns {'needs_https' | 'no_ed25519' | null}
 */
export function signatureTrouble({ secure, unreadableKeys }) {
  if (!secure) return 'needs_https';
  return unreadableKeys > 0 ? 'no_ed25519' : null;
}
