// @ts-check
/**
 * One registration of the root service worker for every page (pwa/lib/sw-register.js): the
 * scanner, the wallet and the dashboard ask for the same script and options through it, and
 * only a page that asks for the update flow can be reloaded by a new version.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

import { OPTIONS, SCRIPT, registerWorker } from '../../pwa/lib/sw-register.js';
import { ROOT } from './precache.mjs';

/** @param {string} dir @returns {string[]} */
function scripts(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'vendor' ? [] : scripts(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

test('no page registers the service worker except through pwa/lib/sw-register.js', () => {
  const pwa = join(ROOT, 'pwa');
  const elsewhere = scripts(pwa)
    .filter((path) => !path.endsWith(join('lib', 'sw-register.js')))
    .filter((path) => readFileSync(path, 'utf8').includes('serviceWorker.register('))
    .map((path) => relative(ROOT, path));
  assert.deepEqual(elsewhere, []);
  for (const page of ['scanner/app.js', 'wallet/app.js', 'wallet/save.js', 'dashboard/shell.js']) {
    const source = readFileSync(join(pwa, page), 'utf8');
    assert.match(source, /from '\.\.\/lib\/sw-register\.js'/, `${page} registers through the module`);
  }
});

/** A browser with a service worker container whose controller an update can replace. */
function browser({ controlled = true, waiting = false } = {}) {
  /** @type {Record<string, (() => void)[]>} */
  const listeners = {};
  const calls = { register: /** @type {unknown[][]} */ ([]), reloads: 0, waiting: 0 };
  const registration = {
    waiting: waiting ? { state: 'installed' } : null,
    installing: null,
    addEventListener() {},
    update: async () => undefined,
  };
  const container = {
    controller: controlled ? { id: 'old' } : null,
    /** @param {string} type @param {() => void} listener */
    addEventListener(type, listener) {
      (listeners[type] ??= []).push(listener);
    },
    /** @param {unknown[]} args */
    async register(...args) {
      calls.register.push(args);
      return registration;
    },
  };
  const g = /** @type {any} */ (globalThis);
  g.navigator = { serviceWorker: container };
  g.window = { isSecureContext: true, addEventListener() {} };
  g.location = { reload: () => (calls.reloads += 1) };
  const replace = () => {
    container.controller = { id: 'new' };
    for (const listener of listeners.controllerchange ?? []) listener();
  };
  return { calls, replace };
}

test('a page without the update flow registers /sw.js at root and is never reloaded', async () => {
  const { calls, replace } = browser();
  assert.notEqual(await registerWorker(), null);
  assert.deepEqual(calls.register, [[SCRIPT, OPTIONS]]);
  assert.deepEqual(OPTIONS, { scope: '/', updateViaCache: 'none' });
  replace();
  assert.equal(calls.reloads, 0);
});

test('a page with the update flow hears of a waiting version and reloads once it takes over', async () => {
  const { calls, replace } = browser({ waiting: true });
  const timers = /** @type {any} */ (globalThis).setInterval;
  /** @type {any} */ (globalThis).setInterval = () => 0; // the 30-minute check is not under test
  try {
    await registerWorker({ onWaiting: () => (calls.waiting += 1) });
  } finally {
    /** @type {any} */ (globalThis).setInterval = timers;
  }
  assert.equal(calls.waiting, 1);
  replace();
  replace();
  assert.equal(calls.reloads, 1);
});
