// @ts-check
/**
 * Every dashboard page: register the root service worker (which keeps the last copy of each
 * dashboard page for offline viewing), say when what is shown is an offline copy and how old it
 * is, stop actions that need the server from failing silently while offline, and say plainly
 * when the page was opened over plain HTTP (pwa/lib/secure-context.js).
 */

import { needsHttps, writeHttpsNotice } from '../lib/secure-context.js';
import { registerWorker } from '../lib/sw-register.js';

const asOf = document.querySelector('meta[name="poctix-as-of"]')?.getAttribute('content') ?? null;

void registerWorker();

/** @param {string | null} iso */
function when(iso) {
  if (!iso) return 'an earlier visit';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return 'an earlier visit';
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/** @type {HTMLElement | null} */
let note = null;

function showOffline(/** @type {string} */ text) {
  if (!note) {
    note = document.createElement('p');
    note.className = 'offline-note';
    note.id = 'offline-note';
    note.setAttribute('role', 'status');
    document.querySelector('main')?.prepend(note);
  }
  note.textContent = text;
}

function update() {
  if (navigator.onLine) {
    note?.remove();
    note = null;
  } else {
    showOffline(`You are offline. This page is as of ${when(asOf)}; changes need the network.`);
  }
}

if (needsHttps(window)) {
  // Plain HTTP: no offline copies of these pages (no service worker), and the door pages
  // this dashboard links to cannot work. Say so at the top of every page.
  const notice = document.createElement('p');
  notice.className = 'offline-note';
  notice.setAttribute('role', 'alert');
  notice.id = 'needs-https';
  document.querySelector('main')?.prepend(writeHttpsNotice(notice, location));
}

window.addEventListener('online', update);
window.addEventListener('offline', update);
update();

document.addEventListener(
  'submit',
  (event) => {
    const form = /** @type {HTMLFormElement} */ (event.target);
    if (navigator.onLine) {
      if (form.matches('form[action="/logout"]') && 'caches' in window) {
        // Signed out: the offline copies of dashboard pages go too.
        void caches.delete('poctix-admin');
      }
      return;
    }
    event.preventDefault();
    showOffline('You are offline: this needs the server. Nothing was sent; try again when you are back online.');
  },
  true,
);

document.addEventListener(
  'click',
  (event) => {
    const link = /** @type {Element} */ (event.target).closest?.('a[href$=".csv"], a[href$=".zip"]');
    if (link && !navigator.onLine) {
      event.preventDefault();
      showOffline('You are offline: downloads need the server. Try again when you are back online.');
    }
  },
  true,
);
