// @ts-check
/**
 * Sound and vibration per verdict class, so door staff know the answer in a loud room without
 * looking: admit (green) one high beep and one short buzz; warn (amber) two mid beeps and two
 * buzzes; refuse (red) one long low tone and three long buzzes. The tones are made here with Web
 * Audio (no sound files to download or precache); the patterns differ in count and length, not
 * only in pitch, so they tell apart in a pocket and through ear defenders.
 *
 * Browsers only start audio after a user gesture: `unlock` runs on the first tap or key (pairing
 * is one). Sound and vibration each follow the phone's settings (settings.js), on by default.
 */

/** @typedef {'admit'|'warn'|'refuse'} VerdictClass */

/** @type {Readonly<Record<string, VerdictClass>>} verdict colour (sync-core's message) -> class */
const CLASSES = Object.freeze({ green: 'admit', amber: 'warn', red: 'refuse' });

/**
 * The class of a verdict colour; null for no verdict (an ignored repeat).
 * @param {string|null|undefined} colour
 * @returns {VerdictClass|null}
 */
export function verdictClass(colour) {
  return colour && Object.hasOwn(CLASSES, colour) ? CLASSES[colour] : null;
}

/**
 * class -> tones, each [frequency Hz, start s, length s], and the waveform.
 * @type {Readonly<Record<VerdictClass, {wave: OscillatorType, tones: Array<[number, number, number]>}>>}
 */
export const TONES = Object.freeze({
  admit: { wave: 'square', tones: [[1320, 0, 0.15]] },
  warn: { wave: 'square', tones: [[660, 0, 0.12], [660, 0.2, 0.12]] },
  refuse: { wave: 'sawtooth', tones: [[220, 0, 0.7]] },
});

/** @type {Readonly<Record<VerdictClass, number[]>>} class -> navigator.vibrate pattern (ms) */
export const VIBRATIONS = Object.freeze({
  admit: [80],
  warn: [150, 100, 150],
  refuse: [400, 120, 400, 120, 400],
});

/**
 * The bits of Web Audio used here (an `AudioContext`, or a stand-in in tests).
 * @typedef {Pick<AudioContext, 'state'|'currentTime'|'destination'|'resume'|'createOscillator'|'createGain'>} Audio
 */

/**
 * @typedef {{sound: boolean, vibrate: boolean}} FeedbackSettings
 * @typedef {{sound: boolean, vibration: number[]|null}} Given what one signal did
 */

export class Feedback {
  /**
   * @param {{settings: () => FeedbackSettings, createAudio?: () => Audio|null,
   *   vibrate?: ((pattern: number[]) => unknown)|null}} options
   */
  constructor({ settings, createAudio = browserAudio, vibrate = browserVibrate() }) {
    this.settings = settings;
    this.createAudio = createAudio;
    this.vibrate = vibrate;
    /** @type {Audio|null} */
    this.audio = null;
  }

  /** Create or resume the audio context; call from a user gesture. Resolves once it ran. */
  async unlock() {
    try {
      this.audio ??= this.createAudio();
      if (this.audio !== null && this.audio.state === 'suspended') await this.audio.resume();
    } catch {
      // No audio here (or the browser still says no): the door vibrates and shows.
    }
  }

  /** True when a tone played now would be heard (sound on and the browser let audio start). */
  get audible() {
    return this.settings().sound && this.audio !== null && this.audio.state === 'running';
  }

  /**
   * Beep and buzz for a verdict colour (green, amber, red); nothing for anything else.
   * @param {string|null|undefined} colour
   * @returns {Given}
   */
  signal(colour) {
    const kind = verdictClass(colour);
    /** @type {Given} */
    const given = { sound: false, vibration: null };
    if (kind === null) return given;
    const { sound, vibrate } = this.settings();
    if (vibrate && this.vibrate !== null) {
      try {
        this.vibrate(VIBRATIONS[kind]);
        given.vibration = VIBRATIONS[kind];
      } catch {
        // Vibration is a nicety; some browsers refuse it without a gesture.
      }
    }
    if (sound && this.audible) given.sound = this.play(kind);
    return given;
  }

  /** @param {VerdictClass} kind */
  play(kind) {
    const audio = /** @type {Audio} */ (this.audio);
    try {
      const start = audio.currentTime + 0.01;
      const { wave, tones } = TONES[kind];
      for (const [frequency, offset, length] of tones) {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.type = wave;
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
      return true;
    } catch {
      return false;
    }
  }
}

/** @returns {Audio|null} */
function browserAudio() {
  const Context = globalThis.AudioContext ?? /** @type {any} */ (globalThis).webkitAudioContext;
  return Context ? new Context() : null;
}

/** @returns {((pattern: number[]) => unknown)|null} */
function browserVibrate() {
  const nav = globalThis.navigator;
  return nav && typeof nav.vibrate === 'function' ? (pattern) => nav.vibrate(pattern) : null;
}
