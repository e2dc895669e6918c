// @ts-check
/**
 * A cancelled event's passes at the door (issue 17): a phone that bootstraps after the
 * cancellation reads status byte 4 as void with reason `event_cancelled`, and its red verdict
 * says "Event cancelled — do not admit" (api/passes/void_wording.json).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { statusOf } from '../../pwa/lib/pass-pack.js';
import { message } from '../../pwa/lib/sync-core.js';

test('status byte 4 is a pass void because its event was cancelled', () => {
  assert.deepEqual(statusOf(4), { status: 'void', reason: 'event_cancelled' });
});

test('the door tells staff the event is cancelled', () => {
  const verdict = /** @type {any} */ ({ code: 'void', reason: 'event_cancelled', at: null, door: null });
  assert.equal(message(verdict).title, 'Event cancelled — do not admit');
});
