// @ts-check
/**
 * pwa/lib/pass-pack.js: the bootstrap pack becomes storable chunks and the sync core's snapshot.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { passIdOf } from '../../pwa/lib/base32.js';
import {
  RECORD_BYTES,
  decodeBase64,
  packChunks,
  snapshotOf,
  statusOf,
} from '../../pwa/lib/pass-pack.js';
import { applySnapshot, message, newState, verdict } from '../../pwa/lib/sync-core.js';

/**
 * A wire pack of `count` random passes; status and tier cycle.
 * @param {number} count
 */
function makePack(count) {
  const bytes = randomBytes(count * RECORD_BYTES);
  for (let i = 0; i < count; i++) {
    bytes[i * RECORD_BYTES + 11] = i % 5;
    bytes[i * RECORD_BYTES + 12] = i % 3;
  }
  return { bytes, pack: { count, data: bytes.toString('base64') } };
}

const TIERS = ['General', 'VIP'];

test('turns every record into a pass with its status, reason and tier', () => {
  const { bytes, pack } = makePack(7);
  const chunks = packChunks(pack, 3);
  assert.deepEqual(chunks.map((c) => c.byteLength), [39, 39, 13]);
  const { passes, count } = snapshotOf(chunks, TIERS);
  assert.equal(count, 7);
  const id = (/** @type {number} */ i) => passIdOf(new Uint8Array(bytes), i * RECORD_BYTES);
  assert.deepEqual({ ...passes[id(0)] }, { status: 'valid', tier: 'General', reason: null });
  assert.deepEqual({ ...passes[id(1)] }, { status: 'void', tier: 'VIP', reason: 'refunded' });
  assert.deepEqual({ ...passes[id(2)] }, { status: 'void', tier: null, reason: 'disputed' });
  assert.deepEqual({ ...passes[id(3)] }, { status: 'void', tier: 'General', reason: 'cancelled' });
  assert.deepEqual({ ...passes[id(4)] }, { status: 'unknown_4', tier: 'VIP', reason: null });
});

test('fails closed on a status byte it does not know: the sync core shows void', () => {
  const { bytes, pack } = makePack(5);
  const state = newState();
  applySnapshot(state, { serverSeq: 3, passes: snapshotOf(packChunks(pack), TIERS).passes });
  const passId = passIdOf(new Uint8Array(bytes), 4 * RECORD_BYTES);
  const token = { ok: true, pass_id: passId, event_ok: true };
  const shown = verdict(state, { token, device: 'd', now: 1, recent: null });
  assert.equal(shown.code, 'void');
  assert.equal(message(shown).color, 'red');
  assert.deepEqual(statusOf(9), { status: 'unknown_9', reason: null });
});

test('refuses a pack whose length does not match its count', () => {
  const { pack } = makePack(4);
  assert.throws(() => packChunks({ ...pack, count: 5 }), /52 bytes for 5 passes/);
});

test('decodes standard base64 with + and /', () => {
  assert.deepEqual([...decodeBase64('+/8=')], [0xfb, 0xff]);
});

test('loads a 50,000-pass event into a replica fast enough for a two-second cold start', () => {
  const { pack } = makePack(50000);
  const started = performance.now();
  const chunks = packChunks(pack);
  const { passes, count } = snapshotOf(chunks, TIERS);
  const state = newState();
  applySnapshot(state, { serverSeq: 50000, passes });
  const elapsed = performance.now() - started;
  assert.equal(chunks.length, 10);
  assert.equal(count, 50000);
  assert.equal(Object.keys(state.passes).length, 50000);
  assert.deepEqual(state.vector, { server: 50000 });
  // Generous bound (typically ~150 ms here): catches a quadratic regression, not a slow CI box.
  assert.ok(elapsed < 1500, `took ${elapsed.toFixed(0)} ms`);
});

test('the binary bootstrap is read into the same answer, its records a view on the body', async () => {
  const { readBootstrap, BOOTSTRAP_MEDIA_TYPE } = await import('../../pwa/lib/pass-pack.js');
  const { createApi } = await import('../../pwa/lib/sync-client.js');
  const { bytes, pack } = makePack(4);
  const header = Buffer.from(JSON.stringify({ tiers: TIERS, passes: { count: 4, data: '' }, vector: { server: 9 } }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(header.length);
  const body = Buffer.concat([Buffer.from('PXB1'), length, header, bytes]);
  const answer = readBootstrap(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
  assert.deepEqual(answer.vector, { server: 9 });
  assert.deepEqual(packChunks(answer.passes), packChunks(pack));

  /** @type {string[]} */
  const asked = [];
  const api = createApi({
    fetchImpl: async (url, init) => {
      asked.push(`${url} ${JSON.stringify(init?.headers)}`);
      return new Response(body, { headers: { 'content-type': BOOTSTRAP_MEDIA_TYPE } });
    },
  });
  const exchange = await api.bootstrap('t0ken');
  assert.equal(exchange.data.passes.count, 4);
  assert.deepEqual(snapshotOf(packChunks(exchange.data.passes), TIERS), snapshotOf(packChunks(pack), TIERS));
  assert.match(asked[0], /^\/api\/v1\/scanner\/bootstrap\/binary /);
  assert.match(asked[0], /Bearer t0ken/);

  assert.throws(() => readBootstrap(new TextEncoder().encode('{"passes":1}').buffer), /not a POCtix binary bootstrap/);
});
