// @ts-check
/**
 * Properties of pwa/lib/sync-core.js over generated histories (the JS twin of
 * tests/sync/test_properties.py). A seeded generator keeps runs repeatable without a dependency:
 * a failure names its seed, and the same seed reproduces it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as core from '../../pwa/lib/sync-core.js';

const DEVICES = ['gate-a', 'gate-b', 'gate-c'];
const PASSES = ['P1', 'P2', 'P3'];
const T0 = 1750000000000;
const RUNS = 300;

/** mulberry32: a small seeded PRNG. @param {number} seed */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** @param {number} lo @param {number} hi inclusive */
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  /** @template T @param {readonly T[]} xs @returns {T} */
  const pick = (xs) => xs[int(0, xs.length - 1)];
  /** @template T @param {T[]} xs @returns {T[]} */
  const shuffle = (xs) => {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return { int, pick, shuffle };
}

/**
 * Pass changes and scans; each scan's vector covers only what existed before it.
 * @param {ReturnType<typeof prng>} r
 * @returns {Array<any>}
 */
function history(r) {
  /** @type {Array<any>} */
  const records = [];
  const changes = r.int(0, 8);
  for (let seq = 1; seq <= changes; seq++) {
    const isVoid = r.int(0, 1) === 1;
    records.push({
      origin: 'server',
      seq,
      pass_id: r.pick(PASSES),
      status: isVoid ? 'void' : 'valid',
      tier: r.pick(['GA', 'VIP', null]),
      reason: isVoid ? r.pick(['refunded', 'disputed']) : null,
    });
  }
  /** @type {Record<string, number>} */
  const counts = { 'gate-a': 0, 'gate-b': 0, 'gate-c': 0 };
  const scans = r.int(0, 14);
  for (let i = 0; i < scans; i++) {
    const device = r.pick(DEVICES);
    counts[device] += 1;
    const seq = counts[device];
    /** @type {Record<string, number>} */
    const vector = {};
    const server = r.int(0, changes);
    if (server > 0) vector.server = server;
    for (const other of DEVICES) {
      const known = other === device ? seq - 1 : r.int(0, counts[other]);
      if (known > 0) vector[other] = known;
    }
    const admitted = r.int(0, 1) === 1;
    records.push({
      device,
      seq,
      pass_id: r.pick([...PASSES, null]),
      scanned_at: T0 + r.int(0, 5) * 1000,
      verdict: admitted ? 'admit' : 'already_scanned',
      admitted,
      door: r.pick(['North', 'South']),
      vector,
    });
  }
  return records;
}

/** @param {Array<any>} records */
function fresh(records) {
  const state = core.newState();
  core.merge(state, structuredClone(records));
  return state;
}

test('merging any order and duplication gives the same state and conflicts', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = prng(seed);
    const records = history(r);
    const reference = fresh(records);
    const dups = records.length ? Array.from({ length: r.int(0, 6) }, () => r.pick(records)) : [];
    const delivery = r.shuffle([...records, ...dups]);
    const state = core.newState();
    for (let start = 0; start < delivery.length; ) {
      const size = r.int(1, 4);
      core.merge(state, structuredClone(delivery.slice(start, start + size)));
      start += size;
    }
    assert.deepStrictEqual(state, reference, `seed ${seed}`);
    assert.deepStrictEqual(core.conflicts(state), core.conflicts(reference), `seed ${seed}`);
  }
});

test('the vector only grows and equals the gap-free high of what is held', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = prng(seed);
    const subset = r.shuffle(history(r)).filter(() => r.int(0, 2) > 0);
    const state = core.newState();
    /** @type {Array<any>} */
    const delivered = [];
    for (const record of subset) {
      const before = { ...state.vector };
      core.merge(state, [record]);
      delivered.push(record);
      for (const [origin, high] of Object.entries(before)) {
        assert.ok(state.vector[origin] >= high, `seed ${seed}`);
      }
      for (const origin of ['server', ...DEVICES]) {
        const key = origin === 'server' ? 'origin' : 'device';
        const seqs = delivered.filter((d) => d[key] === origin).map((d) => d.seq);
        assert.equal(core.heldHigh(state, origin), core.contiguousHigh(seqs), `seed ${seed}`);
      }
      assert.ok(!Object.values(state.vector).includes(0));
    }
  }
});

test('paged pulls bring a scanner to the server knowledge', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = prng(seed);
    const records = history(r);
    const server = fresh(records);
    const device = r.pick(DEVICES);
    const limit = r.int(1, 5);
    const replica = fresh(records.filter((x) => x.device === device));
    const total = records.length - Object.keys(replica.scans[device] ?? {}).length;
    let pages = 0;
    for (;;) {
      const page = core.changesSince(server, replica.vector, { forDevice: device, limit });
      pages += 1;
      assert.ok(page.changes.length + page.scans.length <= limit);
      core.merge(replica, [...page.changes, ...page.scans]);
      if (!page.more) break;
    }
    assert.deepStrictEqual(replica, server, `seed ${seed}`);
    assert.equal(pages, Math.max(1, Math.ceil(total / limit)), `seed ${seed}`);
  }
});

test('a push that lost its ack is re-sent and acknowledged gap-free', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = prng(seed);
    const n = r.int(0, 12);
    /** @type {import('../../pwa/lib/sync-core.js').Scan[]} */
    let outbox = Array.from({ length: n }, (_, i) => ({
      device: 'gate-a',
      seq: i + 1,
      pass_id: 'P1',
      scanned_at: T0 + i,
      verdict: 'admit',
      admitted: true,
      door: 'North',
      vector: /** @type {Record<string, number>} */ (i > 0 ? { 'gate-a': i } : {}),
    }));
    const server = core.newState();
    const rounds = r.int(0, 10);
    for (let round = 0; round <= rounds; round++) {
      const last = round === rounds;
      const batch = outbox.slice(0, last ? outbox.length : r.int(1, 5));
      const heldHigh = core.heldHigh(server, 'gate-a');
      assert.equal(core.validatePush({ device: 'gate-a', heldHigh, scans: batch }), null);
      core.merge(server, batch);
      const acked = core.heldHigh(server, 'gate-a');
      if (last || r.int(0, 1) === 1) outbox = core.ackOutbox(outbox, acked);
    }
    assert.deepStrictEqual(outbox, [], `seed ${seed}`);
    assert.equal(core.heldHigh(server, 'gate-a'), n, `seed ${seed}`);
  }
});

test('device ids compare by code point, as in Python', () => {
  assert.equal(core.compareStrings('\uff21', '\u{1F600}'), -1);
  assert.equal(core.compareStrings('\u{1F600}', '\uff21'), 1);
  assert.equal(core.compareStrings('Gate', 'gate'), -1);
  assert.equal(core.compareStrings('gate', 'gate-a'), -1);
  assert.equal(core.compareStrings('gate-a', 'gate-a'), 0);
  assert.equal(core.compareStrings('\u{1F600}', '\u{1F601}'), -1);
});

/**
 * The server's door list changes, numbered by one counter, each a list's whole definition.
 * @param {ReturnType<typeof prng>} r
 * @returns {Array<any>}
 */
function listChanges(r) {
  return Array.from({ length: r.int(0, 8) }, (_, i) => ({
    list_id: r.pick(['default', 'vip', 'bar']),
    seq: i + 1,
    name: r.pick(['Main', 'VIP deck', 'Bar']),
    tiers: r.pick([null, ['VIP'], ['GA', 'VIP']]),
    from: r.pick([null, T0, T0 + 3000]),
    until: r.pick([null, T0 + 2000]),
    reentry: r.int(0, 1) === 1,
  }));
}

test('list changes in any order and repetition leave each list at its latest definition', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = prng(seed);
    const changes = listChanges(r);
    /** @type {Record<string, any>} */
    const latest = {};
    for (const record of changes) latest[record.list_id] = record;
    const dups = changes.length ? Array.from({ length: r.int(0, 4) }, () => r.pick(changes)) : [];
    const delivery = r.shuffle([...changes, ...dups]);
    const state = core.newState();
    for (let start = 0; start < delivery.length; ) {
      const size = r.int(1, 3);
      core.mergeLists(state, structuredClone(delivery.slice(start, start + size)));
      start += size;
    }
    assert.deepStrictEqual(state.lists ?? {}, latest, `seed ${seed}`);
    assert.equal(core.listsHigh(state), changes.length, `seed ${seed}`);
    for (const [listId, record] of Object.entries(latest)) {
      assert.deepStrictEqual(core.doorList(state, listId), record, `seed ${seed}`);
    }
  }
});

test('pulls that name lists_after bring a phone every list change once', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = prng(seed);
    const server = core.newState();
    const phone = core.newState();
    const pull = () => core.changesSince(server, phone.vector, { listsAfter: core.listsHigh(phone) });
    for (const record of listChanges(r)) {
      core.applyList(server, record);
      if (r.int(0, 1) === 1) {
        const lists = pull().lists ?? [];
        assert.ok(lists.every((l) => l.seq > core.listsHigh(phone)), `seed ${seed}`);
        assert.equal(core.mergeLists(phone, lists), lists.length, `seed ${seed}`);
      }
    }
    core.mergeLists(phone, pull().lists ?? []);
    assert.deepStrictEqual(phone, server, `seed ${seed}`);
    assert.deepStrictEqual(pull(), { changes: [], scans: [], more: false, lists: [] }, `seed ${seed}`);
  }
});

const LISTS = ['default', 'vip'];

/**
 * Admissions and exits on two door lists, each scan knowing only what came before it.
 * @param {ReturnType<typeof prng>} r
 * @returns {Array<any>}
 */
function doorHistory(r) {
  /** @type {Array<any>} */
  const records = [
    { origin: 'server', seq: 1, pass_id: 'P1', status: 'valid', tier: 'GA', reason: null },
    { origin: 'server', seq: 2, pass_id: 'P2', status: 'valid', tier: 'VIP', reason: null },
  ];
  /** @type {Record<string, number>} */
  const counts = { 'gate-a': 0, 'gate-b': 0, 'gate-c': 0 };
  const scans = r.int(0, 16);
  for (let i = 0; i < scans; i++) {
    const device = r.pick(DEVICES);
    counts[device] += 1;
    const seq = counts[device];
    /** @type {Record<string, number>} */
    const vector = { server: 2 };
    for (const other of DEVICES) {
      const known = other === device ? seq - 1 : r.int(0, counts[other]);
      if (known > 0) vector[other] = known;
    }
    const wayOut = r.int(0, 1) === 1;
    const listId = r.pick(LISTS);
    records.push({
      device,
      seq,
      pass_id: r.pick(['P1', 'P2', 'P3']),
      scanned_at: T0 + r.int(0, 5) * 1000,
      verdict: wayOut ? 'exit' : 'admit',
      admitted: !wayOut && r.int(0, 1) === 1,
      door: r.pick(['North', 'South']),
      vector,
      ...(wayOut ? { direction: 'out' } : {}),
      ...(listId === 'default' ? {} : { list: listId }),
    });
  }
  return records;
}

test('exits in any order and duplication give the same movements and inside counts', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const r = prng(seed);
    const records = doorHistory(r);
    const reference = fresh(records);
    const dups = Array.from({ length: r.int(0, 4) }, () => r.pick(records));
    const state = core.newState();
    for (const record of r.shuffle([...records, ...dups])) core.merge(state, [structuredClone(record)]);
    assert.deepStrictEqual(state, reference, `seed ${seed}`);
    assert.deepStrictEqual(core.conflicts(state), core.conflicts(reference), `seed ${seed}`);
    assert.deepStrictEqual(core.insideCounts(state), core.insideCounts(reference), `seed ${seed}`);
    for (const passId of ['P1', 'P2', 'P3']) {
      for (const listId of LISTS) {
        assert.deepStrictEqual(
          core.movements(state, passId, { listId }),
          core.movements(reference, passId, { listId }),
          `seed ${seed}`,
        );
      }
    }
  }
});

test('the order of movements never puts a movement before one its door had seen', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const state = fresh(doorHistory(prng(seed)));
    for (const passId of ['P1', 'P2', 'P3']) {
      for (const listId of LISTS) {
        const order = core.movements(state, passId, { listId }).map((m) => state.scans[m.device][String(m.seq)]);
        order.forEach((earlier, i) => {
          for (const later of order.slice(i + 1)) {
            if (later.device === earlier.device) assert.ok(earlier.seq < later.seq, `seed ${seed}`);
            else assert.ok(!core.covers(earlier.vector, later.device, later.seq), `seed ${seed}`);
          }
        });
      }
    }
  }
});

test('a double admission is two admissions with no exit between them, and inside counts agree', () => {
  for (let seed = 1; seed <= RUNS; seed++) {
    const state = fresh(doorHistory(prng(seed)));
    /** @type {Map<string, number>} */
    const want = new Map();
    for (const passId of ['P1', 'P2', 'P3']) {
      const listed = core.classify(state, passId);
      for (const listId of LISTS) {
        const order = core.movements(state, passId, { listId });
        const ways = order.map((m) => m.direction);
        const position = new Map(order.map((m, i) => [`${m.device}:${m.seq}`, i]));
        const mine = listed.filter((c) => (c.list ?? 'default') === listId);
        const stays = ways.filter((w, i) => w === 'in' && (i === 0 || ways[i - 1] === 'out')).length;
        assert.equal(mine.length, ways.filter((w) => w === 'in').length - stays, `seed ${seed}`);
        for (const entry of mine) {
          const first = /** @type {number} */ (position.get(`${entry.first.device}:${entry.first.seq}`));
          const other = /** @type {number} */ (position.get(`${entry.other.device}:${entry.other.seq}`));
          assert.ok(first < other, `seed ${seed}`);
          assert.ok(!ways.slice(first, other).includes('out'), `seed ${seed}: an exit between`);
        }
        const inside = ways.length > 0 && ways[ways.length - 1] === 'in';
        assert.equal(core.isInside(state, passId, { listId }), inside, `seed ${seed}`);
        if (inside) {
          const tier = Object.hasOwn(state.passes, passId) ? state.passes[passId].tier : null;
          const key = JSON.stringify([listId, tier]);
          want.set(key, (want.get(key) ?? 0) + 1);
        }
      }
    }
    const got = new Map(core.insideCounts(state).map((row) => [JSON.stringify([row.list, row.tier]), row.inside]));
    assert.deepStrictEqual(got, want, `seed ${seed}`);
  }
});

test('a scan on the way out admits nobody', () => {
  const state = core.newState();
  /** @type {import('../../pwa/lib/sync-core.js').Verdict} */
  const shown = { code: 'exit', pass_id: 'P1', tier: null, reason: null, at: null, door: null };
  const scan = core.newScan(state, { device: 'gate-a', verdict: shown, door: 'North', scannedAt: T0, direction: 'out' });
  assert.equal(scan.admitted, false);
  assert.equal(scan.direction, 'out');
  assert.throws(
    () => core.newScan(state, { device: 'gate-a', verdict: shown, door: 'North', scannedAt: T0, direction: 'out', admitted: true }),
    /admits nobody/,
  );
  assert.throws(
    () => core.verdict(state, { token: { ok: true, pass_id: 'P1' }, device: 'gate-a', now: T0, recent: null, direction: 'sideways' }),
    /direction/,
  );
});
