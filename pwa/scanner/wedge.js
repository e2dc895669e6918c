// @ts-check
/**
 * Keyboard-wedge scanners (USB or Bluetooth HID) type the code very fast and press Enter. When
 * no text field has focus, keystrokes go to the whole page: collect them, and hand the code over
 * on Enter (or Tab, which some scanners send). A pause longer than MAX_GAP_MS starts over, so
 * stray human key presses never add up to a code.
 */

export const MAX_GAP_MS = 250;
export const MIN_LENGTH = 4;
const MAX_LENGTH = 1024;

/** Collects one code from a stream of keys. */
export class WedgeBuffer {
  constructor({ maxGapMs = MAX_GAP_MS, minLength = MIN_LENGTH } = {}) {
    this.maxGapMs = maxGapMs;
    this.minLength = minLength;
    this.text = '';
    this.lastAt = -Infinity;
  }

  /**
   * Feed one key (KeyboardEvent.key); returns the finished code on Enter, else null.
   * @param {string} key
   * @param {number} at milliseconds, any monotonic clock
   * @returns {string|null}
   */
  key(key, at) {
    if (at - this.lastAt > this.maxGapMs) this.text = '';
    this.lastAt = at;
    if (key === 'Enter' || key === 'Tab') {
      const code = this.text;
      this.text = '';
      return code.length >= this.minLength ? code : null;
    }
    if (key.length === 1 && this.text.length < MAX_LENGTH) this.text += key;
    return null;
  }

  /** True while a code is being typed (so Enter should not also press a focused button). */
  get busy() {
    return this.text.length > 0;
  }
}

/**
 * True for elements that take typed text themselves.
 * @param {Element|null} element
 */
export function isTextField(element) {
  if (element === null) return false;
  if (/** @type {HTMLElement} */ (element).isContentEditable === true) return true;
  if (element.tagName === 'TEXTAREA' || element.tagName === 'SELECT') return true;
  if (element.tagName !== 'INPUT') return false;
  const type = (element.getAttribute('type') ?? 'text').toLowerCase();
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].includes(type);
}

/**
 * Listen on `target` (the document) and call `onCode` for each code a wedge scanner types.
 * @param {Document} target
 * @param {(code: string) => void} onCode
 * @returns {() => void} detach
 */
export function attachWedge(target, onCode) {
  const buffer = new WedgeBuffer();
  /** @param {KeyboardEvent} event */
  const onKey = (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    if (isTextField(target.activeElement)) return;
    const wasBusy = buffer.busy;
    const code = buffer.key(event.key, event.timeStamp);
    if (code !== null || (wasBusy && (event.key === 'Enter' || event.key === 'Tab'))) {
      event.preventDefault();
    } else if (buffer.busy && event.key === ' ') {
      event.preventDefault();
    }
    if (code !== null) onCode(code);
  };
  target.addEventListener('keydown', onKey, true);
  return () => target.removeEventListener('keydown', onKey, true);
}
