// @ts-check
/**
 * pwa/lib/pass-pack.js: the bootstrap pack becomes storable chunks and the sync core's snapshot,
 * an index on the records that answers like a Map of pass id -> status.
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
import {
  applySnapshot,
  merge,
  message,
  newState,
  passCount,
  passStatus,
  verdict,
} from '../../pwa/lib/sync-core.js';

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
  assert.deepEqual({ ...passes.get(id(0)) }, { status: 'valid', tier: 'General', reason: null });
  assert.deepEqual({ ...passes.get(id(1)) }, { status: 'void', tier: 'VIP', reason: 'refunded' });
  assert.deepEqual({ ...passes.get(id(2)) }, { status: 'void', tier: null, reason: 'disputed' });
  assert.deepEqual({ ...passes.get(id(3)) }, { status: 'void', tier: 'General', reason: 'cancelled' });
  assert.deepEqual({ ...passes.get(id(4)) }, { status: 'void', tier: 'VIP', reason: 'event_cancelled' });
  assert.deepEqual([...passes.keys()].sort(), [0, 1, 2, 3, 4, 5, 6].map(id).sort());
});

test('finds every pass of a big pack by its id, and nothing for ids it does not hold', () => {
  const { bytes, pack } = makePack(20000);
  const { passes } = snapshotOf(packChunks(pack), TIERS);
  assert.equal(passes.size, 20000);
  for (let i = 0; i < 20000; i++) {
    const entry = passes.get(passIdOf(new Uint8Array(bytes), i * RECORD_BYTES));
    assert.equal(entry?.status, statusOf(i % 5).status, `pass ${i}`);
  }
  const last = passIdOf(new Uint8Array(bytes), 0);
  const other = (last[0] === 'A' ? 'B' : 'A') + last.slice(1);
  for (const absent of [other, last.toLowerCase(), last.slice(1), `${last}A`, '', last.slice(0, 17) + '7']) {
    assert.equal(passes.get(absent), undefined, absent);
    assert.equal(passes.has(absent), false);
  }
});

test('a pass listed twice in a pack counts once, with its later record', () => {
  const { bytes } = makePack(3);
  bytes.copy(bytes, 2 * RECORD_BYTES, 0, 11); // the third record repeats the first key
  const { passes, count } = snapshotOf([bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)], TIERS);
  assert.equal(count, 2);
  assert.equal(passes.get(passIdOf(new Uint8Array(bytes), 0))?.status, statusOf(2).status);
  assert.equal([...passes.keys()].length, 2);
});

/**
 * The server's history of `passCount` passes: issue each, then void or restore some, one change
 * per seq; `passesAt(n)` is its pass index after change n (what a bootstrap at n carries).
 * @param {() => number} random
 */
function history(random, passCount = 12, extra = 14) {
  const keys = Array.from({ length: passCount }, () => Buffer.from(Array.from({ length: 11 }, () => Math.floor(random() * 256))));
  const ids = keys.map((key) => passIdOf(key));
  /** @type {import('../../pwa/lib/sync-core.js').PassChange[]} */
  const changes = ids.map((passId, i) => ({ origin: 'server', seq: i + 1, pass_id: passId, status: 'valid', tier: TIERS[i % 2], reason: null }));
  for (let seq = passCount + 1; seq <= passCount + extra; seq++) {
    const i = Math.floor(random() * passCount);
    const voided = random() < 0.6;
    changes.push({ origin: 'server', seq, pass_id: ids[i], status: voided ? 'void' : 'valid', tier: TIERS[i % 2], reason: voided ? 'refunded' : null });
  }
  /**
   * The pack of a bootstrap at `n`, as the server packs it; with `drop`, less one pass (a pass
   * the server no longer lists: the replica keeps what it knew of it).
   * @param {number} n
   * @param {boolean} drop
   */
  const packAt = (n, drop) => {
    /** @type {Map<string, number>} */
    const latest = new Map();
    for (const change of changes.slice(0, n)) latest.set(change.pass_id, change.status === 'valid' ? 0 : 1);
    if (drop) latest.delete(ids[Math.floor(random() * passCount)]);
    const bytes = Buffer.alloc(latest.size * RECORD_BYTES);
    [...latest].forEach(([passId, status], r) => {
      const i = ids.indexOf(passId);
      keys[i].copy(bytes, r * RECORD_BYTES);
      bytes[r * RECORD_BYTES + 11] = status;
      bytes[r * RECORD_BYTES + 12] = i % 2;
    });
    return packChunks({ count: latest.size, data: bytes.toString('base64') }, 5);
  };
  return { ids, changes, packAt };
}

test('a replica keeping the pack as its snapshot answers as one that copied it, in any order of bootstraps and pulls', () => {
  let seed = 11;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let run = 0; run < 200; run++) {
    const { ids, changes, packAt } = history(random);
    const total = changes.length;
    // Two bootstraps (the second may be older than the first) and the changes in random order.
    const at = [1 + Math.floor(random() * total), 1 + Math.floor(random() * total)];
    /** @type {Array<{boot: number}|{change: number}>} */
    const steps = [...at.map((n) => ({ boot: n })), ...changes.map((_, i) => ({ change: i }))];
    for (let i = steps.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [steps[i], steps[j]] = [steps[j], steps[i]];
    }
    const kept = newState();
    const copied = newState();
    for (const step of steps) {
      if ('boot' in step) {
        const { passes } = snapshotOf(packAt(step.boot, random() < 0.5), TIERS);
        applySnapshot(kept, { serverSeq: step.boot, passes });
        applySnapshot(copied, { serverSeq: step.boot, passes: Object.fromEntries([...passes.keys()].map((id) => [id, { ...passes.get(id) }])) });
      } else {
        merge(kept, [changes[step.change]]);
        merge(copied, [changes[step.change]]);
      }
      const where = `run ${run}, after ${JSON.stringify(step)}`;
      assert.deepEqual(kept.vector, copied.vector, where);
      assert.equal(passCount(kept), passCount(copied), where);
      for (const passId of ids) assert.deepEqual(passStatus(kept, passId), passStatus(copied, passId), `${where}: ${passId}`);
    }
    assert.ok((kept.snapshots ?? []).length <= 2);
  }
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
  assert.equal(passCount(state), 50000);
  assert.deepEqual(state.vector, { server: 50000 });
  // Generous bound (typically ~5 ms here): catches a quadratic regression, not a slow CI box.
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
