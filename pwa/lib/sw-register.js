// @ts-check
/**
 * The one place pages register the root service worker (/sw.js), for the scanner, the wallet
 * and the dashboard alike, so every page asks for the same script, scope and cache rule.
 *
 * A page that passes `onWaiting` also gets the update flow (today the scanner): a new version
 * installs in the background and waits; the page activates it (skipWaiting) when it chooses,
 * then reloads once the new worker controls the page. Pages without `onWaiting` never reload:
 * the new version takes over when their tabs close (a buyer's wallet must not jump mid-use).
 */

export const SCRIPT = '/sw.js';
/** @type {RegistrationOptions} */
export const OPTIONS = { scope: '/', updateViaCache: 'none' };
const UPDATE_EVERY_MS = 30 * 60 * 1000;

/**
 * Register /sw.js at root scope; with `onWaiting`, report a waiting worker and reload once an
 * activated update controls the page. Null where there is no service worker (or it failed).
 * @param {{onWaiting?: (worker: ServiceWorker) => void}} [options]
 * @returns {Promise<ServiceWorkerRegistration|null>}
 */
export async function registerWorker({ onWaiting } = {}) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
  const container = navigator.serviceWorker;
  if (onWaiting) reloadWhenReplaced(container); // before registering: the first claim counts
  let registration;
  try {
    registration = await container.register(SCRIPT, OPTIONS);
  } catch (error) {
    console.warn('service worker not registered', error);
    return null;
  }
  if (onWaiting) reportWaiting(container, registration, onWaiting);
  return registration;
}

/** @param {ServiceWorkerContainer} container */
function reloadWhenReplaced(container) {
  let controller = container.controller;
  let reloading = false;
  container.addEventListener('controllerchange', () => {
    // The first install claims an uncontrolled page: nothing to reload. Later changes are
    // updates this page (or another tab) activated.
    if (controller !== null && !reloading) {
      reloading = true;
      location.reload();
    }
    controller = container.controller;
  });
}

/**
 * @param {ServiceWorkerContainer} container
 * @param {ServiceWorkerRegistration} registration
 * @param {(worker: ServiceWorker) => void} onWaiting
 */
function reportWaiting(container, registration, onWaiting) {
  const check = () => {
    if (registration.waiting && container.controller) onWaiting(registration.waiting);
  };
  registration.addEventListener('updatefound', () => {
    const worker = registration.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed') check();
    });
  });
  check();
  // Long shifts: look for a new version every 30 minutes and whenever the network returns.
  const update = () => registration.update().catch(() => undefined);
  setInterval(update, UPDATE_EVERY_MS);
  window.addEventListener('online', update);
}

/** @param {ServiceWorker} worker */
export function activate(worker) {
  worker.postMessage({ type: 'SKIP_WAITING' });
}

/**
 * Ask the browser to wake the page for a sync when the network returns (Background Sync,
 * where the browser has it; elsewhere the page's own loop does the work).
 * @param {ServiceWorkerRegistration|null} registration
 */
export async function requestBackgroundSync(registration) {
  try {
    if (registration === null || !registration.active) return;
    const sync = /** @type {any} */ (registration).sync;
    if (sync) await sync.register('poctix-sync');
  } catch {
    // Not allowed here (permissions, private mode): the in-page loop still syncs.
  }
}
