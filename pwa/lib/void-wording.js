// @ts-check
/**
 * What a void pass says, by its stable void reason: the same table as api/passes/void_wording.json
 * (tests/js/void-wording.test.mjs holds the two equal; a JSON import would need an import
 * attribute some door browsers lack). `buyer` is the wallet's badge, `door` the red verdict's
 * title; a reason the table does not name gets `other`. One table per language, as on the server
 * (void_wording.json is English, void_wording.es.json and void_wording.de.json the others).
 */

/** @typedef {{buyer: string, door: string}} VoidWords */
/** @typedef {{reasons: Readonly<Record<string, VoidWords>>, other: VoidWords}} VoidTable */

export const VOID_WORDING = Object.freeze({
  reasons: Object.freeze({
    refunded: Object.freeze({ buyer: 'Void — refunded', door: 'Refunded — do not admit' }),
    disputed: Object.freeze({ buyer: 'Void — disputed', door: 'Disputed — do not admit' }),
    event_cancelled: Object.freeze({ buyer: 'Void — event cancelled', door: 'Event cancelled — do not admit' }),
    cancelled: Object.freeze({ buyer: 'Void', door: 'Cancelled — do not admit' }),
    transferred: Object.freeze({ buyer: 'Void — transferred', door: 'Transferred — do not admit' }),
  }),
  other: Object.freeze({ buyer: 'Void', door: 'Void — do not admit' }),
});

/** The tables by language (the languages of ./i18n.js). */
export const VOID_WORDING_BY_LANGUAGE = Object.freeze({
  en: VOID_WORDING,
  es: Object.freeze({
    reasons: Object.freeze({
      refunded: Object.freeze({ buyer: 'Anulada — reembolsada', door: 'Reembolsada — no admitir' }),
      disputed: Object.freeze({ buyer: 'Anulada — en disputa', door: 'En disputa — no admitir' }),
      event_cancelled: Object.freeze({ buyer: 'Anulada — evento cancelado', door: 'Evento cancelado — no admitir' }),
      cancelled: Object.freeze({ buyer: 'Anulada', door: 'Cancelada — no admitir' }),
      transferred: Object.freeze({ buyer: 'Anulada — transferida', door: 'Transferida — no admitir' }),
    }),
    other: Object.freeze({ buyer: 'Anulada', door: 'Anulada — no admitir' }),
  }),
  de: Object.freeze({
    reasons: Object.freeze({
      refunded: Object.freeze({ buyer: 'Ungültig — erstattet', door: 'Erstattet — kein Einlass' }),
      disputed: Object.freeze({ buyer: 'Ungültig — Zahlung angefochten', door: 'Zahlung angefochten — kein Einlass' }),
      event_cancelled: Object.freeze({ buyer: 'Ungültig — Veranstaltung abgesagt', door: 'Veranstaltung abgesagt — kein Einlass' }),
      cancelled: Object.freeze({ buyer: 'Ungültig', door: 'Storniert — kein Einlass' }),
      transferred: Object.freeze({ buyer: 'Ungültig — übertragen', door: 'Übertragen — kein Einlass' }),
    }),
    other: Object.freeze({ buyer: 'Ungültig', door: 'Ungültig — kein Einlass' }),
  }),
});

/**
 * The words for a void pass with this void reason, in `language` (English if it has no table).
 * @param {string | null | undefined} reason
 * @param {string} [language]
 * @returns {VoidWords}
 */
export function voidWording(reason, language = 'en') {
  /** @type {Readonly<Record<string, VoidTable>>} */
  const tables = VOID_WORDING_BY_LANGUAGE;
  /** @type {VoidTable} */
  const table = Object.prototype.hasOwnProperty.call(tables, language) ? tables[language] : VOID_WORDING;
  const reasons = table.reasons;
  return reason && Object.prototype.hasOwnProperty.call(reasons, reason) ? reasons[reason] : table.other;
}
