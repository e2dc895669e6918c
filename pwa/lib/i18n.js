// @ts-check
/**
 * The PWA's languages (scanner and wallet): English, Spanish, German, as the server's pages.
 * One small JSON catalogue per language in ./i18n/ (a key per message, `{name}` placeholders),
 * fetched from the service worker's precache like every file of lib/, so a phone offline still
 * speaks its language. A key a catalogue lacks reads English (tests/test_i18n_catalogues.py fails
 * when one does). The verdict words keep their English source in ./sync/messages.js (the mirror
 * of sync/messages.py); `localMessage` swaps them by the verdict's stable code. The void wording
 * has one table per language shared with the server (./void-wording.js).
 */

import { voidWording } from './void-wording.js';

/** @typedef {import('./sync-core.js').Message} Message */
/** @typedef {import('./sync-core.js').Verdict} Verdict */
/** @typedef {(key: string, params?: Record<string, string|number|null|undefined>) => string} Translate */
/** @typedef {Readonly<Record<string, string>>} Catalogue */

export const LANGUAGES = Object.freeze(['en', 'es', 'de']);

/** (`Object.hasOwn` is too new for some door phones.) @param {object} object @param {string} key */
const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);
export const DEFAULT_LANGUAGE = 'en';

/**
 * The English catalogue, here as in ./i18n/en.json (tests/js/i18n.test.mjs holds the two equal):
 * the words a phone shows before, or without, its own catalogue.
 * @type {Catalogue}
 */
export const ENGLISH = Object.freeze({
  'verdict.admit': 'Admit',
  'verdict.not_in_cache': 'Valid — not yet in cache',
  'verdict.sold_after_sync': "Validly signed; sold after this scanner's last sync",
  'verdict.already_scanned': 'Already scanned',
  'verdict.first_admitted_at': 'First admitted at {door}',
  'verdict.wrong_list': 'Wrong door — {list} only',
  'verdict.not_yet': 'Not yet — opens',
  'verdict.closed': 'Too late — closed',
  'verdict.tier_unknown': 'Check the ticket — {list} only',
  'verdict.exit': 'Exit',
  'verdict.not_inside': 'Not inside',
  'verdict.went_out_at': 'Went out at {door}',
  'verdict.invalid': 'Invalid pass',
  'verdict.invalid_detail': 'Signature or format not recognised',
  'verdict.wrong_event': 'Wrong event',
  'verdict.wrong_event_detail': 'This pass is for another event',
  'verdict.unknown': 'Do not admit',
  'verdict.unknown_detail': 'Unknown verdict {code}',
  'list.this': 'this list',
  'scanner.admitted_anyway': 'Admitted anyway',
  'scanner.online': 'Online',
  'scanner.offline': 'Offline',
  'scanner.sound_off': 'Sound off',
  'scanner.sound_blocked': 'Tap for sound',
  'scanner.sound_on': 'Sound on',
  'scanner.stop_camera': 'Stop camera',
  'secure.needs_https': 'This page needs HTTPS: open',
  'scanner.start_camera': 'Start camera',
  'wallet.open_my_passes': 'Open my passes',
  'wallet.no_longer_exists': 'No longer exists',
  'wallet.pass': 'Pass',
  'wallet.valid': 'Valid',
  'wallet.order_missing': 'This order no longer exists on the ticketing server. The door may not accept this pass; ask the organizer.',
  'wallet.pass_missing': 'This pass is no longer part of its order on the ticketing server. The door may not accept it; ask the organizer.',
  'scan.status_label': 'Scanner status',
  'scan.admitted': 'Admitted here',
  'scan.admitted_title': 'People this phone let in',
  'scan.inside': 'Inside now',
  'scan.inside_title': "Passes inside now on this door's list",
  'scan.pending': 'Pending',
  'scan.pending_title': 'Scans not uploaded yet',
  'scan.synced': 'Synced',
  'scan.passes': 'Passes',
  'scan.update_ready': 'A new version of the scanner is ready.',
  'scan.update_now': 'Update now',
  'scan.loading': 'Loading the scanner…',
  'scan.pair_title': 'Pair this phone',
  'scan.door_name': 'Door name',
  'scan.door': 'Door',
  'scan.open_pairing_link': "Open the pairing link from the organizer's dashboard.",
  'scan.paste_pairing': 'Or paste the pairing link or code',
  'scan.continue': 'Continue',
  'scan.torch': 'Torch',
  'scan.switch_camera': 'Switch camera',
  'scan.direction_label': 'Scan people in or out',
  'scan.in': 'In',
  'scan.out': 'Out',
  'scan.warning': 'Warning',
  'scan.stop': 'Stop',
  'scan.ready': 'Ready to scan',
  'scan.ready_detail': 'Show a pass to the camera, or type its code below.',
  'scan.admit_anyway': 'Admit anyway',
  'scan.pass_code': 'Pass code',
  'scan.pass_code_placeholder': 'Type or paste a pass code',
  'scan.check': 'Check',
  'scan.find_guest': 'Find guest',
  'scan.find_a_guest': 'Find a guest',
  'scan.guest_query': 'Name, email or order reference',
  'scan.close': 'Close',
  'scan.alerts': 'Alerts',
  'scan.no_alerts': 'No double admissions seen.',
  'scan.settings_title': 'Scanner settings',
  'scan.pin': 'PIN',
  'scan.unlock': 'Unlock',
  'scan.feedback': 'Feedback',
  'scan.vibrate': 'Vibrate on each verdict',
  'scan.sound_hint': 'Sound is the button beside the camera.',
  'scan.pin_lock': 'PIN lock',
  'scan.pin_new': 'New PIN (4 to 6 digits)',
  'scan.pin_repeat': 'The same PIN again',
  'scan.pin_remove': 'Remove the PIN',
  'scan.pairing': 'Pairing',
  'scan.unpair': 'Unpair this phone',
  'scan.unpair_yes': 'Yes, unpair',
  'scan.back': 'Back to scanning',
  'scan.page_title': 'POCtix door scanner',
  'time.never': 'never',
  'time.just_now': 'just now',
  'time.minutes': '{n} min',
  'time.hours': '{n} h',
  'time.days': '{n} d',
  'time.ago': '{span} ago',
  'scan.stale_sync': 'Not synced for {span} while online: check the Wi-Fi or mobile data. Scans are kept on this phone until they upload.',
  'scan.sync_failed': 'Last sync failed: {error}',
  'scan.another_door': 'another door',
  'scan.door_at': '{door} {time}',
  'scan.both_doors': '{first} and {second}',
  'scan.also_door': 'also {door}',
  'scan.double_admission': 'Double admission: pass {pass}{holder} — {doors}',
  'scan.pass_ref': 'Pass {pass}',
  'scan.tier_other': 'other {n}',
  'scan.removed': 'This phone was removed from the door and no longer syncs. {kept}',
  'scan.removed_none': 'It has no unsent scans.',
  'scan.removed_one': 'Its 1 unsent scan is kept on this phone.',
  'scan.removed_many': 'Its {n} unsent scans are kept on this phone.',
  'notice.no_ed25519': 'This browser cannot check pass signatures (no Ed25519). Update the browser.',
  'notice.no_pass_list': 'The pass list is not downloaded yet: connect to the network once.',
  'notice.scan_not_saved': 'A scan could not be saved to the phone yet; it is kept and retried.',
  'notice.downloading': 'Downloading the pass list… (needs the network once)',
  'notice.no_storage': 'This browser does not allow offline storage here (private mode?). The scanner needs it.',
  'notice.failed': 'The scanner failed to start. Reload the page.',
  'camera.none': 'No camera in this browser: type the code or use a handheld scanner',
  'camera.starting': 'Starting camera…',
  'camera.denied': 'Camera permission denied: type the code or use a handheld scanner',
  'camera.unavailable': 'Camera unavailable: type the code or use a handheld scanner',
  'camera.no_decoder': 'QR decoder unavailable: type the code or use a handheld scanner',
  'camera.point': 'Point the camera at a pass',
  'camera.off': 'Camera off',
  'pair.intro': 'Name the door this phone scans at, then pair it with the event.',
  'pair.not_accepted': 'The pairing code or door name was not accepted.',
  'pair.server_failed': 'The server could not pair this phone ({detail}). Try again in a moment.',
  'pair.offline': 'No connection to the server: pairing needs the network once. Try again when online.',
  'pair.paired_as': 'This phone is paired as "{door}". Pairing again starts over; unsent scans are kept on the phone.',
  'pair.not_a_code': 'That is not a pairing link or code. Ask the organizer for a new one.',
  'pair.unlock_intro': 'Enter this phone’s PIN to pair it again.',
  'pin.digits': 'A PIN is 4 to 6 digits.',
  'pin.differ': 'The two PINs differ.',
  'pin.blocked': 'Too many wrong PINs. Try again in {seconds} s.',
  'pin.wrong_wait': 'Wrong PIN. Too many wrong PINs: wait {seconds} s.',
  'pin.wrong': 'Wrong PIN.',
  'settings.unlock_intro': 'Enter this phone’s PIN to change its settings.',
  'settings.not_paired': 'This phone is not paired.',
  'settings.paired_as': 'Paired as "{door}" for {event}.',
  'settings.pin_on': 'A PIN locks these settings and unpairing. Scanning never needs it.',
  'settings.pin_off': 'No PIN: anyone holding this phone can change these settings or unpair it.',
  'settings.change_pin': 'Change PIN',
  'settings.set_pin': 'Set PIN',
  'settings.open': 'Settings',
  'settings.open_pin': 'Settings (PIN)',
  'settings.pin_set': 'PIN set: settings and unpairing now need it.',
  'settings.pin_removed': 'PIN removed.',
  'settings.unpair_question': 'Unpair this phone? It forgets the pass list and stops syncing. {unsent}',
  'settings.unpair_question_door': 'Unpair this phone from "{door}"? It forgets the pass list and stops syncing. {unsent}',
  'settings.all_uploaded': 'Every scan has been uploaded.',
  'settings.not_uploaded_one': '1 scan has not been uploaded yet: they stay on this phone but will not reach the organizer. Connect and wait until Pending shows 0 first.',
  'settings.not_uploaded_many': '{n} scans have not been uploaded yet: they stay on this phone but will not reach the organizer. Connect and wait until Pending shows 0 first.',
  'guest.inside': 'Inside',
  'guest.valid': 'Valid',
  'guest.unknown': 'Not in the pass list yet',
  'guest.no_list': 'The guest list is not on this phone yet: it downloads when the phone is online.',
  'guest.erased': 'Guest names were erased from this phone after the event.',
  'guest.count_one': '1 guest on this phone. Type a name, email or order reference.',
  'guest.count_many': '{n} guests on this phone. Type a name, email or order reference.',
  'guest.no_match': 'No guest matches.',
  'guest.check_in': 'Check in',
  'guest.check_out': 'Check out',
  'guest.no_name': 'No name given',
});

/**
 * The first of the phone's languages (`navigator.languages`) the app speaks: `de-AT` reads `de`.
 * @param {readonly string[] | undefined} wanted
 * @returns {string}
 */
export function pickLanguage(wanted) {
  for (const tag of wanted ?? []) {
    const code = String(tag).toLowerCase().split(/[-_]/)[0];
    if (LANGUAGES.includes(code)) return code;
  }
  return DEFAULT_LANGUAGE;
}

/**
 * A translate function over `catalogue`, falling back to English, then to the key itself.
 * @param {Catalogue} catalogue
 * @param {Catalogue} [english]
 * @returns {Translate}
 */
export function translator(catalogue, english = ENGLISH) {
  return (key, params = {}) => {
    const text = has(catalogue, key) ? catalogue[key] : has(english, key) ? english[key] : key;
    return text.replace(/\{(\w+)\}/g, (whole, name) => (params[name] === undefined || params[name] === null ? whole : String(params[name])));
  };
}

/**
 * A page's fixed words in the phone's language: each element marked `data-i18n="key"` gets its
 * text, `data-i18n-placeholder`, `data-i18n-label` (aria-label) and `data-i18n-title` the
 * attribute of that name. The markup keeps the English, so a page read before (or without) its
 * catalogue still says something.
 * @param {ParentNode} root
 * @param {Translate} t
 */
export function translateStatic(root, t) {
  /** @type {Array<[string, (element: Element, text: string) => void]>} */
  const marks = [
    ['data-i18n', (element, text) => { element.textContent = text; }],
    ['data-i18n-placeholder', (element, text) => element.setAttribute('placeholder', text)],
    ['data-i18n-label', (element, text) => element.setAttribute('aria-label', text)],
    ['data-i18n-title', (element, text) => element.setAttribute('title', text)],
  ];
  for (const [attribute, write] of marks) {
    for (const element of root.querySelectorAll(`[${attribute}]`)) {
      write(element, t(element.getAttribute(attribute) ?? ''));
    }
  }
}

/**
 * The page's language and words for the modules that write words outside the view (camera,
 * pairing, PIN, settings, search, format.js): one translator per page, set by `speakWith` once
 * the phone's catalogue is read (the scanner's View.speak). Until then, and in node tests that
 * set none, English: so the English words stay what the door has always said.
 */
let spoken = { language: DEFAULT_LANGUAGE, t: translator(ENGLISH) };

/** Speak `language` with `t` from now on. @param {string} language @param {Translate} t */
export function speakWith(language, t) {
  spoken = { language, t };
}

/** A message of the page's language. @type {Translate} */
export const say = (key, params) => spoken.t(key, params);

/** The page's language ("en" until `speakWith`). */
export const spokenLanguage = () => spoken.language;

/**
 * The catalogue URL of a language (served from /pwa/lib/i18n/, precached by sw.js).
 * @param {string} language
 */
export const catalogueUrl = (language) => new URL(`./i18n/${language}.json`, import.meta.url).href;

/**
 * Load `language`'s translator; a catalogue that cannot be read leaves English.
 * @param {string} language
 * @param {(url: string) => Promise<{ok: boolean, json: () => Promise<any>}>} [fetchJson]
 * @returns {Promise<Translate>}
 */
export async function loadTranslator(language, fetchJson = (url) => fetch(url)) {
  /** @param {string} code @returns {Promise<Catalogue>} */
  const read = async (code) => {
    try {
      const response = await fetchJson(catalogueUrl(code));
      return response.ok ? await response.json() : {};
    } catch {
      return {};
    }
  };
  return translator(language === DEFAULT_LANGUAGE ? ENGLISH : await read(language), ENGLISH);
}

/**
 * A verdict's words in `language`: the English message (./sync/messages.js) with its title and
 * detail swapped by the verdict's code. Colour, code, time and door stay as they are.
 * @param {Message} words
 * @param {Verdict} shown
 * @param {Translate} t
 * @param {string} language
 * @returns {Message}
 */
export function localMessage(words, shown, t, language) {
  if (language === DEFAULT_LANGUAGE) return words;
  const list = shown.list_name || t('list.this');
  const soldAfterSync = t('verdict.sold_after_sync');
  /** @type {Record<string, [string, string|null]>} */
  const table = {
    admit: [t('verdict.admit'), shown.tier],
    not_in_cache: [t('verdict.not_in_cache'), soldAfterSync],
    already_scanned: [t('verdict.already_scanned'), shown.door ? t('verdict.first_admitted_at', { door: shown.door }) : null],
    wrong_list: [t('verdict.wrong_list', { list }), shown.tier],
    not_yet: [t('verdict.not_yet'), shown.list_name ?? null],
    closed: [t('verdict.closed'), shown.list_name ?? null],
    tier_unknown: [t('verdict.tier_unknown', { list }), soldAfterSync],
    exit: [t('verdict.exit'), shown.tier],
    not_inside: [t('verdict.not_inside'), shown.door ? t('verdict.went_out_at', { door: shown.door }) : null],
    void: [voidWording(shown.reason, language).door, null],
    invalid: [t('verdict.invalid'), t('verdict.invalid_detail')],
    wrong_event: [t('verdict.wrong_event'), t('verdict.wrong_event_detail')],
    ignored: ['', null],
  };
  const [title, detail] = has(table, shown.code)
    ? table[shown.code]
    : [t('verdict.unknown'), t('verdict.unknown_detail', { code: shown.code })];
  return { ...words, title, detail };
}
