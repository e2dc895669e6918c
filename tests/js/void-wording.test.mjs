// @ts-check
/**
 * The void wording the door and the wallet show is the one table the server reads
 * (api/passes/void_wording.json), word for word.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { message } from '../../pwa/lib/sync-core.js';
import { VOID_WORDING, voidWording } from '../../pwa/lib/void-wording.js';
import { passState } from '../../pwa/wallet/model.js';

const TABLE = JSON.parse(readFileSync(new URL('../../api/passes/void_wording.json', import.meta.url), 'utf8'));

test('the JS wording table equals the server table', () => {
  assert.deepEqual(JSON.parse(JSON.stringify(VOID_WORDING)), TABLE);
});

test('a red door verdict and the wallet say the table words for every void reason', () => {
  for (const reason of [...Object.keys(TABLE.reasons), 'voided', null]) {
    const words = reason !== null && reason in TABLE.reasons ? TABLE.reasons[reason] : TABLE.other;
    assert.deepEqual(voidWording(reason), words);
    const verdict = /** @type {any} */ ({ code: 'void', reason, at: null, door: null });
    assert.equal(message(verdict).title, words.door);
    const state = passState(
      /** @type {any} */ ({ id: 'p', tier: 'GA', status: 'void', void_reason: reason, token: null }),
      /** @type {any} */ ({ missing: false }),
    );
    assert.equal(state.badge, words.buyer);
    assert.equal(state.title, words.door);
  }
});

test('the wording SEED.md promises is unchanged', () => {
  assert.equal(voidWording('refunded').door, 'Refunded — do not admit');
  assert.equal(voidWording('disputed').buyer, 'Void — disputed');
  assert.equal(voidWording('voided').door, 'Void — do not admit');
});
