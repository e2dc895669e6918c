// @ts-check
/**
 * The camera bar's buttons: camera on/off, front/back switch, torch, and sound (mute kept on
 * the phone). Sound needs a user gesture before the browser lets it start: every tap or key
 * anywhere unlocks it, and the button says "Tap for sound" until then.
 */

import { Camera } from './camera.js';
import { Feedback } from './feedback.js';
import { PhoneSettings } from './settings.js';
import { View } from './view.js';

/** @param {string} id */
const $button = (id) => /** @type {HTMLButtonElement} */ (document.getElementById(id));

/**
 * Show whether a verdict would be heard now.
 * @param {{view: View, settings: PhoneSettings, feedback: Feedback}} parts
 */
export function renderSound({ view, settings, feedback }) {
  if (!settings.get().sound) view.setSound('off');
  else view.setSound(feedback.audible ? 'on' : 'blocked');
}

/**
 * Unlock audio on the first tap or key, and keep the sound button true to it.
 * @param {{view: View, settings: PhoneSettings, feedback: Feedback}} parts
 */
export function wireSound(parts) {
  const { settings, feedback } = parts;
  const render = () => renderSound(parts);
  /** @param {Event} event */
  const unlock = (event) => {
    // A tap on the sound button is read by its own handler, from the state it showed.
    const own = event.target instanceof Element && event.target.id === 'sound-toggle';
    void feedback.unlock().then(() => own || render());
  };
  for (const type of ['pointerdown', 'keydown']) window.addEventListener(type, unlock, { capture: true });
  $button('sound-toggle').addEventListener('click', (event) => {
    const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
    // "Tap for sound" asks for sound, not for silence: the tap itself lets audio start.
    if (button.dataset.state !== 'blocked') settings.set({ sound: !settings.get().sound });
    void feedback.unlock().then(render);
    render();
  });
  render();
}

/**
 * The In/Out toggle: kept on the phone, shown on the page, handed to the door.
 * @param {{view: View, settings: PhoneSettings, onChange: (direction: 'in'|'out') => void}} parts
 */
export function wireDirection({ view, settings, onChange }) {
  /** @param {'in'|'out'} direction */
  const choose = (direction) => {
    settings.set({ direction });
    view.setDirection(direction);
    onChange(direction);
  };
  $button('direction-in').addEventListener('click', () => choose('in'));
  $button('direction-out').addEventListener('click', () => choose('out'));
  const { direction } = settings.get();
  view.setDirection(direction);
  onChange(direction);
}

/**
 * The camera, opened as the phone last chose, with its bar's buttons wired.
 * @param {{view: View, settings: PhoneSettings, onCode: (code: string) => void}} parts
 * @returns {Camera}
 */
export function wireCamera({ view, settings, onCode }) {
  const camera = new Camera({
    video: /** @type {HTMLVideoElement} */ (document.getElementById('camera-video')),
    onCode,
    onStatus: (text, running) => view.setCamera(text, running),
    onControls: (controls) => view.setCameraControls(controls),
    choice: settings.get().camera,
    onChoice: (choice) => settings.set({ camera: choice }),
  });
  $button('camera-toggle').addEventListener('click', () => {
    if (camera.running) camera.stop();
    else void camera.start();
  });
  $button('camera-switch').addEventListener('click', () => void camera.switchCamera());
  $button('camera-torch').addEventListener('click', () => void camera.setTorch(camera.controls.torch !== true));
  return camera;
}
