// @ts-check
/**
 * The scanner page's DOM: sections, the verdict panel, the status bar, alerts. Element ids are a
 * contract with the end-to-end tests (see README of pwa/scanner in the report): keep them.
 */

import { ENGLISH, say, speakWith, translateStatic, translator } from '../lib/i18n.js';
import { writeHttpsNotice } from '../lib/secure-context.js';
import { verdictClass } from './feedback.js';
import { ago, doubleAdmissionText, removedText, verdictText } from './format.js';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

export class View {
  constructor() {
    this.sections = { loading: $('loading'), pairing: $('pairing'), scanner: $('scanner'), settings: $('settings') };
    this.verdict = $('verdict');
    this.title = $('verdict-title');
    this.detail = $('verdict-detail');
    this.admitAnyway = /** @type {HTMLButtonElement} */ ($('admit-anyway'));
    this.count = 0;
    /** The phone's language and its words (../lib/i18n.js); English until `speak` is called. */
    this.language = 'en';
    /** @type {import('../lib/i18n.js').Translate} */
    this.t = translator(ENGLISH);
  }

  /**
   * Speak `language` from now on: the page's lang and the words the view writes.
   * @param {string} language @param {import('../lib/i18n.js').Translate} t
   */
  speak(language, t) {
    this.language = language;
    this.t = t;
    speakWith(language, t); // the words the other modules write (say in ../lib/i18n.js)
    document.documentElement.lang = language;
    translateStatic(document, t); // the page's fixed words (data-i18n in index.html)
  }

  /** @param {'loading'|'pairing'|'scanner'|'settings'} name */
  show(name) {
    for (const [key, element] of Object.entries(this.sections)) element.hidden = key !== name;
  }

  /** @param {boolean} ready */
  setReady(ready) {
    if (ready) document.body.dataset.ready = 'true';
    else delete document.body.dataset.ready;
  }

  /**
   * The header: event, door, and the door list when the phone is bound to one (not default).
   * @param {string} eventName @param {string} door @param {string|null} [listName]
   */
  where(eventName, door, listName = null) {
    $('event-name').textContent = eventName;
    $('door-name').textContent = door;
    $('list-name-item').hidden = listName === null;
    $('list-name').textContent = listName ?? '';
  }

  /**
   * Fill the panel with a new verdict; `holder` is the pass holder's name where the phone may
   * see names.
   * @param {import('../lib/sync-core.js').Message} words
   * @param {import('../lib/sync-core.js').Verdict} shown
   * @param {string|undefined} timeZone
   * @param {string|null} [holder]
   */
  showVerdict(words, shown, timeZone, holder = null) {
    const { title, detail } = verdictText(words, shown, timeZone, this.language);
    const name = $('verdict-holder');
    name.hidden = holder === null;
    name.textContent = holder ?? '';
    this.paint(words.color ?? 'red');
    this.verdict.dataset.code = shown.code;
    delete this.verdict.dataset.admitted;
    this.title.textContent = title;
    this.detail.textContent = detail;
    this.admitAnyway.hidden = shown.code !== 'already_scanned';
    this.admitAnyway.disabled = false;
    this.count += 1;
    this.verdict.dataset.count = String(this.count);
  }

  /** After "Admit anyway": the same verdict, now green; not a new verdict (count unchanged). */
  showAdmittedAnyway() {
    this.paint('green');
    this.verdict.dataset.admitted = 'true';
    this.title.textContent = this.t('scanner.admitted_anyway');
    this.admitAnyway.hidden = true;
  }

  /**
   * The In/Out toggle as the door scans now; "Out" is marked on the whole page.
   * @param {'in'|'out'} direction
   */
  setDirection(direction) {
    $('direction-in').setAttribute('aria-pressed', String(direction === 'in'));
    $('direction-out').setAttribute('aria-pressed', String(direction === 'out'));
    document.body.dataset.direction = direction;
  }

  /** @param {string} colour */
  paint(colour) {
    this.verdict.classList.remove('green', 'amber', 'red', 'flash');
    // Restart the flash animation so two verdicts in a row are visibly two.
    void this.verdict.offsetWidth;
    this.verdict.classList.add(colour, 'flash');
    // The class picks the shape (circle, triangle, octagon): the answer without its colour.
    this.verdict.dataset.class = verdictClass(colour) ?? '';
  }

  /**
   * The door's own numbers. `inside` ("Inside now" on this phone's list) is null until the door
   * holds its pass list.
   * @param {{online: boolean, pending: number, lastSync: number|undefined, now: number,
   *   passes: number, error: string|null, admitted: number, inside: number|null,
   *   insideByTier?: ReadonlyMap<string, number>, stale: string|null}} status
   */
  setStatus({ online, pending, lastSync, now, passes, error, admitted, inside, insideByTier, stale }) {
    const network = $('status-network');
    network.textContent = online ? this.t('scanner.online') : this.t('scanner.offline');
    network.classList.toggle('offline', !online);
    $('status-admitted').textContent = String(admitted);
    $('status-inside-item').hidden = inside === null;
    $('status-inside').textContent = inside === null ? '' : String(inside);
    $('status-inside-tiers').textContent = inside === null ? '' : tierBreakdown(insideByTier);
    $('status-pending').textContent = String(pending);
    $('status-last-sync').textContent = ago(lastSync, now);
    $('status-cache').textContent = String(passes);
    const warning = $('sync-stale');
    // Only on a change: a role=alert element re-read every 5 s would talk over the door.
    if (warning.textContent !== (stale ?? '')) warning.textContent = stale ?? '';
    warning.hidden = stale === null;
    const problem = $('status-error');
    problem.hidden = error === null;
    problem.textContent = error === null ? '' : this.t('scan.sync_failed', { error });
  }

  /**
   * @param {ReadonlyArray<import('../lib/scanner-store.js').Alert>} alerts newest first
   * @param {string|undefined} timeZone
   * @param {(passId: string) => string|null} [holderOf] names, where the phone may see them
   */
  setAlerts(alerts, timeZone, holderOf = () => null) {
    const list = $('alerts');
    list.replaceChildren(
      ...alerts.map((alert) => {
        const item = document.createElement('li');
        // A note of scans the server could not store carries its own words (door.noteRefused).
        item.textContent = alert.text ?? doubleAdmissionText(alert, timeZone, alert.pass_id ? holderOf(alert.pass_id) : null);
        item.dataset.kind = alert.kind ?? 'also_admitted';
        if (alert.pass_id) {
          item.dataset.passId = alert.pass_id;
          item.title = this.t('scan.pass_ref', { pass: alert.pass_id });
        }
        return item;
      }),
    );
    $('alerts-empty').hidden = alerts.length > 0;
  }

  /** @param {string|null} text */
  notice(text) {
    const element = $('notice');
    element.hidden = text === null;
    element.textContent = text ?? '';
  }

  /**
   * The page was opened over plain HTTP: say so, with the HTTPS link, in place of the scanner.
   * @param {import('../lib/secure-context.js').PageLocation} location
   */
  needsHttps(location) {
    for (const element of Object.values(this.sections)) element.hidden = true;
    const element = $('notice');
    writeHttpsNotice(element, location);
    element.hidden = false;
  }

  /** @param {boolean} revoked @param {number} pending */
  setRevoked(revoked, pending) {
    const banner = $('revoked');
    banner.hidden = !revoked;
    banner.textContent = revoked ? removedText(pending) : '';
  }

  /**
   * The camera bar's torch and switch buttons, as the open camera allows.
   * @param {import('./camera.js').Controls} controls
   */
  setCameraControls({ canSwitch, torch }) {
    $('camera-switch').hidden = !canSwitch;
    const button = $('camera-torch');
    button.hidden = torch === null;
    button.setAttribute('aria-pressed', String(torch === true));
  }

  /**
   * The sound button: on, muted, or on but waiting for a tap (browsers start audio only then).
   * @param {'on'|'off'|'blocked'} state
   */
  setSound(state) {
    const button = $('sound-toggle');
    button.dataset.state = state;
    button.textContent = this.t(state === 'off' ? 'scanner.sound_off' : state === 'blocked' ? 'scanner.sound_blocked' : 'scanner.sound_on');
  }

  /** @param {string} text @param {boolean} running */
  setCamera(text, running) {
    $('camera-status').textContent = text;
    $('camera-toggle').textContent = this.t(running ? 'scanner.stop_camera' : 'scanner.start_camera');
    // No picture, no preview box: the verdict gets the room.
    $('camera-video').hidden = !running;
  }
}

/**
 * "(General 8 · VIP 4)": inside now per tier, by name; passes of a tier this phone does not
 * know yet count as "other". Empty when nobody is inside.
 * @param {ReadonlyMap<string, number> | undefined} byTier
 * @returns {string}
 */
export function tierBreakdown(byTier) {
  if (!byTier || byTier.size === 0) return '';
  const named = [...byTier].filter(([tier]) => tier !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const other = byTier.get('');
  const parts = named.map(([tier, n]) => `${tier} ${n}`);
  if (other) parts.push(say('scan.tier_other', { n: other }));
  return `(${parts.join(' · ')})`;
}
