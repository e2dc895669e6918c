// @ts-check
/**
 * The buyer's wallet page (/wallet): every pass saved on this phone, grouped by event, upcoming
 * first and past apart; a tap opens one full-screen with a large QR drawn from its token.
 *
 * Start-up never needs the network: the service worker answers /wallet and these modules from
 * its precache, and the passes come from IndexedDB. Online (at start and on every `online`
 * event), each saved order is checked with GET /api/v1/orders/{id}/passes, so refunds and voids
 * reach the phone; a 404 marks the order as no longer existing, it is never deleted silently.
 *
 * Storage and the QR drawer are imported dynamically: if either fails (a browser that refuses
 * IndexedDB, a missing vendor file), the page still says what it can and what it cannot.
 * `body[data-ready]` turns "true" after the first render (the e2e suite waits for it).
 */

import {
  arrange,
  eventWhen,
  fromWire,
  markedMissing,
  merged,
  passState,
  readRecord,
  readingNotes,
} from './model.js';
import { ENGLISH, loadTranslator, pickLanguage, translator } from '../lib/i18n.js';
import { needsHttps, writeHttpsNotice } from '../lib/secure-context.js';
import { registerWorker } from '../lib/sw-register.js';

/** @typedef {import('./model.js').SavedOrder} SavedOrder */
/** @typedef {import('./model.js').SavedPass} SavedPass */
/** @typedef {import('./model.js').ReadResult} ReadResult */
/** @typedef {import('./model.js').EventGroup} EventGroup */

/** @param {string} id */
function byId(id) {
  return /** @type {HTMLElement} */ (document.getElementById(id));
}

/**
 * @param {string} tag
 * @param {Record<string, string>} [attrs]
 * @param {(Node | string)[]} children
 */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

void registerWorker();

/** @type {typeof import('./store.js') | null} */
let store = null;
/** @type {any} */
let db = null;
/** @type {((doc: Document, text: string) => SVGSVGElement) | null} */
let drawQr = null;
/** @type {ReadResult[]} */
let results = [];
/** Notes about storage, drawing and the last check with the server. @type {string[]} */
let runtimeNotes = [];
/** @type {{order: string, pass: string} | null} */
let opened = null;
/** The phone's language and its words (../lib/i18n.js). */
let language = 'en';
/** @type {import('../lib/i18n.js').Translate} */
let t = translator(ENGLISH);
/** @type {Promise<void> | null} */
let refreshing = null;

async function reread() {
  if (!store || !db) return;
  try {
    const records = await store.allRecords(db);
    results = records.map(({ key, value }) => readRecord(key, value));
  } catch {
    runtimeNotes.push('The passes saved on this phone could not be read just now. Reload the page to try again.');
  }
}

function orders() {
  return results.flatMap((r) => (r.ok ? [r.order] : []));
}

function renderNotes() {
  const list = byId('notes');
  list.replaceChildren();
  const notes = [...readingNotes(results), ...runtimeNotes];
  for (const note of notes) list.append(el('li', {}, note));
  const unreadable = results.filter((r) => !r.ok).map((r) => r.key);
  if (unreadable.length > 0 && store && db) {
    const button = el('button', { type: 'button', id: 'remove-unreadable' }, 'Remove unreadable items');
    button.addEventListener('click', async () => {
      if (store && db) await store.removeKeys(db, unreadable);
      await reread();
      render();
    });
    list.append(el('li', {}, button));
  }
  list.hidden = list.childElementCount === 0;
}

/** @param {EventGroup} group */
function renderGroup(group) {
  const { event } = group;
  const where = [eventWhen(event), event.venue].filter(Boolean).join(' · ');
  const article = el('article', { class: 'event', 'data-event-id': group.key });
  if (event.organizer) article.append(el('p', { class: 'organizer muted' }, event.organizer));
  article.append(el('h3', {}, event.name));
  if (where) article.append(el('p', { class: 'when' }, where));
  if (group.items.length === 0) {
    article.append(el('p', { class: 'muted' }, 'No pass for this event could be shown.'));
    return article;
  }
  const list = el('ul', { class: 'passes' });
  for (const { pass, order } of group.items) {
    const state = passState(pass, order, language, t);
    const button = el(
      'button',
      { type: 'button', class: 'pass', 'data-status': state.code, 'data-pass-id': pass.id, 'data-order': order.public_id },
      el('span', { class: 'tier' }, pass.tier || 'Pass'),
      el('span', { class: 'badge', 'data-status': state.code }, state.badge),
    );
    button.addEventListener('click', () => openPass(order.public_id, pass.id, true));
    list.append(el('li', {}, button));
  }
  article.append(list);
  return article;
}

function render() {
  const { upcoming, past } = arrange(orders(), Date.now());
  byId('loading').hidden = true;
  byId('upcoming-list').replaceChildren(...upcoming.map(renderGroup));
  byId('past-list').replaceChildren(...past.map(renderGroup));
  byId('upcoming').hidden = upcoming.length === 0;
  byId('past').hidden = past.length === 0;
  byId('empty').hidden = upcoming.length + past.length > 0 || results.length > 0 || !store;
  renderNotes();
  if (opened) openPass(opened.order, opened.pass, false);
}

/**
 * @param {string} orderId
 * @param {string} passId
 */
function find(orderId, passId) {
  const order = orders().find((o) => o.public_id === orderId);
  const pass = order?.passes.find((p) => p.id === passId);
  return order && pass ? { order, pass } : null;
}

/** @type {any} */
let wakeLock = null;

/**
 * Show one pass over the whole screen.
 * @param {string} orderId
 * @param {string} passId
 * @param {boolean} fresh opened by a tap (not a re-render)
 */
function openPass(orderId, passId, fresh) {
  const found = find(orderId, passId);
  const view = byId('pass-view');
  if (!found) {
    closePass();
    return;
  }
  const { order, pass } = found;
  const state = passState(pass, order, language, t);
  opened = { order: orderId, pass: passId };
  view.dataset.status = state.code;
  byId('pass-event').textContent = order.event.name;
  byId('pass-title').textContent = state.title;
  const badge = byId('pass-badge');
  badge.textContent = state.code === 'void' ? `${pass.tier || 'Pass'} · ${state.badge}` : state.badge;
  badge.dataset.status = state.code;
  byId('pass-warning').textContent = state.warning ?? '';
  byId('pass-warning').hidden = state.warning === null;
  byId('pass-when').textContent = [eventWhen(order.event), order.event.venue].filter(Boolean).join(' · ');
  const box = byId('pass-qr');
  const code = byId('pass-code');
  const showable = state.code !== 'void' && pass.token !== null;
  box.replaceChildren();
  code.hidden = true;
  if (showable && drawQr) {
    try {
      box.append(drawQr(document, /** @type {string} */ (pass.token)));
    } catch {
      box.replaceChildren();
    }
  }
  box.hidden = box.childElementCount === 0;
  if (showable && box.hidden) {
    code.textContent = `The QR code could not be drawn on this phone. The pass code is: ${pass.token}`;
    code.hidden = false;
  }
  byId('pass-hint').hidden = !showable;
  view.hidden = false;
  if (fresh) {
    history.pushState({ wallet: 'pass' }, '');
    byId('pass-close').focus();
    keepScreenOn();
  }
}

function closePass() {
  opened = null;
  byId('pass-view').hidden = true;
  if (wakeLock) {
    void wakeLock.release().catch(() => {});
    wakeLock = null;
  }
}

function keepScreenOn() {
  const nav = /** @type {any} */ (navigator);
  if (!nav.wakeLock) return;
  nav.wakeLock.request('screen').then((/** @type {any} */ lock) => { wakeLock = lock; }, () => {});
}

byId('pass-close').addEventListener('click', () => {
  if (history.state?.wallet === 'pass') history.back();
  else closePass();
});
window.addEventListener('popstate', () => closePass());
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && opened) byId('pass-close').click();
});

/** @param {number} at */
function clock(at) {
  return new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at));
}

function lastChecked() {
  const times = orders().map((o) => o.checked_at ?? o.refreshed_at ?? 0).filter((t) => t > 0);
  return times.length > 0 ? Math.min(...times) : null;
}

function showNetwork() {
  const badge = byId('network');
  badge.textContent = navigator.onLine ? 'Online' : 'Offline';
  badge.dataset.online = String(navigator.onLine);
  const checked = lastChecked();
  if (!navigator.onLine && orders().length > 0) {
    byId('checked').textContent = `Offline: showing the passes saved on this phone${checked ? ` (last checked ${clock(checked)})` : ''}.`;
  }
}

/**
 * Check one saved order with the server; true when the server answered (found or gone).
 * @param {SavedOrder} saved
 */
async function refreshOrder(saved) {
  if (!store || !db) return false;
  let response;
  try {
    response = await fetch(`/api/v1/orders/${encodeURIComponent(saved.public_id)}/passes`, {
      cache: 'no-store',
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
  } catch {
    return false;
  }
  const now = Date.now();
  if (response.status === 404) {
    await store.putOrder(db, markedMissing(saved, now));
    return true;
  }
  if (!response.ok) return false;
  try {
    await store.putOrder(db, merged(saved, fromWire(await response.json(), now)));
  } catch {
    return false;
  }
  return true;
}

async function refreshAll() {
  showNetwork();
  if (!navigator.onLine || !store || !db) return;
  const saved = orders();
  if (saved.length === 0) return;
  const answered = await Promise.all(saved.map(refreshOrder));
  const failed = answered.filter((ok) => !ok).length;
  runtimeNotes = runtimeNotes.filter((n) => !n.startsWith('Could not check'));
  if (failed > 0) {
    runtimeNotes.push(`Could not check ${failed === 1 ? 'one order' : `${failed} orders`} with the server just now; ${failed === 1 ? 'it is' : 'they are'} shown as saved.`);
  }
  await reread();
  render();
  byId('checked').textContent = `Checked with the server at ${clock(Date.now())}.`;
  document.body.dataset.checked = String(Number(document.body.dataset.checked ?? '0') + 1);
}

function refreshOnce() {
  refreshing ??= refreshAll().finally(() => { refreshing = null; });
  return refreshing;
}

window.addEventListener('online', () => void refreshOnce());
window.addEventListener('offline', showNetwork);

/** Over plain HTTP the wallet still shows what this phone saved, but cannot keep an offline
 * copy of itself (no service worker): say why, and where the HTTPS page is. */
function sayWhenHttpsIsNeeded() {
  if (!needsHttps(window)) return;
  const notice = writeHttpsNotice(el('p', { id: 'needs-https', class: 'notes', role: 'alert' }), location);
  byId('notes').before(notice);
}

async function start() {
  sayWhenHttpsIsNeeded();
  language = pickLanguage(globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en']);
  document.documentElement.lang = language;
  t = await loadTranslator(language);
  try {
    store = await import('./store.js');
    db = await store.openWallet();
  } catch {
    store = null;
    runtimeNotes.push('This browser would not open the wallet’s storage on this phone, so saved passes cannot be shown here. Your tickets page (the link in your email) still shows them.');
  }
  try {
    drawQr = (await import('./qr.js')).qrSvg;
  } catch {
    runtimeNotes.push('QR codes cannot be drawn on this phone; each pass shows its code as text instead.');
  }
  await reread();
  render();
  showNetwork();
  document.body.dataset.ready = 'true';
  await refreshOnce();
}

void start();
