// @ts-check
/**
 * The scanner speaks the phone's language: German door staff read German verdicts, with the
 * time as a German clock says it, while English stays word for word what the door has always
 * said ("Already scanned 7:34 PM", "Refunded — do not admit"). A catalogue that cannot be read
 * leaves English; the void wording is the server's table of that language.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { ENGLISH, LANGUAGES, loadTranslator, localMessage, pickLanguage, translateStatic, translator } from '../../pwa/lib/i18n.js';
import { message } from '../../pwa/lib/sync-core.js';
import { VOID_WORDING_BY_LANGUAGE, voidWording } from '../../pwa/lib/void-wording.js';
import { verdictText } from '../../pwa/scanner/format.js';

/** @param {string} language */
const catalogue = (language) =>
  JSON.parse(readFileSync(new URL(`../../pwa/lib/i18n/${language}.json`, import.meta.url), 'utf8'));

/** The catalogues as the service worker's cache would answer for them. */
const fetchJson = async (/** @type {string} */ url) => {
  const language = /\/i18n\/(\w+)\.json$/.exec(url)?.[1] ?? '';
  return { ok: true, json: async () => catalogue(language) };
};

// 7:34 PM in Honolulu on December 12, 2026.
const AT = Date.UTC(2026, 11, 13, 5, 34);
const ZONE = 'Pacific/Honolulu';

/** @param {Partial<import('../../pwa/lib/sync-core.js').Verdict>} fields */
const verdict = (fields) => /** @type {import('../../pwa/lib/sync-core.js').Verdict} */ ({
  code: 'admit', pass_id: 'P1', tier: 'GA', at: null, door: null, reason: null, list_name: null, ...fields,
});

test('the English catalogue in i18n.js is en.json word for word', () => {
  assert.deepEqual({ ...ENGLISH }, catalogue('en'));
});

test('a phone set to Austrian German gets German; an unknown language gets English', () => {
  assert.equal(pickLanguage(['de-AT', 'en']), 'de');
  assert.equal(pickLanguage(['fr-FR', 'es-MX']), 'es');
  assert.equal(pickLanguage(['fr-FR']), 'en');
  assert.equal(pickLanguage(undefined), 'en');
  assert.deepEqual([...LANGUAGES], ['en', 'es', 'de']);
});

test('a German door reads a second scan as "Bereits gescannt 19:34" with the first door', async () => {
  const t = await loadTranslator('de', fetchJson);
  const shown = verdict({ code: 'already_scanned', at: AT, door: 'Gate A' });
  const words = localMessage(message(shown), shown, t, 'de');
  assert.equal(words.color, 'amber');
  assert.deepEqual(verdictText(words, shown, ZONE, 'de'), {
    title: 'Bereits gescannt 19:34',
    detail: 'Zuerst eingelassen an Gate A · GA',
  });
});

test('English stays exactly as the door has always said it', async () => {
  const t = await loadTranslator('en', fetchJson);
  const again = verdict({ code: 'already_scanned', at: AT, door: 'Gate A' });
  assert.equal(verdictText(localMessage(message(again), again, t, 'en'), again, ZONE).title, 'Already scanned 7:34 PM');
  const refunded = verdict({ code: 'void', reason: 'refunded' });
  assert.equal(localMessage(message(refunded), refunded, t, 'en').title, 'Refunded — do not admit');
});

test('every verdict code has its own words in Spanish and German, void ones from the table', async () => {
  const codes = ['admit', 'not_in_cache', 'already_scanned', 'wrong_list', 'not_yet', 'closed',
    'tier_unknown', 'exit', 'not_inside', 'invalid', 'wrong_event', 'something_new'];
  for (const language of ['es', 'de']) {
    const t = await loadTranslator(language, fetchJson);
    for (const code of codes) {
      const shown = verdict({ code, door: 'Gate A', list_name: 'VIP' });
      const english = message(shown);
      const local = localMessage(english, shown, t, language);
      assert.notEqual(local.title, english.title, `${language} ${code}`);
      assert.equal(local.color, english.color);
    }
    const voided = verdict({ code: 'void', reason: 'refunded' });
    assert.equal(localMessage(message(voided), voided, t, language).title, voidWording('refunded', language).door);
  }
  assert.equal(voidWording('refunded', 'de').door, 'Erstattet — kein Einlass');
});

test("each language's void table is the server's file word for word", () => {
  for (const [language, table] of Object.entries(VOID_WORDING_BY_LANGUAGE)) {
    const name = language === 'en' ? 'void_wording.json' : `void_wording.${language}.json`;
    const file = JSON.parse(readFileSync(new URL(`../../api/passes/${name}`, import.meta.url), 'utf8'));
    assert.deepEqual(JSON.parse(JSON.stringify(table)), file);
  }
});

test('a catalogue that cannot be fetched, or a key it lacks, reads English', async () => {
  const offline = await loadTranslator('es', async () => { throw new TypeError('offline'); });
  assert.equal(offline('scanner.offline'), 'Offline');
  const partial = translator({ 'scanner.online': 'En línea' });
  assert.equal(partial('scanner.online'), 'En línea');
  assert.equal(partial('verdict.went_out_at', { door: 'Gate B' }), 'Went out at Gate B');
});

test('a German phone\'s wallet says "Gültig", and a refunded pass "Ungültig — erstattet"', async () => {
  const { passState } = await import('../../pwa/wallet/model.js');
  const t = await loadTranslator('de', fetchJson);
  const order = /** @type {any} */ ({ missing: false });
  const valid = passState(/** @type {any} */ ({ id: 'p', tier: 'GA', status: 'valid', token: 'X' }), order, 'de', t);
  assert.equal(valid.badge, 'Gültig');
  const refunded = /** @type {any} */ ({ id: 'q', tier: 'GA', status: 'void', void_reason: 'refunded', token: null });
  assert.equal(passState(refunded, order, 'de', t).badge, 'Ungültig — erstattet');
  assert.equal(passState(refunded, order).badge, 'Void — refunded');
});

const SCANNER_HTML = readFileSync(new URL('../../pwa/scanner/index.html', import.meta.url), 'utf8');
const ATTRIBUTE_OF = { 'data-i18n-placeholder': 'placeholder', 'data-i18n-label': 'aria-label', 'data-i18n-title': 'title' };

test("the scanner page's fixed words each name a catalogue key whose English is the markup's", () => {
  const marks = [...SCANNER_HTML.matchAll(/<(\w+)([^>]*?)\sdata-i18n(-placeholder|-label|-title)?="([\w.]+)"([^>]*)>([^<]*)/g)];
  assert.ok(marks.length >= 40, `only ${marks.length} marked`);
  for (const [, , before, kind, key, after, text] of marks) {
    assert.ok(Object.hasOwn(ENGLISH, key), `${key} is not in the English catalogue`);
    if (kind) {
      const attribute = ATTRIBUTE_OF[/** @type {keyof typeof ATTRIBUTE_OF} */ (`data-i18n${kind}`)];
      const value = new RegExp(`\\s${attribute}="([^"]*)"`).exec(`${before} ${after}`)?.[1];
      assert.equal(value?.replace(/&#39;/g, "'"), ENGLISH[key], key);
    } else {
      assert.equal(text.trim(), ENGLISH[key], key);
    }
  }
});

test("a German phone's scanner page reads German: text, placeholders, labels and titles", async () => {
  /** A few elements of the page as the browser would hold them. */
  const element = (/** @type {Record<string, string>} */ attributes) => ({
    textContent: 'English',
    attributes: { ...attributes },
    getAttribute(/** @type {string} */ name) { return this.attributes[name] ?? null; },
    setAttribute(/** @type {string} */ name, /** @type {string} */ value) { this.attributes[name] = value; },
  });
  const title = element({ 'data-i18n': 'scan.ready' });
  const input = element({ 'data-i18n-placeholder': 'scan.pass_code_placeholder', placeholder: 'Type or paste a pass code' });
  const group = element({ 'data-i18n-label': 'scan.direction_label' });
  const status = element({ 'data-i18n-title': 'scan.pending_title' });
  const all = [title, input, group, status];
  const root = /** @type {ParentNode} */ (/** @type {unknown} */ ({
    querySelectorAll: (/** @type {string} */ selector) => {
      const name = /^\[([\w-]+)\]$/.exec(selector)?.[1] ?? '';
      return all.filter((item) => name in item.attributes);
    },
  }));
  translateStatic(root, await loadTranslator('de', fetchJson));
  assert.equal(title.textContent, 'Bereit zum Scannen');
  assert.equal(input.attributes.placeholder, 'Ticketcode eingeben oder einfügen');
  assert.equal(group.attributes['aria-label'], 'Personen hinein- oder hinausscannen');
  assert.equal(status.attributes.title, 'Noch nicht hochgeladene Scans');
  assert.equal(input.textContent, 'English'); // an attribute mark leaves the text alone
});

test('a German door reads its pairing, PIN, settings, camera, guest and status words in German', async () => {
  const { speakWith, spokenLanguage } = await import('../../pwa/lib/i18n.js');
  const { ago, doubleAdmissionText, removedText, staleSyncText } = await import('../../pwa/scanner/format.js');
  const { pairingProblem } = await import('../../pwa/scanner/pairing.js');
  const { pinProblem } = await import('../../pwa/scanner/pin.js');
  const { unpairWarning } = await import('../../pwa/scanner/settings-panel.js');
  const { guestStatus, searchNote } = await import('../../pwa/scanner/search.js');
  const now = AT + 12 * 60 * 1000;
  const alert = { pass_id: 'MFRGG', door: 'Gate B', scanned_at: AT + 60_000, here: { door: 'Gate A', scanned_at: AT } };
  const english = () => [
    pinProblem('12'), unpairWarning({ door: 'Gate A', event: 'Reef', pending: 2 }), ago(AT, now),
    staleSyncText({ online: true, since: AT, now }), removedText(1), doubleAdmissionText(alert, ZONE, 'Ann Lee'),
    pairingProblem(new TypeError('offline')), guestStatus({ tier: null, status: 'void', inside: false }).words,
    searchNote({ size: 3, refused: null, query: '', found: 0 }),
  ];
  assert.equal(spokenLanguage(), 'en');
  const before = english();
  assert.deepEqual(before, [
    'A PIN is 4 to 6 digits.',
    'Unpair this phone from "Gate A"? It forgets the pass list and stops syncing. 2 scans have not been uploaded yet: they stay on this phone but will not reach the organizer. Connect and wait until Pending shows 0 first.',
    '12 min ago',
    'Not synced for 12 min while online: check the Wi-Fi or mobile data. Scans are kept on this phone until they upload.',
    'This phone was removed from the door and no longer syncs. Its 1 unsent scan is kept on this phone.',
    'Double admission: pass MFRGG (Ann Lee) — Gate A 7:34 PM and Gate B 7:35 PM',
    'No connection to the server: pairing needs the network once. Try again when online.',
    'Void — do not admit',
    '3 guests on this phone. Type a name, email or order reference.',
  ]);
  speakWith('de', await loadTranslator('de', fetchJson));
  try {
    assert.deepEqual(english(), [
      'Eine PIN hat 4 bis 6 Ziffern.',
      'Kopplung dieses Telefons mit „Gate A“ aufheben? Es vergisst die Ticketliste und gleicht nicht mehr ab. 2 Scans sind noch nicht hochgeladen: Sie bleiben auf diesem Telefon, erreichen den Veranstalter aber nicht. Erst verbinden und warten, bis Ausstehend 0 zeigt.',
      'vor 12 Min.',
      'Seit 12 Min. nicht abgeglichen, obwohl online: WLAN oder mobile Daten prüfen. Scans bleiben auf diesem Telefon, bis sie hochgeladen sind.',
      'Dieses Telefon wurde vom Eingang entfernt und gleicht nicht mehr ab. Sein ungesendeter Scan bleibt auf diesem Telefon.',
      'Doppelter Einlass: Ticket MFRGG (Ann Lee) — Gate A 19:34 und Gate B 19:35',
      'Keine Verbindung zum Server: Das Koppeln braucht einmal das Netz. Mit Verbindung noch einmal versuchen.',
      'Ungültig — kein Einlass',
      '3 Gäste auf diesem Telefon. Namen, E-Mail oder Bestellnummer eingeben.',
    ]);
    speakWith('es', await loadTranslator('es', fetchJson));
    const spanish = english();
    assert.equal(spanish[0], 'Un PIN tiene de 4 a 6 cifras.');
    assert.equal(spanish[2], 'hace 12 min');
    for (const [index, text] of spanish.entries()) assert.notEqual(text, before[index], `es ${index}`);
  } finally {
    speakWith('en', translator(ENGLISH));
  }
  assert.deepEqual(english(), before);
});
