// @ts-check
/**
 * Run every golden case in sync/vectors/*.json against pwa/lib/sync-core.js.
 *
 * The same files run against the Python package (tests/sync/test_vectors.py); the step format is
 * specified in sync/PROTOCOL.md section 16. Run with `node --test tests/js/*.test.mjs`.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as core from '../../pwa/lib/sync-core.js';

const VECTORS = fileURLToPath(new URL('../../sync/vectors/', import.meta.url));

/** @returns {Array<Record<string, any>>} */
function loadCases() {
  const files = readdirSync(VECTORS).filter((f) => f.endsWith('.json')).sort();
  return files.flatMap((file) =>
    JSON.parse(readFileSync(VECTORS + file, 'utf8')).cases.map(
      (/** @type {Record<string, any>} */ c) => ({ ...c, file }),
    ),
  );
}

const CASES = loadCases();

/**
 * One device or the server, plus what the door app keeps beside the replica.
 * @typedef {{state: import('../../pwa/lib/sync-core.js').State,
 *   outbox: import('../../pwa/lib/sync-core.js').Scan[],
 *   recent: import('../../pwa/lib/sync-core.js').Recent|null, offset: number}} Replica
 */

class Run {
  /** @param {Record<string, any>} testCase */
  constructor(testCase) {
    /** @type {Map<string, Replica>} */
    this.replicas = new Map();
    /** @type {Set<string>} */
    this.checked = new Set();
    for (const [name, items] of Object.entries(testCase.replicas ?? {})) {
      core.merge(this.at(name).state, items);
    }
  }

  /** @param {string} name @returns {Replica} */
  at(name) {
    let replica = this.replicas.get(name);
    if (replica === undefined) {
      replica = { state: core.newState(), outbox: [], recent: null, offset: 0 };
      this.replicas.set(name, replica);
    }
    return replica;
  }

  /** @param {Record<string, any>} step */
  step(step) {
    const handler = /** @type {any} */ (this)[`op_${step.op}`];
    assert.equal(typeof handler, 'function', `unknown op ${step.op}`);
    this.checked = new Set();
    if ('expect_error' in step) {
      assert.throws(
        () => handler.call(this, step),
        (/** @type {any} */ error) =>
          error instanceof core.SyncError && error.code === step.expect_error,
      );
      this.checked.add('expect_error');
    } else {
      handler.call(this, step);
    }
    // A misspelt expectation must fail, not pass silently.
    const unchecked = Object.keys(step).filter(
      (k) => k.startsWith('expect') && !this.checked.has(k),
    );
    assert.deepEqual(unchecked, [], 'expectations never checked');
  }

  /** @param {Record<string, any>} step @param {unknown} got @param {string} [key] */
  check(step, got, key = 'expect') {
    if (key in step) {
      this.checked.add(key);
      assert.deepStrictEqual(got, step[key], `${key}: got ${JSON.stringify(got)}`);
    }
  }

  /** @param {Record<string, any>} s */
  op_merge(s) {
    this.check(s, core.merge(this.at(s.at).state, s.items));
  }

  /** @param {Record<string, any>} s */
  op_apply_pass_change(s) {
    this.check(s, core.applyPassChange(this.at(s.at).state, s.change));
  }

  /** @param {Record<string, any>} s */
  op_apply_scan(s) {
    this.check(s, core.applyScan(this.at(s.at).state, s.scan));
  }

  /** @param {Record<string, any>} s */
  op_apply_snapshot(s) {
    core.applySnapshot(this.at(s.at).state, { serverSeq: s.server_seq, passes: s.passes });
  }

  /** @param {Record<string, any>} s */
  op_verdict(s) {
    const replica = this.at(s.at);
    const recent = 'recent' in s ? s.recent : replica.recent;
    const device = s.device ?? s.at;
    const listId = s.list ?? core.DEFAULT_LIST;
    const direction = s.direction ?? core.IN;
    this.check(
      s,
      core.verdict(replica.state, { token: s.token, device, now: s.now, recent, listId, direction }),
    );
  }

  /** @param {Record<string, any>} s */
  op_door(s) {
    const device = s.at;
    const replica = this.at(device);
    const now = s.now ?? core.correctedNow(s.device_now, replica.offset);
    const recent = 'recent' in s ? s.recent : replica.recent;
    const listId = s.list ?? core.DEFAULT_LIST;
    const direction = s.direction ?? core.IN;
    const shown = core.verdict(replica.state, { token: s.token, device, now, recent, listId, direction });
    this.check(s, shown);
    this.check(s, core.message(shown), 'expect_message');
    if (shown.code === 'ignored') {
      assert.ok(!('expect_scan' in s));
      return;
    }
    const scan = core.newScan(replica.state, {
      device,
      verdict: shown,
      door: s.door,
      scannedAt: now,
      admitted: s.admit_anyway ? true : null,
      listId,
      direction,
      source: s.source ?? null,
    });
    this.check(s, scan, 'expect_scan');
    assert.ok(core.applyScan(replica.state, scan));
    replica.outbox.push(scan);
    const key = core.scanKey(s.token);
    if (key !== null) replica.recent = { device, key, at: now };
  }

  /** @param {Record<string, any>} s */
  op_push(s) {
    const device = this.at(s.from);
    const server = this.at(s.to);
    const scans = s.scans ?? device.outbox;
    const heldHigh = core.heldHigh(server.state, s.from);
    const error = core.validatePush({ device: s.from, heldHigh, scans });
    if (error !== null) {
      this.check(s, { error });
      return;
    }
    core.merge(server.state, scans);
    const acked = core.heldHigh(server.state, s.from);
    this.check(s, { acked });
    if (!s.lose_ack) device.outbox = core.ackOutbox(device.outbox, acked);
  }

  /** @param {Record<string, any>} s */
  op_pull(s) {
    const server = this.at(s.from);
    const device = this.at(s.to);
    const page = core.changesSince(server.state, device.state.vector, {
      forDevice: 'for_device' in s ? s.for_device : s.to,
      limit: s.limit ?? null,
      listsAfter: s.lists ? core.listsHigh(device.state) : null,
    });
    this.check(s, page);
    this.check(s, core.merge(device.state, [...page.changes, ...page.scans]), 'expect_stored');
    if (page.lists !== undefined) {
      this.check(s, core.mergeLists(device.state, page.lists), 'expect_lists_stored');
    }
  }

  /** @param {Record<string, any>} s */
  op_changes_since(s) {
    const page = core.changesSince(this.at(s.at).state, s.vector, {
      forDevice: s.for_device ?? null,
      limit: s.limit ?? null,
      listsAfter: s.lists_after ?? null,
    });
    this.check(s, page);
  }

  /** @param {Record<string, any>} s */
  op_apply_list(s) {
    this.check(s, core.applyList(this.at(s.at).state, s.list));
  }

  /** @param {Record<string, any>} s */
  op_merge_lists(s) {
    this.check(s, core.mergeLists(this.at(s.at).state, s.lists));
  }

  /** @param {Record<string, any>} s */
  op_lists_high(s) {
    this.check(s, core.listsHigh(this.at(s.at).state));
  }

  /** @param {Record<string, any>} s */
  op_door_list(s) {
    this.check(s, core.doorList(this.at(s.at).state, s.list ?? core.DEFAULT_LIST));
  }

  /** @param {Record<string, any>} s */
  op_validate_push(s) {
    this.check(s, core.validatePush({ device: s.device, heldHigh: s.held_high, scans: s.scans }));
  }

  /** @param {Record<string, any>} s */
  op_ack_outbox(s) {
    this.check(s, core.ackOutbox(s.outbox, s.acked_seq));
  }

  /** @param {Record<string, any>} s */
  op_outbox(s) {
    this.check(s, this.at(s.at).outbox.map((scan) => scan.seq));
  }

  /** @param {Record<string, any>} s */
  op_check(s) {
    const { state } = this.at(s.at);
    this.check(s, state.vector, 'expect_vector');
    this.check(s, state.passes, 'expect_passes');
    this.check(s, state, 'expect_state');
  }

  /** @param {Record<string, any>} s */
  op_same_state(s) {
    const [first, ...others] = s.replicas.map((/** @type {string} */ name) => this.at(name).state);
    for (const other of others) {
      assert.deepStrictEqual(other, first);
      assert.deepStrictEqual(core.conflicts(other), core.conflicts(first));
    }
  }

  /** @param {Record<string, any>} s */
  op_conflicts(s) {
    this.check(s, core.conflicts(this.at(s.at).state));
  }

  /** @param {Record<string, any>} s */
  op_classify(s) {
    this.check(s, core.classify(this.at(s.at).state, s.pass_id));
  }

  /** @param {Record<string, any>} s */
  op_canonical_first(s) {
    const listId = s.list ?? core.DEFAULT_LIST;
    this.check(s, core.canonicalFirst(this.at(s.at).state, s.pass_id, { listId }));
  }

  /** @param {Record<string, any>} s */
  op_also_admitted(s) {
    this.check(s, core.alsoAdmitted(this.at(s.at).state, s.pass_id, { device: s.device }));
  }

  /** @param {Record<string, any>} s */
  op_movements(s) {
    const listId = s.list ?? core.DEFAULT_LIST;
    this.check(s, core.movements(this.at(s.at).state, s.pass_id, { listId }));
  }

  /** @param {Record<string, any>} s */
  op_is_inside(s) {
    const listId = s.list ?? core.DEFAULT_LIST;
    this.check(s, core.isInside(this.at(s.at).state, s.pass_id, { listId }));
  }

  /** @param {Record<string, any>} s */
  op_inside_counts(s) {
    this.check(s, core.insideCounts(this.at(s.at).state));
  }

  /** @param {Record<string, any>} s */
  op_message(s) {
    this.check(s, core.message(s.verdict));
  }

  /** @param {Record<string, any>} s */
  op_clock(s) {
    const offset = core.clockOffset({
      serverTime: s.server_time,
      sentAt: s.sent_at,
      receivedAt: s.received_at,
    });
    this.check(s, offset);
    this.at(s.at).offset = offset;
  }

  /** @param {Record<string, any>} s */
  op_corrected_now(s) {
    this.check(s, core.correctedNow(s.device_now, s.offset));
  }

  /** @param {Record<string, any>} s */
  op_contiguous_high(s) {
    this.check(s, core.contiguousHigh(s.held, s.start ?? 0));
  }

  /** @param {Record<string, any>} s */
  op_covers(s) {
    this.check(s, core.covers(s.vector, s.origin, s.seq));
  }

  /** @param {Record<string, any>} s */
  op_merge_vectors(s) {
    this.check(s, core.mergeVectors(s.a, s.b));
  }

  /** @param {Record<string, any>} s */
  op_scan_key(s) {
    this.check(s, core.scanKey(s.token));
  }
}

test('there are enough golden cases, with unique names', () => {
  const names = CASES.map((c) => c.name);
  assert.ok(names.length >= 30, `only ${names.length} cases`);
  assert.equal(new Set(names).size, names.length);
});

for (const testCase of CASES) {
  test(testCase.name, () => {
    const run = new Run(testCase);
    testCase.steps.forEach((/** @type {Record<string, any>} */ step, /** @type {number} */ i) => {
      try {
        run.step(step);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new Error(`${testCase.file}: step ${i} (${step.op}): ${why}`, { cause: error });
      }
    });
  });
}
