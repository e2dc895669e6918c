// @ts-check
/**
 * The JavaScript sync core is laid out like the Python package, file for file: a change to
 * sync/x.py has its twin in pwa/lib/sync/x.js, and pwa/lib/sync-core.js only re-exports them the
 * way sync/__init__.py does. (The golden vectors hold the two to the same behaviour; this holds
 * them to the same map, so a reader of one finds the rule in the other.)
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PYTHON = join(ROOT, 'sync');
const MIRROR = join(ROOT, 'pwa', 'lib', 'sync');

/** @param {string} dir @param {string} ext @returns {string[]} module names, sorted */
const namesIn = (dir, ext) =>
  readdirSync(dir)
    .filter((name) => name.endsWith(ext) && !name.startsWith('__'))
    .map((name) => name.slice(0, -ext.length).replaceAll('_', '-'))
    .sort();

test('every Python sync module has a JavaScript twin of the same name, and no other', () => {
  assert.deepEqual(namesIn(MIRROR, '.js'), namesIn(PYTHON, '.py'));
});

test('sync-core.js defines no rule of its own, it only re-exports the twins', () => {
  const source = readFileSync(join(ROOT, 'pwa', 'lib', 'sync-core.js'), 'utf8');
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const statements = code.split(';').map((s) => s.trim()).filter(Boolean);
  const local = statements.filter((s) => !/^export\s*\{[^}]*\}\s*from\s*'\.\/sync\/[a-z-]+\.js'$/.test(s));
  assert.deepEqual(local, []);
});

test("each Python module's public functions are exported by its twin under the camelCase name", async () => {
  const camel = (/** @type {string} */ name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
  for (const name of namesIn(PYTHON, '.py')) {
    const python = readFileSync(join(PYTHON, `${name.replaceAll('-', '_')}.py`), 'utf8');
    const wanted = [...python.matchAll(/^def ([a-z][a-z0-9_]*)\(/gm)].map((m) => camel(m[1]));
    const twin = await import(pathToFileURL(join(MIRROR, `${name}.js`)).href);
    const missing = wanted.filter((fn) => typeof twin[fn] !== 'function');
    assert.deepEqual(missing, [], `pwa/lib/sync/${name}.js lacks the twins of sync/${name}.py`);
  }
});
