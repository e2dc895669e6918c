// @ts-check
/**
 * The browser's verifier (pwa/lib/pass-token.js, the code the door phones run) against a
 * million random and mutated tokens: zero false admits. Same four kinds of input as
 * bench/token_fuzz.py, built from the golden tokens both verifiers share
 * (tests/fixtures/pass-tokens.json). WebCrypto Ed25519 in Node stands in for the phone's.
 *
 *     node bench/token_fuzz.mjs [count] [seed]
 */
import { readFileSync } from 'node:fs';

import { decodeBase32, encodeBase32 } from '../pwa/lib/base32.js';
import { TOKEN_BYTES, importKeys, verifyToken } from '../pwa/lib/pass-token.js';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const count = Number(process.argv[2] ?? 1_000_000);
let seed = Number(process.argv[3] ?? 1) >>> 0;

/** mulberry32: a small seeded generator, so a failing run can be repeated. */
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const below = (/** @type {number} */ n) => Math.floor(random() * n);
const pick = (/** @type {any[] | string} */ items) => items[below(items.length)];

const golden = JSON.parse(readFileSync(new URL('../tests/fixtures/pass-tokens.json', import.meta.url), 'utf8'));
const { keys } = await importKeys(golden.keys);
const issued = golden.cases.filter((/** @type {any} */ c) => c.ok).map((/** @type {any} */ c) => c.text.trim().toUpperCase());
const issuedRaw = new Set(issued.map((/** @type {string} */ t) => encodeBase32(/** @type {Uint8Array} */ (decodeBase32(t)))));
const other = Array.from({ length: 0x2ff - 32 }, (_, i) => String.fromCharCode(32 + i)).join('');

function mutant() {
  const kind = below(4);
  if (kind === 0) {
    const text = pick(issued).split('');
    const at = below(text.length);
    text[at] = pick(B32.replace(text[at], ''));
    return text.join('');
  }
  if (kind === 1) {
    const raw = /** @type {Uint8Array} */ (decodeBase32(pick(issued))).slice();
    for (let i = 1 + below(8); i > 0; i -= 1) {
      const bit = below(raw.length * 8);
      raw[bit >> 3] ^= 1 << (bit & 7);
    }
    return encodeBase32(raw);
  }
  if (kind === 2) {
    const raw = new Uint8Array(TOKEN_BYTES);
    for (let i = 0; i < raw.length; i += 1) raw[i] = below(256);
    raw.set(/** @type {Uint8Array} */ (decodeBase32(issued[0])).subarray(0, 5));
    return encodeBase32(raw);
  }
  const alphabet = pick([B32, `${B32.toLowerCase()} \n\t=`, other]);
  const length = pick([0, 1, 127, 128, 129, 200]);
  let text = '';
  for (let i = 0; i < length; i += 1) text += pick(alphabet);
  return text;
}

const started = performance.now();
/** @type {Map<string, number>} */
const outcomes = new Map();
for (let i = 0; i < count; i += 1) {
  const text = mutant();
  const check = await verifyToken(text, keys);
  let outcome = check.ok ? 'ok' : check.reason;
  if (check.ok) {
    const raw = decodeBase32(text.trim().toUpperCase());
    outcome = raw && issuedRaw.has(encodeBase32(raw)) ? 're-encoded issued token' : 'FALSE ADMIT';
  }
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}
const seconds = (performance.now() - started) / 1000;
console.log(`${count.toLocaleString('en-US')} tokens in ${seconds.toFixed(1)} s (node ${process.version})`);
for (const [outcome, n] of [...outcomes].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${outcome}: ${n.toLocaleString('en-US')}`);
}
const falseAdmits = outcomes.get('FALSE ADMIT') ?? 0;
console.log(`false admits: ${falseAdmits}`);
process.exitCode = falseAdmits ? 1 : 0;
