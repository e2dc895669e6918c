// @ts-check
/**
 * The service worker's precache list as the server writes it into /sw.js (api/web/pwa.py,
 * `python -m api.web.pwa`), and the modules a page loads, so the shell tests check the real list
 * against the real imports. Python comes from PYTHON or the project's .venv (`make test` makes it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function servedList() {
  const python = process.env.PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
  const run = spawnSync(python, ['-m', 'api.web.pwa'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.error, undefined, `cannot run ${python} (make install-test, or set PYTHON): ${run.error}`);
  assert.equal(run.status, 0, `python -m api.web.pwa failed:\n${run.stderr}`);
  return /** @type {string[]} */ (JSON.parse(run.stdout));
}

/** Every URL the worker caches at install. */
export const PRECACHE = new Set(servedList());

/** @param {string} file */
export const urlOf = (file) => `/${relative(ROOT, file).split('\\').join('/')}`;

/**
 * Every module the page can load, following static and dynamic imports from `entry`.
 * @param {string} entry
 */
export function modulesFrom(entry) {
  const seen = new Set();
  const todo = [entry];
  while (todo.length > 0) {
    const file = /** @type {string} */ (todo.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    assert.ok(existsSync(file), `${relative(ROOT, file)} is imported but missing (vendor files: \`make vendor\`)`);
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
    for (const spec of specifiers) todo.push(join(dirname(file), spec));
  }
  return [...seen];
}
