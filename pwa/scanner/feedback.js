// @ts-check
/**
 * Sound and vibration per verdict colour, so door staff know the answer without looking:
 * one high beep (green), two mid beeps (amber), one long low tone (red).
 *
 * Browsers only start audio after a user gesture: `unlockAudio` runs on the first tap or key.
 */

/** @type {AudioContext|null} */
let audio = null;

/** @type {Record<string, Array<[number, number, number]>>} colour -> [frequency Hz, start s, length s] */
const TONES = {
  green: [[1320, 0, 0.15]],
  amber: [[660, 0, 0.12], [660, 0.2, 0.12]],
  red: [[220, 0, 0.7]],
};

/** @type {Record<string, number[]>} colour -> navigator.vibrate pattern (ms) */
const VIBRATIONS = {
  green: [80],
  amber: [120, 100, 120],
  red: [500],
};

/** Create or resume the audio context; call from a user gesture. */
export function unlockAudio() {
  try {
    const Context = globalThis.AudioContext ?? /** @type {any} */ (globalThis).webkitAudioContext;
    if (!Context) return;
    if (audio === null) audio = new Context();
    if (audio.state === 'suspended') void audio.resume();
  } catch {
    audio = null;
  }
}

/**
 * Beep and buzz for a verdict colour (green, amber, red); silent for anything else.
 * @param {string|null} colour
 */
export function signal(colour) {
  if (colour === null || !(colour in TONES)) return;
  try {
    if (typeof navigator.vibrate === 'function') navigator.vibrate(VIBRATIONS[colour]);
  } catch {
    // Vibration is a nicety; some browsers refuse it without a gesture.
  }
  if (audio === null || audio.state !== 'running') return;
  const start = audio.currentTime + 0.01;
  for (const [frequency, offset, length] of TONES[colour]) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = colour === 'red' ? 'sawtooth' : 'square';
    oscillator.frequency.value = frequency;
    const t = start + offset;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.3, t + 0.01);
    gain.gain.setValueAtTime(0.3, t + length - 0.03);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + length);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(t);
    oscillator.stop(t + length + 0.02);
  }
}
