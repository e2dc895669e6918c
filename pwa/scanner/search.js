// @ts-check
/**
 * "Find guest" on a "scan and search" phone: a search box answering each keystroke from the
 * guest list kept on the phone (GuestIndex, no network), and per result the guest's name,
 * email, order reference, tier and status (valid, void, or inside on this door's list, from the
 * replica) with a button that checks the guest in as a scan of their pass would (the door
 * records it with `source: "search"`).
 */

import { ERASED } from '../lib/guest-list.js';
import { say, spokenLanguage } from '../lib/i18n.js';
import { voidWording } from '../lib/void-wording.js';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @typedef {{tier: string|null, status: 'valid'|'void'|null, inside: boolean}} PassInfo */

/**
 * A search result's status: void before anything (never let in), then inside, then valid.
 * @param {PassInfo} info
 * @returns {{key: 'void'|'inside'|'valid'|'unknown', words: string}}
 */
export function guestStatus({ status, inside }) {
  if (status === 'void') return { key: 'void', words: voidWording(null, spokenLanguage()).door };
  if (inside) return { key: 'inside', words: say('guest.inside') };
  if (status === 'valid') return { key: 'valid', words: say('guest.valid') };
  return { key: 'unknown', words: say('guest.unknown') };
}

/**
 * The line under the search box.
 * @param {{size: number, refused: string|null, query: string, found: number}} state
 */
export function searchNote({ size, refused, query, found }) {
  if (size === 0) return refused === ERASED ? say('guest.erased') : refused ?? say('guest.no_list');
  if (query.trim() === '') return size === 1 ? say('guest.count_one') : say('guest.count_many', { n: size });
  if (found === 0) return say('guest.no_match');
  return '';
}

export class SearchPanel {
  /**
   * @param {{guests: () => import('../lib/guest-list.js').GuestList|null, allowed: () => boolean, info: (passId: string) => PassInfo,
   *   direction: () => 'in'|'out', onCheckIn: (passId: string) => void}} options
   */
  constructor({ guests, allowed, info, direction, onCheckIn }) {
    this.guests = guests;
    this.allowed = allowed;
    this.info = info;
    this.direction = direction;
    this.onCheckIn = onCheckIn;
    this.input = /** @type {HTMLInputElement} */ ($('guest-query'));
    $('find-guest').addEventListener('click', () => this.open());
    $('guest-search-close').addEventListener('click', () => this.close());
    this.input.addEventListener('input', () => this.render());
    $('guest-results').addEventListener('click', (event) => {
      const button = /** @type {Element} */ (event.target).closest('button[data-pass-id]');
      if (button instanceof HTMLButtonElement) this.onCheckIn(String(button.dataset.passId));
    });
  }

  get isOpen() {
    return !$('guest-search').hidden;
  }

  open() {
    if (!this.allowed()) return;
    $('guest-search').hidden = false;
    $('find-guest').hidden = true;
    this.render();
    this.input.focus();
  }

  close() {
    if (!this.isOpen) return;
    $('guest-search').hidden = true;
    this.input.value = '';
    $('guest-results').replaceChildren();
    this.refresh();
  }

  /** The list or the phone's rights changed (a download, an erasure, a pairing). */
  refresh() {
    const allowed = this.allowed();
    if (!allowed && this.isOpen) this.close();
    $('find-guest').hidden = !allowed || this.isOpen;
    if (this.isOpen) this.render();
  }

  /** Answer the query as typed. */
  render() {
    const list = this.guests();
    const query = this.input.value;
    const found = list?.index?.search(query) ?? [];
    const verb = say(this.direction() === 'out' ? 'guest.check_out' : 'guest.check_in');
    $('guest-results').replaceChildren(...found.map(([passId, name, email, order]) => {
      const info = this.info(passId);
      const status = guestStatus(info);
      const item = document.createElement('li');
      item.dataset.passId = passId;
      item.dataset.status = status.key;
      const line = (/** @type {string} */ className, /** @type {string} */ text) => {
        const span = document.createElement('span');
        span.className = className;
        span.textContent = text;
        return span;
      };
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.passId = passId;
      button.textContent = verb;
      item.append(
        line('guest-name', name || say('guest.no_name')),
        button,
        line('guest-facts', [email, order, info.tier].filter(Boolean).join(' · ')),
        line('guest-status', status.words),
      );
      return item;
    }));
    $('guest-note').textContent = searchNote({
      size: list?.size ?? 0, refused: list?.refused ?? null, query, found: found.length,
    });
  }
}
