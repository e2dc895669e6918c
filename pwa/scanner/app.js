// @ts-check
/**
 * The door scanner page (/scan): pair once, then scan all night with or without network.
 *
 * Start-up reads everything from IndexedDB first, so a reload in airplane mode shows a working
 * scanner; the network is only ever used in the background (sync loop) or to pair. Codes come
 * from the camera, a keyboard-wedge scanner or the manual field, and all go through
 * `Door.scan`, which verifies the token and asks sync-core for the verdict.
 */

import { Door, SEARCH } from '../lib/door.js';
import { ScannerStore } from '../lib/scanner-store.js';
import { createApi, isRevoked, SyncLoop, syncOnce } from '../lib/sync-client.js';
import { localMessage, loadTranslator, pickLanguage } from '../lib/i18n.js';
import { needsHttps, signatureTrouble } from '../lib/secure-context.js';
import { message } from '../lib/sync-core.js';
import { Camera } from './camera.js';
import { wireCamera, wireDirection, wireSound } from './controls.js';
import { Feedback } from './feedback.js';
import { staleSyncText } from './format.js';
import { pairCodeFrom, showPairing } from './pairing.js';
import { DoorGuests } from './guests.js';
import { PinLock } from './pin.js';
import { SearchPanel } from './search.js';
import { PhoneSettings } from './settings.js';
import { SettingsPanel } from './settings-panel.js';
import { activate, registerWorker, requestBackgroundSync } from '../lib/sw-register.js';
import { AppVersion } from './app-version.js';
import { View } from './view.js';
import { attachWedge } from './wedge.js';

/** Re-download the pass pack (and keys) when the last one is older than this. */
const REFRESH_PACK_MS = 6 * 60 * 60 * 1000;
/** Apply a waiting update by itself only after the door has been quiet this long. */
const QUIET_BEFORE_UPDATE_MS = 30 * 1000;

const view = new View();
const version = new AppVersion();
const api = createApi({ appVersion: () => version.current });
const settings = new PhoneSettings();
const feedback = new Feedback({ settings: () => settings.get() });
const lock = new PinLock({ settings });
const panel = new SettingsPanel({
  settings,
  lock,
  show: (name) => view.show(name),
  paired: () => (door?.identity ? {
    door: door.doorName,
    event: door.meta.event?.name ?? door.identity.event_name,
    pending: door.outbox.length,
  } : null),
  onUnpair: unpair,
  onClose: () => view.show(door?.identity ? 'scanner' : 'pairing'),
});
/** @type {Door} */
let door;
/** @type {SyncLoop|null} */
let loop = null;
/** @type {Camera|null} */
let camera = null;
/** @type {ServiceWorkerRegistration|null} */
let registration = null;
/** @type {import('../lib/sync-core.js').Verdict|null} */
let lastShown = null;
/** How the pass of `lastShown` was found: null for a scanned code, "search" by name. */
/** @type {string|null} */
let lastSource = null;
let lastScanAt = 0;
let scannerStarted = false;

const timeZone = () => door.meta.event?.timezone;
const guests = new DoorGuests({
  door: () => door,
  fetchGuests: (token) => api.guests(token),
  onChange: () => {
    search.refresh();
    if (door.alerts.length > 0) showAlerts();
  },
});
/** Names only on a phone that may see them (its guest list holds them). @param {string|null} passId */
const holderOf = (passId) => guests.nameOf(passId);
const search = new SearchPanel({
  guests: () => guests.searchable,
  allowed: () => guests.allowed && door.ready,
  info: (passId) => door.passInfo(passId),
  direction: () => (door.direction === 'out' ? 'out' : 'in'),
  onCheckIn: (passId) => void checkInFound(passId),
});

function showAlerts() {
  view.setAlerts(door.alerts, timeZone(), holderOf);
}
const online = () => navigator.onLine;

function renderStatus() {
  // A removed phone still scans offline; the banner keeps counting what it holds unsent.
  if (door.meta.revoked === true) view.setRevoked(true, door.outbox.length);
  const error = loop && loop.failures > 0 && loop.lastError ? describe(loop.lastError) : null;
  const now = door.now();
  view.setStatus({
    online: online(),
    pending: door.outbox.length,
    lastSync: door.meta.last_sync,
    now,
    passes: door.passCount,
    error: online() ? error : null,
    admitted: door.admitted,
    inside: door.ready ? door.inside : null,
    insideByTier: door.insideByTier,
    // A removed phone no longer syncs, and its banner says so already.
    stale: door.meta.revoked === true || !door.ready ? null
      : staleSyncText({ online: online(), since: door.meta.last_sync ?? door.meta.pack?.fetched_at, now }),
  });
}

/** @param {unknown} error */
function describe(error) {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** One sync round: (re)bootstrap when needed, push the outbox, pull until up to date. */
async function round() {
  const token = door.identity?.token;
  if (!token) return;
  await version.read(); // the first round may run before the service worker filled its cache
  const pack = door.meta.pack;
  const first = !door.ready;
  if (first || (pack && door.now() - pack.fetched_at > REFRESH_PACK_MS)) {
    const exchange = await api.bootstrap(token);
    door.noteExchange({ serverTime: exchange.data.server_time, sentAt: exchange.sentAt, receivedAt: exchange.receivedAt });
    await door.bootstrap(exchange.data);
  }
  let alerts;
  try {
    ({ alerts } = await syncOnce({ door, api }));
  } finally {
    // A new door is ready once it also pulled the other doors' scans (or tried to): otherwise a
    // pass admitted elsewhere would show green here in the first seconds.
    if (first && door.ready) becameReady();
  }
  await guests.refresh(token);
  // No beep for alerts: a sound now would read as the verdict of the pass in front of the door.
  if (alerts.length > 0) showAlerts();
  if (door.ready) showWhere(); // a pull may have brought this door's list, or renamed it
  renderStatus();
}

function showWhere() {
  view.where(door.meta.event?.name ?? door.identity?.event_name ?? '', door.doorName, door.listName);
}

function becameReady() {
  showWhere();
  const trouble = signatureTrouble({ secure: !needsHttps(window), unreadableKeys: door.badKeys.length });
  if (trouble === 'needs_https') view.needsHttps(location);
  else view.notice(trouble === 'no_ed25519' ? view.t('notice.no_ed25519') : null);
  showAlerts();
  view.setReady(true);
  search.refresh();
  renderStatus();
}

/** @param {string} text */
async function handleCode(text) {
  // A pass at the door comes first: the settings screen and the search give way.
  panel.close();
  search.close();
  if (!door.ready) {
    view.notice(view.t('notice.no_pass_list'));
    return;
  }
  // User Timing for bench/scanner_latency.py: code in -> scan committed to IndexedDB -> shown.
  const start = performance.now();
  const result = await door.scan(text);
  if (result === null) return;
  performance.measure('poctix:code-to-committed', { start });
  present(result, null, start);
}

/**
 * A guest found by name is checked in (or out) as a scan of their pass would be.
 * @param {string} passId
 */
async function checkInFound(passId) {
  search.close();
  present(await door.checkIn(passId), SEARCH);
}

/**
 * Show a verdict the door recorded, with the holder's name where the phone may see it.
 * @param {import('../lib/door.js').Scanned} result
 * @param {string|null} source
 * @param {number|null} [start] when the code came in (performance.now()), for the latency mark
 */
function present(result, source, start = null) {
  lastShown = result.verdict;
  lastSource = source;
  lastScanAt = Date.now();
  const words = localMessage(message(result.verdict), result.verdict, view.t, view.language);
  view.showVerdict(words, result.verdict, timeZone(), holderOf(result.verdict.pass_id));
  if (start !== null) performance.measure('poctix:code-to-verdict', { start });
  feedback.signal(words.color);
  if (!result.saved) view.notice(view.t('notice.scan_not_saved'));
  afterScan();
}

async function admitAnyway() {
  if (lastShown === null || lastShown.code !== 'already_scanned') return;
  const shown = lastShown;
  lastShown = null;
  view.admitAnyway.disabled = true;
  await door.admitAnyway(shown, { source: lastSource });
  lastScanAt = Date.now();
  view.showAdmittedAnyway();
  feedback.signal('green');
  afterScan();
}

function afterScan() {
  renderStatus();
  if (loop !== null) void loop.trigger();
  if (!online()) void requestBackgroundSync(registration);
}

/** @param {ServiceWorker} worker */
function updateWaiting(worker) {
  const banner = /** @type {HTMLElement} */ (document.getElementById('update'));
  banner.hidden = false;
  const apply = async () => {
    if (door) await door.idle();
    activate(worker);
  };
  /** @type {HTMLButtonElement} */ (document.getElementById('update-apply')).onclick = () => void apply();
  const whenQuiet = setInterval(() => {
    const quiet = !door || !door.ready || Date.now() - lastScanAt > QUIET_BEFORE_UPDATE_MS;
    if (quiet && (!door || door.writing === 0)) {
      clearInterval(whenQuiet);
      void apply();
    }
  }, 5000);
}

/** @param {string} code @param {string} name */
async function pairWith(code, name) {
  const { data } = await api.pair({ code, name });
  loop?.stop();
  // A new pairing starts over: no names of the old one stay on the phone.
  await guests.erase();
  await door.pair({
    device_id: data.device_id,
    token: data.token,
    event_id: data.event_id,
    event_name: data.event_name,
    door: data.door,
    list: data.list ?? 'default',
    may_search: data.may_search === true,
  });
  history.replaceState(null, '', location.pathname + location.search);
  view.setRevoked(false, 0);
  startScanner();
}

function wireScannerInputs() {
  const form = /** @type {HTMLFormElement} */ (document.getElementById('manual-form'));
  const input = /** @type {HTMLInputElement} */ (document.getElementById('manual-code'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = input.value;
    input.value = '';
    input.blur();
    if (code.trim()) void handleCode(code);
  });
  view.admitAnyway.addEventListener('click', () => void admitAnyway());
  attachWedge(document, (code) => void handleCode(code));
  camera = wireCamera({ view, settings, onCode: (code) => void handleCode(code) });
  wireDirection({
    view,
    settings,
    onChange: (direction) => {
      door.setDirection(direction);
      lastShown = null; // "Admit anyway" belongs to a verdict on the way in
      view.admitAnyway.hidden = true;
    },
  });
  window.addEventListener('online', () => {
    renderStatus();
    void loop?.trigger({ now: true });
  });
  window.addEventListener('offline', renderStatus);
  setInterval(renderStatus, 5000);
}

function startScanner() {
  view.show('scanner');
  view.where(door.identity?.event_name ?? '', door.doorName);
  if (door.ready) becameReady();
  else view.notice(view.t('notice.downloading'));
  view.setRevoked(door.meta.revoked === true, door.outbox.length);
  if (!scannerStarted) {
    scannerStarted = true;
    wireScannerInputs();
  }
  void camera?.start();
  loop = new SyncLoop({
    round,
    isOnline: online,
    onChange: renderStatus,
    onRevoked: () => {
      // The loop has stopped itself for good: no more pushes or pulls with a removed token, and
      // the guest names go.
      void door.revoke().then(() => guests.erase());
      view.setRevoked(true, door.outbox.length);
      renderStatus();
    },
  });
  if (door.meta.revoked !== true) loop.start();
  renderStatus();
}

/** The service worker's Background Sync asks the page to sync; answer on the message port. */
function listenToWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type !== 'poctix-sync') return;
    const reply = (/** @type {boolean} */ ok) => event.ports[0]?.postMessage({ ok, pending: door?.outbox.length ?? 0 });
    if (loop === null) reply(false);
    else void loop.trigger({ now: true }).then(reply);
  });
}

async function main() {
  // The phone's language (English, Spanish, German): the verdicts and the view's words.
  const language = pickLanguage(globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en']);
  view.speak(language, await loadTranslator(language));
  if (needsHttps(window)) {
    // No camera, no offline copy, no signature checks here: pairing would spend the one-time
    // code on a phone that cannot scan. Send the person to the same link over HTTPS instead.
    view.needsHttps(location);
    return;
  }
  panel.renderButton(); // written in English before the catalogue came
  wireSound({ view, settings, feedback });
  listenToWorker();
  void registerWorker({ onWaiting: updateWaiting }).then((r) => {
    registration = r;
  });
  let store;
  try {
    store = await ScannerStore.open();
  } catch (error) {
    view.show('pairing');
    view.notice(view.t('notice.no_storage'));
    console.warn(error);
    return;
  }
  door = new Door({ store });
  await door.load();
  void guests.open(); // names are read in the background: the door never waits for them
  const code = pairCodeFrom(location.hash);
  window.addEventListener('hashchange', () => {
    const next = pairCodeFrom(location.hash);
    if (next !== null) void pairFromLink(next);
  });
  if (code !== null) await pairFromLink(code);
  else if (door.identity === null) showPairingFor(null);
  else startScanner();
}

/** @param {string|null} code */
function showPairingFor(code) {
  view.show('pairing');
  showPairing({ code, pairWith, pairedAs: door.identity?.door ?? null });
}

/**
 * A pairing link opened on a paired phone: pairing again is unpairing, so with a PIN set the
 * PIN comes first; going back to scanning instead drops the link.
 * @param {string} code
 */
async function pairFromLink(code) {
  if (door.identity !== null && lock.enabled) {
    const ok = await panel.requestUnlock(view.t('pair.unlock_intro'));
    if (!ok) {
      history.replaceState(null, '', location.pathname + location.search);
      if (!scannerStarted) startScanner();
      return;
    }
    panel.leave();
  }
  showPairingFor(code);
}

/** The settings screen unpaired the phone: stop syncing, keep unsent scans, ask for a link. */
async function unpair() {
  loop?.stop();
  loop = null;
  camera?.stop();
  await door.unpair();
  await guests.erase();
  lastShown = null;
  view.setReady(false);
  view.setRevoked(false, 0);
  view.notice(null);
  view.setAlerts([], undefined);
  renderStatus();
  showPairingFor(null);
}

void main().catch((error) => {
  if (isRevoked(error)) return;
  console.error('scanner failed to start', error);
  view.notice(view.t('notice.failed'));
});
