// @ts-check
/**
 * The scanner page's side of the guest list (pwa/lib/guest-list.js): only a phone whose pairing
 * said "scan and search" holds names. It reads them back in the background at start (the door
 * never waits for names), fetches them after the bootstrap and then at most every few minutes
 * in the sync round, erases them on unpairing, on a new pairing and when the phone is removed,
 * and checks once a minute, offline too, whether their time has passed.
 */

import { GuestList, IdbGuestStore } from '../lib/guest-list.js';
import { isRevoked } from '../lib/sync-client.js';

/** How often a phone holding guest names checks whether it must erase them. */
const ERASE_CHECK_MS = 60 * 1000;

export class DoorGuests {
  /**
   * @param {{door: () => import('../lib/door.js').Door|undefined,
   *   fetchGuests: (token: string) => Promise<{data: import('../lib/guest-list.js').GuestAnswer}>,
   *   onChange: () => void}} options
   */
  constructor({ door, fetchGuests, onChange }) {
    this.door = door;
    this.fetchGuests = fetchGuests;
    this.onChange = onChange;
    /** Null until opened, or where the browser gives it no storage. @type {GuestList|null} */
    this.list = null;
  }

  /** This phone may see names: paired to scan and search, and not removed. */
  get allowed() {
    const door = this.door();
    return door?.identity?.may_search === true && door.meta.revoked !== true;
  }

  /** The list to search, or null where the phone may not see names. */
  get searchable() {
    return this.allowed ? this.list : null;
  }

  /** @param {string|null} passId */
  nameOf(passId) {
    return this.allowed ? this.list?.nameOf(passId) ?? null : null;
  }

  /** Open the kept list and read it back in the background (erased if it may not stay). */
  async open() {
    try {
      this.list = new GuestList({ store: await IdbGuestStore.open() });
    } catch (error) {
      console.warn('no storage for the guest list', error);
      return;
    }
    const door = this.door();
    const loaded = this.allowed && door ? this.list.load({ device: door.device, now: door.now() }) : this.list.erase();
    void loaded.then(this.onChange, (error) => console.warn('guest list not read', error));
    setInterval(() => void this.expire(), ERASE_CHECK_MS);
  }

  /**
   * In the sync round: fetch the list when it is due. Only a removed phone's 401 is thrown (it
   * stops the round); anything else leaves the list as it was.
   * @param {string} token
   */
  async refresh(token) {
    const door = this.door();
    if (this.list === null || !this.allowed || !door) return;
    const now = door.now();
    if (!this.list.due(now)) return;
    try {
      await this.list.refresh({ fetchGuests: () => this.fetchGuests(token), device: door.device, now });
    } catch (error) {
      if (isRevoked(error)) throw error;
      console.warn('guest list not fetched', error);
    }
    this.onChange();
  }

  /** Erase every name (unpairing, a new pairing, a removed phone). */
  async erase() {
    await this.list?.erase();
    this.onChange();
  }

  /** Erase the names once their time has passed. */
  async expire() {
    const door = this.door();
    if (this.list !== null && door && (await this.list.expireIfDue(door.now()))) this.onChange();
  }
}
