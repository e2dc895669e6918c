// @ts-check
/**
 * Finding a guest without their code, offline (issue 16, section 3): the guest list a
 * "scan and search" phone downloaded (`GET /api/v1/scanner/guests`, one `[pass_id, name, email,
 * order]` array per pass) searched as the door person types.
 *
 * Each guest becomes one folded line (name, email and order reference, lower case, accents
 * removed); a query matches a guest when every word of it occurs in that line. A linear scan of
 * 50,000 such lines takes a few milliseconds per keystroke (bench/guest_search.mjs), so there is
 * no index to build or keep in step. Guests whose name starts with the query come first.
 */

/** @typedef {[passId: string, name: string, email: string, order: string]} Guest */

const SEPARATOR = '\u0001';

/**
 * Lower case without accents, so "Noé" is found by "noe" and "NOE".
 * @param {string} text
 * @returns {string}
 */
export function fold(text) {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

export class GuestIndex {
  /** @param {readonly Guest[]} guests */
  constructor(guests) {
    /** @readonly */
    this.guests = guests;
    /** @private @readonly @type {string[]} */
    this.names = guests.map((guest) => fold(guest[1]));
    /** @private @readonly @type {string[]} */
    this.lines = guests.map(
      (guest, i) => this.names[i] + SEPARATOR + fold(guest[2]) + SEPARATOR + guest[3].toLowerCase(),
    );
  }

  get size() {
    return this.guests.length;
  }

  /**
   * The guests matching every word of `query`, name-prefix matches first, at most `limit`.
   * An empty query finds nobody (the list is not for browsing over a shoulder).
   * @param {string} query
   * @param {number} [limit]
   * @returns {Guest[]}
   */
  search(query, limit = 20) {
    const words = fold(query).split(/\s+/).filter((word) => word.length > 0);
    if (words.length === 0) return [];
    const whole = words.join(' ');
    /** @type {Guest[]} */
    const first = [];
    /** @type {Guest[]} */
    const rest = [];
    const { lines, names, guests } = this;
    for (let i = 0; i < lines.length; i += 1) {
      const line = lines[i];
      let all = true;
      for (const word of words) {
        if (!line.includes(word)) {
          all = false;
          break;
        }
      }
      if (!all) continue;
      if (names[i].startsWith(whole)) {
        first.push(guests[i]);
        if (first.length >= limit) break;
      } else if (rest.length < limit) {
        rest.push(guests[i]);
      }
    }
    return first.concat(rest).slice(0, limit);
  }

  /**
   * The guest holding this pass, if the list has it (a scan of a named pass shows the name).
   * @param {string} passId
   * @returns {Guest | undefined}
   */
  byPass(passId) {
    if (!this.passes) {
      /** @private @type {Map<string, Guest> | undefined} */
      this.passes = new Map(this.guests.map((guest) => [guest[0], guest]));
    }
    return this.passes.get(passId);
  }
}
