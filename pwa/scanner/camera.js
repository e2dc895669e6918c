// @ts-check
/**
 * The phone camera as a QR reader: rear camera by default, frames decoded at a steady rate from a
 * <video>. The door can switch to the other camera (front/back where the phone says which is
 * which, else the next camera in the list) and keeps the choice; where the camera track has a
 * torch (`getCapabilities().torch`), it can be turned on for a dark doorway.
 *
 * Decoding uses the browser's BarcodeDetector where it reads QR codes (Chrome on Android), else
 * the vendored ZXing-wasm ponyfill, whose wasm is served from /pwa/vendor/ and precached, so
 * nothing loads from a CDN. A code that stays in view is reported once: the door decides again
 * only after the code left the frame for REAPPEAR_MS (debounce proper is sync-core's).
 */

import { say } from '../lib/i18n.js';

const DECODE_EVERY_MS = 100;
const REAPPEAR_MS = 1500;
const WASM_URL = '/pwa/vendor/zxing_reader.wasm';
/** Decode measures kept before clearing them (bench/scanner_latency.py observes each one). */
const MEASURES_KEPT = 1000;

/** @typedef {{detect: (source: HTMLVideoElement) => Promise<Array<{rawValue: string}>>}} Detector */
/** @typedef {import('./settings.js').CameraChoice} CameraChoice */

/**
 * What the camera bar can offer: a switch when there is another camera, a torch when the track
 * has one (`torch` null: none), and which way the open camera faces when the phone says.
 * @typedef {{canSwitch: boolean, torch: boolean|null, facing: string|null, deviceId: string|null}} Controls
 */

/**
 * getUserMedia's video constraints for a choice (null: the rear camera).
 * @param {CameraChoice|null} choice
 * @returns {MediaTrackConstraints}
 */
export function constraintsFor(choice) {
  const size = { width: { ideal: 1280 }, height: { ideal: 720 } };
  if (choice !== null && 'deviceId' in choice) return { deviceId: { exact: choice.deviceId }, ...size };
  return { facingMode: { ideal: choice?.facing ?? 'environment' }, ...size };
}

/**
 * The camera to switch to: the other facing when the open one says which way it faces, else the
 * next camera of the list (wrapping round); null when there is no other camera.
 * @param {ReadonlyArray<{deviceId: string}>} cameras the phone's video inputs
 * @param {{deviceId?: string, facingMode?: string}} current the open track's settings
 * @returns {CameraChoice|null}
 */
export function nextCamera(cameras, current) {
  if (cameras.length < 2) return null;
  if (current.facingMode === 'user') return { facing: 'environment' };
  if (current.facingMode === 'environment') return { facing: 'user' };
  const at = cameras.findIndex((c) => c.deviceId === current.deviceId);
  return { deviceId: cameras[(at + 1) % cameras.length].deviceId };
}

/** @returns {Promise<Detector>} */
export async function createDetector() {
  const Native = /** @type {any} */ (globalThis).BarcodeDetector;
  if (typeof Native === 'function') {
    try {
      const formats = await Native.getSupportedFormats();
      if (formats.includes('qr_code')) return new Native({ formats: ['qr_code'] });
    } catch {
      // Fall through to the ponyfill.
    }
  }
  const ponyfill = await import('../vendor/barcode-detector/ponyfill.js');
  ponyfill.setZXingModuleOverrides({
    locateFile: (/** @type {string} */ path, /** @type {string} */ prefix) =>
      path.endsWith('.wasm') ? WASM_URL : prefix + path,
  });
  const detector = new ponyfill.BarcodeDetector({ formats: ['qr_code'] });
  // Load and compile the wasm now, so a decoder that cannot start (a CSP without
  // 'wasm-unsafe-eval', a missing file) fails once here instead of on every frame.
  await detector.detect(new ImageData(1, 1));
  return detector;
}

export class Camera {
  /**
   * @param {{video: HTMLVideoElement, onCode: (code: string) => void,
   *   onStatus: (text: string, running: boolean) => void,
   *   onControls?: (controls: Controls) => void,
   *   choice?: CameraChoice|null, onChoice?: (choice: CameraChoice|null) => void}} options
   */
  constructor({ video, onCode, onStatus, onControls = () => {}, choice = null, onChoice = () => {} }) {
    this.video = video;
    this.onCode = onCode;
    this.onStatus = onStatus;
    this.onControls = onControls;
    this.onChoice = onChoice;
    /** The camera to open: kept by the phone across reloads. @type {CameraChoice|null} */
    this.choice = choice;
    /** @type {Controls} */
    this.controls = { canSwitch: false, torch: null, facing: null, deviceId: null };
    /** @type {MediaStream|null} */
    this.stream = null;
    /** @type {Detector|null} */
    this.detector = null;
    this.decoding = false;
    this.lastDecodeAt = 0;
    this.lastCode = '';
    this.lastSeenAt = 0;
    this.inViewSince = 0;
    this.generation = 0;
    this.decodes = 0;
  }

  get running() {
    return this.stream !== null;
  }

  async start() {
    if (this.running) return;
    if (!navigator.mediaDevices?.getUserMedia) {
      this.onStatus(say('camera.none'), false);
      return;
    }
    this.onStatus(say('camera.starting'), false);
    try {
      this.stream = await this.open();
      this.video.srcObject = this.stream;
      await this.video.play();
      this.detector ??= await createDetector();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const why = name === 'NotAllowedError' ? 'camera.denied'
        : this.stream === null ? 'camera.unavailable' : 'camera.no_decoder';
      this.stop();
      this.onStatus(say(why), false);
      return;
    }
    this.onStatus(say('camera.point'), true);
    this.generation += 1;
    this.schedule(this.generation);
    await this.readControls();
  }

  /** The chosen camera; the default one when the chosen is gone (another phone, unplugged). */
  async open() {
    const ask = (/** @type {CameraChoice|null} */ choice) =>
      navigator.mediaDevices.getUserMedia({ audio: false, video: constraintsFor(choice) });
    if (this.choice === null) return ask(null);
    try {
      return await ask(this.choice);
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name !== 'OverconstrainedError' && name !== 'NotFoundError') throw error;
      this.choice = null;
      this.onChoice(null);
      return ask(null);
    }
  }

  /** @returns {MediaStreamTrack|null} */
  get track() {
    return this.stream?.getVideoTracks()[0] ?? null;
  }

  /** Find out what the open camera offers (torch, another camera) and tell the bar. */
  async readControls() {
    const track = this.track;
    /** @type {MediaTrackSettings & {facingMode?: string}} */
    const settings = track?.getSettings?.() ?? {};
    /** @type {MediaTrackCapabilities & {torch?: boolean}} */
    const capabilities = track && typeof track.getCapabilities === 'function' ? track.getCapabilities() : {};
    const cameras = await this.cameras();
    this.controls = {
      canSwitch: track !== null && nextCamera(cameras, settings) !== null,
      torch: track !== null && capabilities.torch === true ? false : null,
      facing: settings.facingMode || null,
      deviceId: settings.deviceId || null,
    };
    this.video.dataset.deviceId = this.controls.deviceId ?? '';
    this.video.dataset.facing = this.controls.facing ?? '';
    this.onControls(this.controls);
  }

  /** @returns {Promise<MediaDeviceInfo[]>} */
  async cameras() {
    try {
      const devices = await navigator.mediaDevices.enumerateDevices();
      return devices.filter((d) => d.kind === 'videoinput' && d.deviceId !== '');
    } catch {
      return [];
    }
  }

  /** Open the other camera (front/back), and keep the choice on the phone. */
  async switchCamera() {
    const track = this.track;
    if (track === null) return;
    const next = nextCamera(await this.cameras(), track.getSettings());
    if (next === null) return;
    this.choice = next;
    this.onChoice(next);
    this.stop();
    await this.start();
  }

  /**
   * Torch on or off; false when the track refused.
   * @param {boolean} on
   */
  async setTorch(on) {
    const track = this.track;
    if (track === null || this.controls.torch === null) return false;
    try {
      // `torch` is not in TypeScript's DOM types yet (Image Capture spec).
      const torch = /** @type {MediaTrackConstraints} */ (/** @type {unknown} */ ({ advanced: [{ torch: on }] }));
      await track.applyConstraints(torch);
    } catch {
      return false;
    }
    this.controls = { ...this.controls, torch: on };
    this.onControls(this.controls);
    return true;
  }

  stop() {
    this.generation += 1;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.controls = { canSwitch: false, torch: null, facing: null, deviceId: null };
    this.onControls(this.controls);
    this.onStatus(say('camera.off'), false);
  }

  /** @param {number} generation */
  schedule(generation) {
    const next = () => {
      if (generation === this.generation) void this.frame(generation);
    };
    const video = /** @type {any} */ (this.video);
    if (typeof video.requestVideoFrameCallback === 'function') video.requestVideoFrameCallback(next);
    else requestAnimationFrame(next);
  }

  /** @param {number} generation */
  async frame(generation) {
    const now = performance.now();
    if (!this.decoding && this.detector !== null && now - this.lastDecodeAt >= DECODE_EVERY_MS
      && this.video.readyState >= 2) {
      this.decoding = true;
      this.lastDecodeAt = now;
      try {
        const found = await this.detector.detect(this.video);
        // User Timing for bench/scanner_latency.py: one measure per decoded frame, cleared in
        // batches so a night of frames leaves no growing list (a PerformanceObserver sees all).
        performance.measure('poctix:decode', { start: now });
        if (++this.decodes % MEASURES_KEPT === 0) performance.clearMeasures('poctix:decode');
        const code = found.find((b) => b.rawValue)?.rawValue;
        if (code) this.seen(code, performance.now());
      } catch {
        // A frame that cannot be decoded is just a frame without a code.
      } finally {
        this.decoding = false;
      }
    }
    this.schedule(generation);
  }

  /** @param {string} code @param {number} at */
  seen(code, at) {
    const fresh = code !== this.lastCode || at - this.lastSeenAt > REAPPEAR_MS;
    if (fresh) this.inViewSince = at;
    this.lastCode = code;
    this.lastSeenAt = at;
    // How long the current code has stayed in view, for the status line and for tests.
    this.video.dataset.inViewMs = String(Math.round(at - this.inViewSince));
    if (fresh) this.onCode(code);
  }
}
