// @ts-check
/**
 * Words the door shows around times: "7:34 PM" in the event's zone, "2 min ago" for the last
 * sync. Kept apart from the DOM so node tests can check them.
 */

import { say, spokenLanguage } from '../lib/i18n.js';

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map();

/**
 * Hour and minute of `ms` in the IANA zone `timeZone`, "7:34 PM" (in German or Spanish, the
 * locale's own clock: "19:34"). Falls back to the phone's zone if the event's zone is unknown to
 * this browser.
 * @param {number} ms
 * @param {string|undefined} timeZone
 * @param {string} [language]
 */
export function clockTime(ms, timeZone, language = 'en') {
  const key = `${language} ${timeZone ?? ''}`;
  let format = formats.get(key);
  if (format === undefined) {
    const english = language === 'en';
    const locale = english ? 'en-US' : language;
    const options = /** @type {const} */ ({ hour: 'numeric', minute: '2-digit', hour12: english ? true : undefined });
    try {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone: timeZone || undefined });
    } catch {
      format = new Intl.DateTimeFormat(locale, options);
    }
    formats.set(key, format);
  }
  // Newer ICU puts a narrow no-break space before AM/PM; the door and its tests read a space.
  return format.format(ms).replace(/[\u202f\u00a0]/g, ' ');
}

/**
 * "2 min", "3 h", "2 d" since `at`; null under a minute.
 * @param {number} at
 * @param {number} now
 */
function span(at, now) {
  const seconds = Math.max(0, Math.floor((now - at) / 1000));
  if (seconds < 60) return null;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return say('time.minutes', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return say('time.hours', { n: hours });
  return say('time.days', { n: Math.floor(hours / 24) });
}

/**
 * "never", "just now", "2 min ago", "3 h ago", "2 d ago" (in the page's language).
 * @param {number|null|undefined} at
 * @param {number} now
 */
export function ago(at, now) {
  if (at === null || at === undefined) return say('time.never');
  const since = span(at, now);
  return since === null ? say('time.just_now') : say('time.ago', { span: since });
}

/** A door that is online but has not synced for this long says so (the sync runs every 5 s). */
export const STALE_SYNC_MS = 10 * 60 * 1000;

/**
 * The warning of a phone that thinks it is online yet has not synced for 10 minutes (a venue
 * Wi-Fi with no way out, a captive portal, a server down), or null. Offline, the badge already
 * says why nothing syncs. `since` is the last full sync, else when the pass list came.
 * @param {{online: boolean, since: number|null|undefined, now: number}} status
 * @returns {string|null}
 */
export function staleSyncText({ online, since, now }) {
  if (!online || since === null || since === undefined || now - since < STALE_SYNC_MS) return null;
  return say('scan.stale_sync', { span: span(since, now) ?? say('time.just_now') });
}

/** Verdicts whose title ends on a time (PROTOCOL.md section 13): "Not yet — opens 7:00 PM". */
const TIMED = new Set(['already_scanned', 'not_yet', 'closed']);

/**
 * Title and detail lines for a verdict, from sync-core's message words.
 * @param {import('../lib/sync-core.js').Message} words
 * @param {import('../lib/sync-core.js').Verdict} shown
 * @param {string|undefined} timeZone
 * @param {string} [language] the words' language, for the time's shape (./lib/i18n.js)
 * @returns {{title: string, detail: string}}
 */
export function verdictText(words, shown, timeZone, language = 'en') {
  let { title } = words;
  /** @type {string[]} */
  const details = [];
  if (TIMED.has(shown.code) && shown.at !== null) title = `${title} ${clockTime(shown.at, timeZone, language)}`;
  if (words.detail) details.push(words.detail);
  if (shown.tier && !details.includes(shown.tier)) details.push(shown.tier);
  return { title, detail: details.join(' · ') };
}

/**
 * The double-admission alert: the pass by its reference (the pass id the dashboard and the scans
 * CSV show), with its holder's name on a phone that may see names, and both doors with their
 * times, earlier first: "Double admission: pass MFRGG… (Ann Lee) — Gate A 7:34 PM and Gate B
 * 7:35 PM". `here` is this phone's own admission of the pass.
 * @param {{pass_id: string, scanned_at: number, door: string,
 *   here?: {door: string, scanned_at: number}}} alert
 * @param {string|undefined} timeZone
 * @param {string|null} [holder]
 */
export function doubleAdmissionText(alert, timeZone, holder = null) {
  const at = (/** @type {{door: string, scanned_at: number}} */ side) => say('scan.door_at', {
    door: side.door || say('scan.another_door'), time: clockTime(side.scanned_at, timeZone, spokenLanguage()),
  });
  const other = { door: alert.door, scanned_at: alert.scanned_at };
  const [first, second] = alert.here ? [alert.here, other].sort((a, b) => a.scanned_at - b.scanned_at).map(at) : [];
  const doors = alert.here ? say('scan.both_doors', { first, second }) : say('scan.also_door', { door: at(other) });
  return say('scan.double_admission', { pass: alert.pass_id, holder: holder ? ` (${holder})` : '', doors });
}

/**
 * The banner of a phone the organizer removed from the door (its token answers 401): the sync
 * loop has stopped, and the scans it never uploaded stay on the phone.
 * @param {number} pending scans not yet uploaded
 */
export function removedText(pending) {
  const kept = pending === 0 ? say('scan.removed_none')
    : pending === 1 ? say('scan.removed_one') : say('scan.removed_many', { n: pending });
  return say('scan.removed', { kept });
}
