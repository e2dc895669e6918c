// @ts-check
/**
 * The PWA's JSDoc types are checked, not only written: every module under pwa/ (the copied
 * libraries in pwa/vendor/ aside) opts in with `// @ts-check`, which is what tsconfig.json relies
 * on, and `tsc` finds nothing in them (the same run as `make lint`).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PWA = join(ROOT, 'pwa');

/** @param {string} dir @returns {string[]} the .js files under dir, pwa/vendor/ left out */
function modules(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join(PWA, 'vendor') ? [] : modules(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

test('every PWA module opts in to type checking on its first line', () => {
  const files = modules(PWA);
  assert.ok(files.length > 20, `only ${files.length} modules found under pwa/`);
  const unchecked = files.filter((path) => readFileSync(path, 'utf8').split('\n', 1)[0] !== '// @ts-check');
  assert.deepEqual(unchecked.map((path) => relative(ROOT, path)), []);
});

test('tsc finds no type error in the PWA', () => {
  const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.json')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(tsc.error, undefined, `tsc did not run (make lint installs it): ${tsc.error}`);
  assert.equal(tsc.stdout + tsc.stderr, '');
  assert.equal(tsc.status, 0);
});
