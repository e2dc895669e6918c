// @ts-check
/**
 * The service worker and its update flow: a new version installs in the background and waits;
 * the page activates it (skipWaiting) when the door taps "Update now" or when no scan is being
 * written, then reloads once the new worker controls the page. Scans live in IndexedDB, so a
 * reload loses nothing.
 */

/**
 * Register /sw.js at root scope and report a waiting worker.
 * @param {{onWaiting: (worker: ServiceWorker) => void}} options
 * @returns {Promise<ServiceWorkerRegistration|null>}
 */
export async function registerWorker({ onWaiting }) {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
  const container = navigator.serviceWorker;
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
  let registration;
  try {
    registration = await container.register('/sw.js', { scope: '/', updateViaCache: 'none' });
  } catch (error) {
    console.warn('service worker not registered', error);
    return null;
  }
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
  setInterval(update, 30 * 60 * 1000);
  window.addEventListener('online', update);
  return registration;
}

/** @param {ServiceWorker} worker */
export function activate(worker) {
  worker.postMessage({ type: 'SKIP_WAITING' });
}

/**
 * Ask the browser to wake the page for a sync when the network returns (Background Sync,
 * where the browser has it; elsewhere the page's own loop does the work).
 */
/** @param {ServiceWorkerRegistration|null} registration */
export async function requestBackgroundSync(registration) {
  try {
    if (registration === null || !registration.active) return;
    const sync = /** @type {any} */ (registration).sync;
    if (sync) await sync.register('poctix-sync');
  } catch {
    // Not allowed here (permissions, private mode): the in-page loop still syncs.
  }
}
