// @ts-check
/**
 * Door guest search: 50,000 passes in memory, one search per keystroke (issue 16: ≤ 50 ms).
 *
 *     node bench/guest_search.mjs [--passes 50000]
 *
 * Builds the guest list a "scan and search" phone downloads (`[pass_id, name, email, order]`
 * per pass, names drawn from a mixed list with accents), reports its JSON size, the time to
 * build the index and the heap it takes, then types 40 queries letter by letter (names, emails,
 * order references; found and not found) and reports per-keystroke times.
 */
import { performance } from 'node:perf_hooks';

import { GuestIndex } from '../pwa/lib/guest-search.js';

const args = process.argv.slice(2);
const at = args.indexOf('--passes');
const PASSES = at >= 0 ? Number(args[at + 1]) : 50_000;

const FIRST = ['Noé', 'Ana', 'Kai', 'Leilani', 'José', 'Mia', 'Chen', 'Aroha', 'Søren', 'Fatima',
  'Kaleo', 'Ikaika', 'Zoë', 'Olu', 'Priya', 'Tama', 'Hina', 'Mateo', 'Yuki', 'Björn'];
const LAST = ['Kahale', 'Lima', 'Nakamura', 'Ferreira', 'Okafor', 'Müller', 'Kealoha', 'Smith',
  'Ngata', 'Dubois', 'Silva', 'Akana', 'Ōta', 'García', 'Kapule', 'Novak', 'Haddad', 'Reyes'];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const pick = (/** @type {string[]} */ list) => list[Math.floor(random() * list.length)];
const code = (/** @type {number} */ n, /** @type {string} */ alphabet) =>
  Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');

/** @type {import('../pwa/lib/guest-search.js').Guest[]} */
const guests = [];
while (guests.length < PASSES) {
  const name = `${pick(FIRST)} ${pick(LAST)}`;
  const email = `${name.toLowerCase().replace(/[^a-z]/g, '.')}${Math.floor(random() * 1000)}@example.com`;
  const order = code(8, CROCKFORD);
  const count = 1 + Math.floor(random() * 4);
  for (let i = 0; i < count && guests.length < PASSES; i += 1) {
    guests.push([code(18, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'), name, email, order]);
  }
}
const json = JSON.stringify({ guests });

globalThis.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const t0 = performance.now();
const index = new GuestIndex(JSON.parse(json).guests);
const built = performance.now() - t0;
globalThis.gc?.();
const heap = process.memoryUsage().heapUsed - heapBefore;

const queries = [];
for (let i = 0; i < 40; i += 1) {
  const guest = guests[Math.floor(random() * guests.length)];
  queries.push([guest[1], guest[2], guest[3], 'Nobody Here'][i % 4]);
}
/** @type {number[]} */
const times = [];
let found = 0;
for (const query of queries) {
  for (let n = 1; n <= query.length; n += 1) {
    const start = performance.now();
    found += index.search(query.slice(0, n)).length;
    times.push(performance.now() - start);
  }
}
times.sort((a, b) => a - b);
const q = (/** @type {number} */ p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
console.log(`passes: ${PASSES}; guest list JSON ${(json.length / 1e6).toFixed(1)} MB`);
console.log(`index built in ${built.toFixed(0)} ms (from parsed JSON), heap ${(heap / 1e6).toFixed(0)} MB${globalThis.gc ? '' : ' (run with --expose-gc for a steadier figure)'}`);
console.log(`keystrokes: ${times.length}; per keystroke p50 ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${times[times.length - 1].toFixed(2)} ms (${found} results shown)`);
