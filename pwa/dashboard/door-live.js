// @ts-check
/**
 * The live door view: pull door.json, then pull again whenever the server pokes
 * (server-sent events on door/stream) and every 30 s in case a poke was lost.
 * Offline, the page keeps the last figures and says how old they are.
 */
import { clock, render } from './figures.js';

const root = /** @type {HTMLElement | null} */ (document.getElementById('door-live'));
const status = document.getElementById('live-status');
const FALLBACK_PULL_MS = 30000;

if (root && status) {
  // `pull` below is a hoisted function declaration, so tsc does not carry the narrowing of
  // `root` into it; this const is the narrowed element.
  const view = root;
  const eventId = root.dataset.eventId;
  const timeZone = root.dataset.timezone || 'UTC';
  const base = `/admin/events/${eventId}/door`;
  /** @type {string | null} */
  let asOf = null;
  let pulling = false;
  let again = false;

  const say = (/** @type {string} */ text) => {
    status.textContent = text;
  };

  async function pull() {
    if (pulling) {
      again = true;
      return;
    }
    pulling = true;
    try {
      do {
        again = false;
        const response = await fetch(`${base}.json`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const figures = await response.json();
        render(view, figures);
        asOf = figures.as_of;
        say(`Live · as of ${clock(asOf, timeZone)}`);
        view.dataset.asOf = asOf || '';
      } while (again);
    } catch {
      say(`Offline · figures as of ${clock(asOf ?? document.querySelector('meta[name="poctix-as-of"]')?.getAttribute('content') ?? null, timeZone)}`);
    } finally {
      pulling = false;
    }
  }

  const stream = new EventSource(`${base}/stream`);
  stream.addEventListener('ready', () => void pull());
  stream.addEventListener('poke', () => void pull());
  stream.addEventListener('error', () => {
    if (!navigator.onLine) say(`Offline · figures as of ${clock(asOf, timeZone)}`);
  });
  window.addEventListener('online', () => void pull());
  setInterval(() => void pull(), FALLBACK_PULL_MS);
}
