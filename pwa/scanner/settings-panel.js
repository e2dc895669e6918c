// @ts-check
/**
 * The scanner's settings screen: vibration, the PIN lock, unpairing. With a PIN set, the screen
 * opens only after the PIN (and so does pairing the phone again from a new link); leaving it
 * locks it again. Scanning never asks for the PIN.
 */

import { say } from '../lib/i18n.js';
import { PinLock } from './pin.js';
import { PhoneSettings } from './settings.js';

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const $input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/**
 * What the pairing part of the screen says.
 * @typedef {{door: string, event: string, pending: number}} Paired
 */

/**
 * The warning before unpairing: what the phone forgets, and what happens to unsent scans.
 * @param {Paired} paired
 */
export function unpairWarning({ door, pending }) {
  const unsent = pending === 0 ? say('settings.all_uploaded')
    : pending === 1 ? say('settings.not_uploaded_one') : say('settings.not_uploaded_many', { n: pending });
  return door ? say('settings.unpair_question_door', { door, unsent }) : say('settings.unpair_question', { unsent });
}

export class SettingsPanel {
  /**
   * @param {{settings: PhoneSettings, lock: PinLock, show: (section: 'settings') => void,
   *   paired: () => Paired|null, onUnpair: () => Promise<void>, onClose: () => void}} options
   */
  constructor({ settings, lock, show, paired, onUnpair, onClose }) {
    this.settings = settings;
    this.lock = lock;
    this.show = show;
    this.paired = paired;
    this.onUnpair = onUnpair;
    this.onClose = onClose;
    this.isOpen = false;
    /** Answer of the pending `requestUnlock`, if any. @type {((ok: boolean) => void)|null} */
    this.answer = null;
    this.wire();
    this.renderButton();
  }

  /** Open the settings screen (behind the PIN when one is set). */
  async open() {
    if (await this.requestUnlock(say('settings.unlock_intro'))) this.showBody();
  }

  /**
   * Ask for the PIN on the settings screen; true once it was typed right (at once with no PIN),
   * false when the person went back to scanning instead.
   * @param {string} intro
   * @returns {Promise<boolean>}
   */
  requestUnlock(intro) {
    this.answer?.(false);
    this.answer = null;
    this.isOpen = true;
    this.show('settings');
    $('settings-body').hidden = true;
    if (!this.lock.enabled) return Promise.resolve(true);
    $('unlock-intro').textContent = intro;
    $('unlock-form').hidden = false;
    this.problem('unlock-error', null);
    const pin = $input('unlock-pin');
    pin.value = '';
    pin.focus();
    return new Promise((resolve) => {
      this.answer = resolve;
    });
  }

  showBody() {
    $('unlock-form').hidden = true;
    $('settings-body').hidden = false;
    $input('setting-vibrate').checked = this.settings.get().vibrate;
    this.renderPin(null);
    const paired = this.paired();
    $('paired-as').textContent = paired === null
      ? say('settings.not_paired')
      : say('settings.paired_as', { door: paired.door, event: paired.event });
    $('unpair').hidden = paired === null;
    $('unpair-confirm').hidden = true;
  }

  /** The unlocked screen gives way to another (pairing): locked again, nothing else to do. */
  leave() {
    this.isOpen = false;
    $('unlock-form').hidden = true;
    $('settings-body').hidden = true;
  }

  /** Back to scanning: the screen locks again. */
  close() {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.answer?.(false);
    this.answer = null;
    $('unlock-form').hidden = true;
    $('settings-body').hidden = true;
    for (const id of ['unlock-pin', 'pin-new', 'pin-repeat']) $input(id).value = '';
    this.onClose();
  }

  /** @param {string|null} message */
  renderPin(message) {
    const on = this.lock.enabled;
    $('pin-state').textContent = on
      ? say('settings.pin_on')
      : say('settings.pin_off');
    $('pin-save').textContent = say(on ? 'settings.change_pin' : 'settings.set_pin');
    $('pin-remove').hidden = !on;
    const status = $('pin-message');
    status.hidden = message === null;
    status.textContent = message ?? '';
    this.renderButton();
  }

  renderButton() {
    $('settings-open').textContent = say(this.lock.enabled ? 'settings.open_pin' : 'settings.open');
  }

  /** @param {string} id @param {string|null} text */
  problem(id, text) {
    const element = $(id);
    element.hidden = text === null;
    element.textContent = text ?? '';
  }

  wire() {
    $('settings-open').addEventListener('click', () => void this.open());
    $('settings-close').addEventListener('click', () => this.close());

    /** @type {HTMLFormElement} */ ($('unlock-form')).addEventListener('submit', async (event) => {
      event.preventDefault();
      const pin = $input('unlock-pin');
      const outcome = await this.lock.check(pin.value);
      pin.value = '';
      if (!outcome.ok) {
        this.problem('unlock-error', outcome.problem);
        pin.focus();
        return;
      }
      this.problem('unlock-error', null);
      $('unlock-form').hidden = true;
      const answer = this.answer;
      this.answer = null;
      answer?.(true);
    });

    $input('setting-vibrate').addEventListener('change', (event) => {
      this.settings.set({ vibrate: /** @type {HTMLInputElement} */ (event.currentTarget).checked });
    });

    /** @type {HTMLFormElement} */ ($('pin-form')).addEventListener('submit', async (event) => {
      event.preventDefault();
      const pin = $input('pin-new');
      const repeat = $input('pin-repeat');
      const outcome = await this.lock.set(pin.value, repeat.value);
      pin.value = '';
      repeat.value = '';
      this.renderPin(outcome.ok ? say('settings.pin_set') : outcome.problem);
    });

    $('pin-remove').addEventListener('click', () => {
      this.lock.remove();
      this.renderPin(say('settings.pin_removed'));
    });

    $('unpair').addEventListener('click', () => {
      const paired = this.paired();
      if (paired === null) return;
      $('unpair-warning').textContent = unpairWarning(paired);
      $('unpair-confirm').hidden = false;
      $('unpair-yes').focus();
    });

    $('unpair-yes').addEventListener('click', async () => {
      this.isOpen = false;
      $('settings-body').hidden = true;
      await this.onUnpair();
    });
  }
}
