// @ts-check
/**
 * "Save to this phone", on the passes page (one order) and on /account (every order of the
 * signed-in buyer): fetch the orders as JSON from the button's `data-wallet-source`, store them
 * in the wallet's IndexedDB, and wait until the root service worker holds the wallet's offline
 * copy before saying "Saved": from then on /wallet opens in airplane mode.
 *
 * An order already saved is merged, not replaced, so a pass the phone knew and the server no
 * longer lists stays marked rather than vanishing.
 */

import { registerWorker } from '../lib/sw-register.js';
import { fromWire, merged, readRecord } from './model.js';
import { openWallet, putOrder, record } from './store.js';

const READY_WAIT_MS = 20000;

/** A failure worth telling the buyer in its own words. */
class SaveError extends Error {}

/** @param {HTMLElement} status @param {string} text @param {boolean} [withLink] */
function say(status, text, withLink = false) {
  status.replaceChildren(text);
  if (withLink) {
    const link = document.createElement('a');
    link.href = '/wallet';
    link.textContent = 'Open my passes';
    status.append(' ', link);
  }
  status.hidden = false;
}

/**
 * Register the root worker, wait until one is active, and ask it whether it answers /wallet
 * from its cache (an active worker older than the wallet would not, until it is replaced).
 * @returns {Promise<boolean>}
 */
async function offlineReady() {
  try {
    if ((await registerWorker()) === null) return false;
    /** @type {Promise<null>} */
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), READY_WAIT_MS));
    const registration = await Promise.race([navigator.serviceWorker.ready, timeout]);
    const worker = registration?.active;
    if (!worker) return false;
    return await new Promise((resolve) => {
      const channel = new MessageChannel();
      const silent = setTimeout(() => resolve(false), 3000);
      channel.port1.onmessage = (message) => {
        clearTimeout(silent);
        resolve(message.data?.ok === true);
      };
      worker.postMessage({ type: 'poctix-offline?', url: '/wallet' }, [channel.port2]);
    });
  } catch {
    return false;
  }
}

/**
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} status
 */
async function save(button, status) {
  const source = button.dataset.walletSource ?? '';
  button.disabled = true;
  say(status, 'Saving…');
  try {
    const response = await fetch(source, {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (!response.ok) {
      throw new SaveError(response.status === 401 ? 'Sign in again to save your passes.' : 'The server could not send your passes just now.');
    }
    const body = await response.json();
    const wires = Array.isArray(body?.orders) ? body.orders : [body];
    const now = Date.now();
    const db = await openWallet();
    let passes = 0;
    for (const wire of wires) {
      const fresh = fromWire(wire, now);
      const earlier = readRecord(fresh.public_id, await record(db, fresh.public_id));
      await putOrder(db, merged(earlier.ok ? earlier.order : null, fresh));
      passes += fresh.passes.length;
    }
    const ready = await offlineReady();
    const what = passes === 1 ? '1 pass' : `${passes} passes`;
    say(
      status,
      ready
        ? `Saved — open /wallet any time, even offline (${what} on this phone).`
        : `Saved ${what} on this phone. Open /wallet once while online so it also opens offline.`,
      true,
    );
    status.dataset.saved = 'true';
  } catch (error) {
    const message = error instanceof SaveError ? error.message : 'Your passes could not be saved on this phone.';
    say(status, `${message} Try again, or keep this page’s link.`);
  } finally {
    button.disabled = false;
  }
}

// Install the worker early, so the wallet's offline copy is usually complete before the tap.
void registerWorker();

for (const button of document.querySelectorAll('button[data-wallet-source]')) {
  const status = document.getElementById(button.getAttribute('aria-describedby') ?? '') ?? document.createElement('p');
  button.addEventListener('click', () => void save(/** @type {HTMLButtonElement} */ (button), status));
}
