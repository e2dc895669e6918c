// @ts-check
/**
 * Pairing a phone: the organizer's link is `/scan#pair=CODE` (the code rides in the fragment so
 * it never reaches a server log). The phone asks for a door name, exchanges the code for a
 * device token, and removes the fragment from the address bar.
 */

import { say } from '../lib/i18n.js';
import { ApiError } from '../lib/sync-client.js';

/** Codes are URL-safe base64 of 32 random bytes; accept anything URL-safe and long enough. */
const CODE = /^[A-Za-z0-9_-]{16,200}$/;

/**
 * The pairing code in a link, a fragment, or on its own; null if there is none.
 * @param {string} text
 * @returns {string|null}
 */
export function pairCodeFrom(text) {
  const trimmed = String(text ?? '').trim();
  const match = /(?:^|[#&?])pair=([^&#\s]+)/.exec(trimmed);
  let code = trimmed;
  if (match) {
    try {
      code = decodeURIComponent(match[1]);
    } catch {
      return null;
    }
  }
  return CODE.test(code) ? code : null;
}

/**
 * What to tell the door when pairing failed.
 * @param {unknown} error
 */
export function pairingProblem(error) {
  if (error instanceof ApiError) {
    if (error.status === 403 || error.status === 404) return error.detail;
    if (error.status === 400) return say('pair.not_accepted');
    return say('pair.server_failed', { detail: error.detail });
  }
  return say('pair.offline');
}

/**
 * Show the pairing section and resolve with the pairing answer once the phone is paired.
 * @param {{code: string|null, pairWith: (code: string, name: string) => Promise<void>,
 *   pairedAs?: string|null}} options
 */
export function showPairing({ code, pairWith, pairedAs = null }) {
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const withCode = $('pair-with-code');
  const withoutCode = $('pair-without-code');
  const error = $('pair-error');
  const name = /** @type {HTMLInputElement} */ ($('pair-name'));
  const submit = /** @type {HTMLButtonElement} */ ($('pair-submit'));
  /** @param {string|null} text */
  const fail = (text) => {
    error.hidden = text === null;
    error.textContent = text ?? '';
  };
  let current = code;
  const render = () => {
    withCode.hidden = current === null;
    withoutCode.hidden = current !== null;
    if (current !== null && pairedAs) {
      $('pair-intro').textContent = say('pair.paired_as', { door: pairedAs });
    }
    if (current !== null) name.focus();
  };
  fail(null);
  render();

  /** @type {HTMLFormElement} */ ($('pair-form')).onsubmit = async (event) => {
    event.preventDefault();
    if (current === null) return;
    submit.disabled = true;
    fail(null);
    try {
      await pairWith(current, name.value.trim());
    } catch (problem) {
      fail(pairingProblem(problem));
    } finally {
      submit.disabled = false;
    }
  };
  /** @type {HTMLFormElement} */ ($('pair-link-form')).onsubmit = (event) => {
    event.preventDefault();
    const pasted = /** @type {HTMLInputElement} */ ($('pair-link')).value;
    current = pairCodeFrom(pasted);
    fail(current === null ? say('pair.not_a_code') : null);
    render();
  };
}
