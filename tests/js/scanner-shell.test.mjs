// @ts-check
/**
 * The scanner must start in airplane mode: every file it loads has to be in the service
 * worker's precache list, and every precached URL has to exist. Also the small pure helpers
 * of the scanner page (time words, pairing links, keyboard-wedge capture).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ago, clockTime, removedText, verdictText } from '../../pwa/scanner/format.js';
import { pairCodeFrom } from '../../pwa/scanner/pairing.js';
import { WedgeBuffer } from '../../pwa/scanner/wedge.js';
import { message } from '../../pwa/lib/sync-core.js';
import { PRECACHE, ROOT, modulesFrom, urlOf } from './precache.mjs';

const SW = readFileSync(join(ROOT, 'pwa/sw.js'), 'utf8');

/** URL path -> file in the repository, as the server maps them. @param {string} url */
function fileOf(url) {
  if (url === '/scan') return join(ROOT, 'pwa/scanner/index.html');
  if (url === '/scan/manifest.webmanifest') return join(ROOT, 'pwa/scanner/manifest.webmanifest');
  if (url === '/wallet') return join(ROOT, 'pwa/wallet/index.html');
  if (url === '/wallet/manifest.webmanifest') return join(ROOT, 'pwa/wallet/manifest.webmanifest');
  if (url === '/admin/manifest.webmanifest') return join(ROOT, 'pwa/dashboard/manifest.webmanifest');
  assert.ok(url.startsWith('/pwa/'), `unexpected precache URL ${url}`);
  return join(ROOT, url.slice(1));
}

test('precaches every module the scanner imports, including the QR decoder and its wasm', () => {
  assert.ok(SW.includes("'__PRECACHE_VERSION__'"), 'the server stamps the version here');
  const modules = modulesFrom(join(ROOT, 'pwa/scanner/app.js'));
  assert.ok(modules.some((m) => m.endsWith('zxing-exported.js')), 'follows the dynamic ponyfill import');
  for (const file of modules) assert.ok(PRECACHE.has(urlOf(file)), `${urlOf(file)} is not precached`);
  assert.ok(PRECACHE.has('/pwa/vendor/zxing_reader.wasm'));
});

test('precaches the page, its stylesheet, the manifest and every icon the manifest names', () => {
  const html = readFileSync(join(ROOT, 'pwa/scanner/index.html'), 'utf8');
  for (const [, url] of html.matchAll(/(?:href|src)="(\/[^"]+)"/g)) assert.ok(PRECACHE.has(url), `${url} is not precached`);
  const manifest = JSON.parse(readFileSync(join(ROOT, 'pwa/scanner/manifest.webmanifest'), 'utf8'));
  assert.equal(manifest.display, 'standalone');
  assert.equal(manifest.start_url, '/scan');
  const sizes = manifest.icons.map((/** @type {any} */ i) => `${i.sizes} ${i.purpose}`);
  assert.deepEqual(sizes, ['192x192 any', '512x512 any', '512x512 maskable']);
  for (const icon of manifest.icons) assert.ok(PRECACHE.has(icon.src), `${icon.src} is not precached`);
});

test('every precached URL exists in the repository (vendor files after `make vendor`)', () => {
  for (const url of PRECACHE) assert.ok(existsSync(fileOf(url)), `${url} is precached but missing (vendor files: \`make vendor\`)`);
});

test('has no inline script or style in the page, so a strict CSP can apply', () => {
  const html = readFileSync(join(ROOT, 'pwa/scanner/index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.doesNotMatch(html, /\sstyle=|<style|\son[a-z]+=/i);
});

test('writes times as hour and minute in the event zone, with a plain space before PM', () => {
  const at = Date.UTC(2026, 6, 4, 23, 34);
  assert.equal(clockTime(at, 'America/New_York'), '7:34 PM');
  assert.equal(clockTime(at, 'Pacific/Honolulu'), '1:34 PM');
  assert.match(clockTime(at, 'Not/AZone'), /^\d{1,2}:34 (AM|PM)$/);
});

test('words the verdict panel as the door contract says', () => {
  const at = Date.UTC(2026, 6, 4, 23, 34);
  const amber = { code: 'already_scanned', pass_id: 'P', tier: 'VIP', reason: null, at, door: 'Main gate' };
  const shown = verdictText(message(amber), amber, 'America/New_York');
  assert.equal(shown.title, 'Already scanned 7:34 PM');
  assert.match(shown.detail, /at Main gate/);
  const late = { code: 'not_in_cache', pass_id: 'P', tier: null, reason: null, at: null, door: null };
  assert.equal(verdictText(message(late), late, 'UTC').title, 'Valid — not yet in cache');
  const refunded = { code: 'void', pass_id: 'P', tier: 'VIP', reason: 'refunded', at: null, door: null };
  assert.equal(verdictText(message(refunded), refunded, 'UTC').title, 'Refunded — do not admit');
});

test('says how long ago the last sync was', () => {
  const now = 1_750_000_000_000;
  assert.equal(ago(undefined, now), 'never');
  assert.equal(ago(now - 59_000, now), 'just now');
  assert.equal(ago(now - 2 * 60_000 - 5000, now), '2 min ago');
  assert.equal(ago(now - 3 * 3600_000, now), '3 h ago');
  assert.equal(ago(now + 5000, now), 'just now', 'a clock step back is not "in the future"');
});

test('tells a phone removed from the door how many unsent scans it keeps', () => {
  assert.equal(removedText(3), 'This phone was removed from the door and no longer syncs. Its 3 unsent scans are kept on this phone.');
  assert.equal(removedText(1), 'This phone was removed from the door and no longer syncs. Its 1 unsent scan is kept on this phone.');
  assert.equal(removedText(0), 'This phone was removed from the door and no longer syncs. It has no unsent scans.');
});

test('finds the pairing code in a link, a fragment, or on its own', () => {
  const code = 'JP04mnKQlVmFPaJecajxz__YEeyL-XiDCTrOTJF8mG0';
  assert.equal(pairCodeFrom(`https://tix.example/scan#pair=${code}`), code);
  assert.equal(pairCodeFrom(`#pair=${code}`), code);
  assert.equal(pairCodeFrom(`  ${code}\n`), code);
  assert.equal(pairCodeFrom('#pair='), null);
  assert.equal(pairCodeFrom('https://tix.example/scan'), null);
  assert.equal(pairCodeFrom('short'), null);
});

test('collects a fast-typed code up to Enter and forgets slow stray keys', () => {
  const wedge = new WedgeBuffer();
  let t = 0;
  const type = (/** @type {string} */ text, gap = 8) => [...text].map((k) => wedge.key(k, (t += gap)));
  type('AFPO2AAB');
  assert.equal(wedge.key('Enter', (t += 8)), 'AFPO2AAB');
  type('x', 8);
  t += 1000;
  type('ABCDEFG');
  assert.equal(wedge.key('Enter', (t += 8)), 'ABCDEFG', 'a pause starts over');
  assert.equal(wedge.key('Enter', (t += 8)), null, 'Enter alone is not a code');
  type('AB');
  assert.equal(wedge.key('Enter', (t += 8)), null, 'too short to be a code');
});
