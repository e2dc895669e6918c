// @ts-check
/**
 * Human words for verdicts, apart from the reason codes: the mirror of sync/messages.py. Times
 * stay integers; the UI formats `at` in the event's time zone. The void wording comes from the
 * one table shared with the server (../void-wording.js).
 */

import { voidWording } from '../void-wording.js';

/** @typedef {import('./wire.js').Verdict} Verdict */

/**
 * @typedef {{code: string, color: string|null, title: string, detail: string|null,
 *   at: number|null, door: string|null}} Message
 */

/** @param {Verdict} shown */
const listName = (shown) => shown.list_name || 'this list';

/**
 * English words for a verdict; `at` and `door` pass through for the UI to format (titles that end
 * on a time, "Already scanned", "Not yet — opens", "Too late — closed", get `at` appended).
 * @param {Verdict} shown
 * @returns {Message}
 */
export function message(shown) {
  /** @type {[string|null, string, string|null]} */
  let words;
  switch (shown.code) {
    case 'admit':
      words = ['green', 'Admit', shown.tier];
      break;
    case 'not_in_cache':
      words = ['green', 'Valid — not yet in cache', "Validly signed; sold after this scanner's last sync"];
      break;
    case 'already_scanned':
      words = ['amber', 'Already scanned', shown.door ? `First admitted at ${shown.door}` : null];
      break;
    case 'wrong_list':
      words = ['amber', `Wrong door — ${listName(shown)} only`, shown.tier];
      break;
    case 'not_yet':
      words = ['amber', 'Not yet — opens', shown.list_name ?? null];
      break;
    case 'closed':
      words = ['amber', 'Too late — closed', shown.list_name ?? null];
      break;
    case 'tier_unknown':
      words = [
        'amber',
        `Check the ticket — ${listName(shown)} only`,
        "Validly signed; sold after this scanner's last sync",
      ];
      break;
    case 'exit':
      words = ['green', 'Exit', shown.tier];
      break;
    case 'not_inside':
      words = ['amber', 'Not inside', shown.door ? `Went out at ${shown.door}` : null];
      break;
    case 'void': {
      words = ['red', voidWording(shown.reason).door, null];
      break;
    }
    case 'invalid':
      words = ['red', 'Invalid pass', 'Signature or format not recognised'];
      break;
    case 'wrong_event':
      words = ['red', 'Wrong event', 'This pass is for another event'];
      break;
    case 'ignored':
      words = [null, '', null];
      break;
    default:
      words = ['red', 'Do not admit', `Unknown verdict ${shown.code}`];
  }
  const [color, title, detail] = words;
  return { code: shown.code, color, title, detail, at: shown.at, door: shown.door };
}
