// @ts-check
/**
 * pwa/lib/pass-token.js against the golden tokens the Python verifier also passes
 * (tests/fixtures/pass-tokens.json), plus the mapping onto sync-core's verdicts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { decodeBase32, encodeBase32, passIdOf } from '../../pwa/lib/base32.js';
import { coreToken, importKeys, parseToken, verifyToken } from '../../pwa/lib/pass-token.js';
import { newState, verdict } from '../../pwa/lib/sync-core.js';

const GOLDEN = JSON.parse(
  readFileSync(new URL('../fixtures/pass-tokens.json', import.meta.url), 'utf8'),
);

test('agrees with the Python verifier on every golden token', async () => {
  const { keys, failed } = await importKeys(GOLDEN.keys);
  assert.deepEqual(failed, []);
  assert.ok(GOLDEN.cases.length >= 10);
  for (const c of GOLDEN.cases) {
    const got = await verifyToken(c.text, keys);
    const want = c.ok ? { ok: true, kid: c.kid, passId: c.pass_id } : { ok: false, reason: c.reason };
    assert.deepEqual(got, want, c.name);
  }
});

test('answers malformed instead of throwing on anything that is not a string', async () => {
  const { keys } = await importKeys(GOLDEN.keys);
  for (const junk of [null, undefined, 42, {}, [], '\u00df'.repeat(128), '=' .repeat(128)]) {
    assert.deepEqual(await verifyToken(junk, keys), { ok: false, reason: 'malformed' });
  }
});

test('calls a validly signed token of another event unknown_key when the key ring is empty', async () => {
  const good = GOLDEN.cases.find((/** @type {any} */ c) => c.ok);
  assert.deepEqual(await verifyToken(good.text, new Map()), { ok: false, reason: 'unknown_key' });
});

test('reads the key id as an unsigned big-endian integer', () => {
  const bytes = new Uint8Array(80);
  bytes.set([1, 0xff, 0xff, 0xff, 0xfe], 0);
  const shape = parseToken(encodeBase32(bytes));
  assert.equal(shape.ok && shape.kid, 0xfffffffe);
});

test('spells a pass id as base32 of the key plus two zero bits, 18 characters', () => {
  const key = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  assert.equal(passIdOf(key), 'AEBAGBAFAYDQQCIKBM');
  const all = new Uint8Array(11).fill(0xff);
  assert.equal(passIdOf(all), '7'.repeat(17) + '4');
});

test('round-trips base32 and refuses characters outside the alphabet', () => {
  const bytes = Uint8Array.from({ length: 80 }, (_, i) => (i * 37) & 0xff);
  assert.deepEqual(decodeBase32(encodeBase32(bytes)), bytes);
  assert.equal(decodeBase32('AB1D'), null);
  assert.equal(decodeBase32('ab'), null);
});

test('maps checks onto the sync core: unknown key is wrong event, others are invalid', async () => {
  const state = newState();
  const at = { device: 'gate-a', now: 1750000000000, recent: null };
  const code = 'X';
  const shown = (/** @type {any} */ check) => verdict(state, { ...at, token: coreToken(check, code) }).code;
  assert.equal(shown({ ok: false, reason: 'unknown_key' }), 'wrong_event');
  assert.equal(shown({ ok: false, reason: 'bad_signature' }), 'invalid');
  assert.equal(shown({ ok: false, reason: 'malformed' }), 'invalid');
  assert.equal(shown({ ok: false, reason: 'unsupported_version' }), 'invalid');
  assert.equal(shown({ ok: true, kid: 1, passId: 'AEBAGBAFAYDQQCIKBM' }), 'not_in_cache');
});
