// @ts-check
/**
 * What a door person hears and feels per verdict, which camera the phone opens, and what the
 * phone remembers about itself: pwa/scanner/feedback.js, camera.js's choices, settings.js.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { constraintsFor, nextCamera } from '../../pwa/scanner/camera.js';
import { Feedback, TONES, VIBRATIONS, verdictClass } from '../../pwa/scanner/feedback.js';
import { DEFAULTS, PhoneSettings, SETTINGS_KEY, settingsFrom } from '../../pwa/scanner/settings.js';
import { MemoryStorage } from './scanner-fakes.mjs';

/** A Web Audio stand-in that records each tone started: [wave, frequency, start, stop]. */
class FakeAudio {
  constructor(state = 'running') {
    /** @type {string} */
    this.state = state;
    this.currentTime = 10;
    this.destination = {};
    /** @type {Array<[string, number, number, number]>} */
    this.played = [];
  }

  async resume() {
    this.state = 'running';
  }

  createGain() {
    const param = { setValueAtTime() {}, exponentialRampToValueAtTime() {} };
    return { gain: param, connect: (/** @type {unknown} */ to) => to };
  }

  createOscillator() {
    const audio = this;
    const tone = { type: '', frequency: { value: 0 }, begin: 0 };
    return Object.assign(tone, {
      connect: (/** @type {unknown} */ to) => to,
      start(/** @type {number} */ t) {
        tone.begin = t;
      },
      stop(/** @type {number} */ t) {
        audio.played.push([tone.type, tone.frequency.value, tone.begin, t]);
      },
    });
  }
}

/** @param {{sound?: boolean, vibrate?: boolean, audio?: FakeAudio|null}} [options] */
async function phone({ sound = true, vibrate = true, audio = new FakeAudio() } = {}) {
  /** @type {number[][]} */
  const buzzes = [];
  const feedback = new Feedback({
    settings: () => ({ sound, vibrate }),
    createAudio: () => /** @type {any} */ (audio),
    vibrate: (pattern) => buzzes.push(pattern),
  });
  await feedback.unlock();
  return { feedback, buzzes, audio };
}

test('sorts verdict colours into admit, warn and refuse, and nothing for an ignored repeat', () => {
  assert.equal(verdictClass('green'), 'admit');
  assert.equal(verdictClass('amber'), 'warn');
  assert.equal(verdictClass('red'), 'refuse');
  assert.equal(verdictClass(null), null);
  assert.equal(verdictClass('toString'), null);
});

test('gives each verdict class its own sound and its own vibration, told apart by count and length', async () => {
  const { feedback, buzzes, audio } = await phone();
  const heard = [];
  for (const colour of ['green', 'amber', 'red']) {
    audio.played = [];
    const given = feedback.signal(colour);
    assert.equal(given.sound, true);
    heard.push(audio.played.map(([wave, hz, from, to]) => `${wave} ${hz} Hz ${Math.round((to - from) * 100)}`).join(', '));
  }
  assert.equal(new Set(heard).size, 3, `the three sounds differ: ${heard.join(' | ')}`);
  assert.deepEqual(buzzes, [VIBRATIONS.admit, VIBRATIONS.warn, VIBRATIONS.refuse]);
  const pulses = buzzes.map((pattern) => pattern.filter((_, i) => i % 2 === 0));
  assert.deepEqual(pulses.map((p) => p.length), [1, 2, 3], 'one, two, three buzzes');
  assert.ok(Math.max(...pulses[0]) < Math.min(...pulses[2]), 'refuse buzzes are longer than admit');
  assert.deepEqual(TONES.admit.tones.length, 1);
  assert.ok(TONES.refuse.tones[0][0] < TONES.warn.tones[0][0] && TONES.warn.tones[0][0] < TONES.admit.tones[0][0], 'low for refuse, high for admit');
});

test('muted plays no tone but still vibrates; vibration off buzzes nothing', async () => {
  const muted = await phone({ sound: false });
  assert.deepEqual(muted.feedback.signal('red'), { sound: false, vibration: VIBRATIONS.refuse });
  assert.deepEqual(muted.audio?.played, []);
  assert.equal(muted.feedback.audible, false);
  const still = await phone({ vibrate: false });
  assert.equal(still.feedback.signal('amber').sound, true);
  assert.deepEqual(still.buzzes, []);
});

test('stays silent without failing until the browser lets audio start, or with no audio at all', async () => {
  const blocked = new FakeAudio('suspended');
  blocked.resume = async () => {}; // no user gesture yet: the context stays suspended
  const waiting = await phone({ audio: blocked });
  assert.equal(waiting.feedback.audible, false);
  assert.deepEqual(waiting.feedback.signal('green'), { sound: false, vibration: VIBRATIONS.admit });
  const none = await phone({ audio: null });
  assert.equal(none.feedback.signal('green').sound, false);
  const refused = new Feedback({ settings: () => DEFAULTS, createAudio: () => null, vibrate: () => { throw new Error('no'); } });
  assert.deepEqual(refused.signal('red'), { sound: false, vibration: null });
  assert.deepEqual(refused.signal(null), { sound: false, vibration: null });
});

test('opens the rear camera unless the phone chose another, by facing or by device', () => {
  assert.deepEqual(constraintsFor(null).facingMode, { ideal: 'environment' });
  assert.deepEqual(constraintsFor({ facing: 'user' }).facingMode, { ideal: 'user' });
  assert.deepEqual(constraintsFor({ deviceId: 'cam-2' }).deviceId, { exact: 'cam-2' });
  assert.equal(constraintsFor({ deviceId: 'cam-2' }).facingMode, undefined);
});

test('switches front to back where the camera says which way it faces, else to the next camera', () => {
  const two = [{ deviceId: 'a' }, { deviceId: 'b' }];
  assert.deepEqual(nextCamera(two, { deviceId: 'a', facingMode: 'environment' }), { facing: 'user' });
  assert.deepEqual(nextCamera(two, { deviceId: 'b', facingMode: 'user' }), { facing: 'environment' });
  assert.deepEqual(nextCamera(two, { deviceId: 'a' }), { deviceId: 'b' });
  assert.deepEqual(nextCamera(two, { deviceId: 'b' }), { deviceId: 'a' }, 'wraps round');
  assert.deepEqual(nextCamera(two, {}), { deviceId: 'a' });
  assert.equal(nextCamera([{ deviceId: 'a' }], { deviceId: 'a', facingMode: 'environment' }), null, 'one camera: no switch');
});

test('keeps sound on and vibration on by default, and remembers a change across a reload', () => {
  const storage = new MemoryStorage();
  const first = new PhoneSettings(storage);
  assert.deepEqual(first.get(), { ...DEFAULTS });
  assert.equal(first.get().sound, true);
  assert.equal(first.get().vibrate, true);
  first.set({ sound: false, camera: { facing: 'user' } });
  const reloaded = new PhoneSettings(storage);
  assert.equal(reloaded.get().sound, false);
  assert.deepEqual(reloaded.get().camera, { facing: 'user' });
  assert.equal(reloaded.get().vibrate, true);
});

test('reads a damaged or foreign settings record as the defaults, and works with no storage at all', () => {
  const storage = new MemoryStorage();
  storage.setItem(SETTINGS_KEY, '{not json');
  assert.deepEqual(new PhoneSettings(storage).get(), { ...DEFAULTS });
  assert.deepEqual(settingsFrom({ sound: 'yes', camera: { facing: 'sideways' }, extra: 1 }), { ...DEFAULTS });
  assert.deepEqual(settingsFrom({ camera: { deviceId: 'x' } }).camera, { deviceId: 'x' });
  const throwing = { getItem() { throw new Error('private mode'); }, setItem() { throw new Error('full'); } };
  const settings = new PhoneSettings(throwing);
  assert.equal(settings.set({ sound: false }).sound, false, 'held in memory when storage refuses');
  const none = new PhoneSettings(null);
  assert.equal(none.set({ vibrate: false }).vibrate, false);
});
