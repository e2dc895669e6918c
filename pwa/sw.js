// @ts-check
/// <reference lib="webworker" />
/**
 * POCtix service worker, served at /sw.js with root scope.
 *
 * It precaches the door scanner's shell (page, modules, styles, icons, the QR decoder's wasm)
 * and the buyer's wallet (page, modules, the QR drawer), as listed by the server, under a cache
 * named after __PRECACHE_VERSION__, which the server replaces with a hash of every file under
 * pwa/: any change to the app makes a new worker. The new worker installs in the background and
 * waits; the page tells it to skipWaiting when the door agrees (or is idle),
 * then reloads. Old caches go at activation.
 *
 * Fetches: only same-origin GETs of precached URLs are answered, cache first (the cache is
 * versioned, so it is never stale); navigations to /scan and /wallet get the cached page, so
 * offline never hangs (the wallet's passes themselves live in IndexedDB). Dashboard pages
 * (/admin/…) and the live door figures go network first: each answer is kept in ADMIN_CACHE, and offline the last kept copy is shown (the page says how old it is).
 * Downloads (CSV, zip) and the live stream are never kept. Being sent to /login clears
 * ADMIN_CACHE, so a signed-out browser keeps no organizer's figures. /api/ is never touched: scans and sync always go to the network (the page queues them
 * in IndexedDB). Background Sync ("poctix-sync") wakes an open scanner page to push its outbox.
 */

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

const VERSION = '__PRECACHE_VERSION__';
const CACHE_PREFIX = 'poctix-shell-';
const CACHE = CACHE_PREFIX + VERSION;
const SCANNER_PAGE = '/scan';
const WALLET_PAGE = '/wallet';
const ADMIN_CACHE = 'poctix-admin';

/**
 * Everything the scanner, the wallet and the dashboard shell need with no network: the server
 * writes the list in here (api/web/pwa.py: each page's URL and every file of pwa/'s app, lib, vendor
 * and icon folders), so it never falls out of step with the imports.
 */
const PRECACHE = /** @type {string[]} */ (/* __PRECACHE_URLS__ */ []);
const PRECACHED = new Set(PRECACHE);
/** Pages answered from the precache when navigated to (with or without a trailing slash). */
const SHELL_PAGES = new Set([SCANNER_PAGE, `${SCANNER_PAGE}/`, WALLET_PAGE, `${WALLET_PAGE}/`]);

sw.addEventListener('install', (event) => {
  // Awaited: the worker only counts as installed once every file is in the cache.
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' }))),
    ),
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== CACHE).map((n) => caches.delete(n)),
      );
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void sw.skipWaiting();
  // "Will this worker answer `url` with no network?" Asked by the wallet's save button before it
  // promises offline use: an older active worker (from before the wallet) does not answer.
  const port = event.ports[0];
  if (event.data?.type === 'poctix-offline?' && port) {
    const url = String(event.data.url);
    event.waitUntil(
      caches
        .open(CACHE)
        .then((cache) => cache.match(url))
        .then((hit) => port.postMessage({ ok: PRECACHED.has(url) && hit !== undefined })),
    );
  }
});

/**
 * A navigation must not be answered with a redirected response: copy it into a plain one.
 * @param {Response} response
 */
async function unredirected(response) {
  if (!response.redirected) return response;
  const body = await response.blob();
  return new Response(body, { headers: response.headers, status: response.status, statusText: response.statusText });
}

/**
 * Cache first for precached files; the network only when the cache lacks one (a broken install).
 * @param {string} path
 * @param {Request} request
 */
async function fromCache(path, request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(path);
  if (cached) return unredirected(cached);
  return fetch(request);
}

/**
 * Dashboard pages and figures worth keeping for offline viewing.
 * @param {URL} url
 * @param {Request} request
 */
function keptForOffline(url, request) {
  if (!(url.pathname === '/admin' || url.pathname.startsWith('/admin/')) || PRECACHED.has(url.pathname)) return false;
  if (/\.(csv|zip)$/.test(url.pathname) || url.pathname.endsWith('/stream')) return false;
  return request.mode === 'navigate' || url.pathname.endsWith('/door.json');
}

/**
 * The key a dashboard page is kept under: `/admin` and `/admin/` are one page.
 * @param {URL} url
 */
function keptKey(url) {
  const key = new URL(url.href);
  key.hash = '';
  if (key.pathname.length > 1 && key.pathname.endsWith('/')) key.pathname = key.pathname.slice(0, -1);
  return key.href;
}

/**
 * Network first; keep good answers; offline, the kept copy (or the plain failure).
 * @param {Request} request
 * @param {URL} url
 */
async function networkFirst(request, url) {
  const cache = await caches.open(ADMIN_CACHE);
  try {
    const response = await fetch(request);
    if (response.redirected && new URL(response.url).pathname === '/login') {
      await caches.delete(ADMIN_CACHE);
    } else if (response.ok && !response.redirected) {
      await cache.put(keptKey(url), response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(keptKey(url), { ignoreVary: true });
    if (kept) return kept;
    throw error;
  }
}

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate' && SHELL_PAGES.has(url.pathname)) {
    event.respondWith(fromCache(url.pathname.replace(/\/$/, ''), request));
  } else if (PRECACHED.has(url.pathname) && !SHELL_PAGES.has(url.pathname)) {
    event.respondWith(fromCache(url.pathname, request));
  } else if (keptForOffline(url, request)) {
    event.respondWith(networkFirst(request, url));
  }
});

/**
 * Background Sync: ask an open scanner page to push its outbox (the page owns the token and the
 * IndexedDB transactions). Failing the event makes the browser retry later.
 */
sw.addEventListener('sync', (/** @type {any} */ event) => {
  if (event.tag !== 'poctix-sync') return;
  event.waitUntil(
    (async () => {
      const windows = await sw.clients.matchAll({ type: 'window' });
      const scanners = windows.filter((c) => new URL(c.url).pathname.startsWith(SCANNER_PAGE));
      if (scanners.length === 0) return;
      const answers = await Promise.all(scanners.map(askToSync));
      if (!answers.some(Boolean)) throw new Error('scanner sync failed; the browser will retry');
    })(),
  );
});

/**
 * @param {Client} client
 * @returns {Promise<boolean>}
 */
function askToSync(client) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(false), 60000);
    channel.port1.onmessage = (message) => {
      clearTimeout(timer);
      resolve(message.data?.ok === true);
    };
    client.postMessage({ type: 'poctix-sync' }, [channel.port2]);
  });
}
