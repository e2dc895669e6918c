// @ts-check
/**
 * Fills pwa/vendor/ with the browser libraries, as package.json's "vendor" map names them
 * (file under pwa/vendor/ -> its source under node_modules/). This map is the one list of vendor
 * files: `make vendor` and the Dockerfile both run this script, and the service worker's
 * precache list is made from what lands in pwa/ (api/web/pwa.py), so nothing else repeats it.
 *
 * The folder is emptied first: every file in it is precached, so a stale one would be too.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** @type {Record<string, string>} */
const vendor = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).vendor;
const out = join(ROOT, 'pwa', 'vendor');

rmSync(out, { recursive: true, force: true });
for (const [file, source] of Object.entries(vendor)) {
  const target = join(out, file);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(join(ROOT, 'node_modules', source), target);
}
