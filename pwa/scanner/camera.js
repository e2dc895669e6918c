// @ts-check
/**
 * The phone camera as a QR reader: rear camera, frames decoded at a steady rate from a <video>.
 *
 * Decoding uses the browser's BarcodeDetector where it reads QR codes (Chrome on Android), else
 * the vendored ZXing-wasm ponyfill, whose wasm is served from /pwa/vendor/ and precached, so
 * nothing loads from a CDN. A code that stays in view is reported once: the door decides again
 * only after the code left the frame for REAPPEAR_MS (debounce proper is sync-core's).
 */

const DECODE_EVERY_MS = 100;
const REAPPEAR_MS = 1500;
const WASM_URL = '/pwa/vendor/zxing_reader.wasm';
/** Decode measures kept before clearing them (bench/scanner_latency.py observes each one). */
const MEASURES_KEPT = 1000;

/** @typedef {{detect: (source: HTMLVideoElement) => Promise<Array<{rawValue: string}>>}} Detector */

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
   *   onStatus: (text: string, running: boolean) => void}} options
   */
  constructor({ video, onCode, onStatus }) {
    this.video = video;
    this.onCode = onCode;
    this.onStatus = onStatus;
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
      this.onStatus('No camera in this browser: type the code or use a handheld scanner', false);
      return;
    }
    this.onStatus('Starting camera…', false);
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } },
      });
      this.video.srcObject = this.stream;
      await this.video.play();
      this.detector ??= await createDetector();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const why = name === 'NotAllowedError' ? 'Camera permission denied'
        : this.stream === null ? 'Camera unavailable' : 'QR decoder unavailable';
      this.stop();
      this.onStatus(`${why}: type the code or use a handheld scanner`, false);
      return;
    }
    this.onStatus('Point the camera at a pass', true);
    this.generation += 1;
    this.schedule(this.generation);
  }

  stop() {
    this.generation += 1;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.onStatus('Camera off', false);
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
