// @ts-check
/** Searching the door's guest list offline (pwa/lib/guest-search.js). */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { GuestIndex, fold } from '../../pwa/lib/guest-search.js';

/** @type {import('../../pwa/lib/guest-search.js').Guest[]} */
const GUESTS = [
  ['AAAAAAAAAAAAAAAAAA', 'Ana Lima', 'ana@x.io', 'K7Q2MXP4'],
  ['BBBBBBBBBBBBBBBBBB', 'Noé Kahale', 'noe@example.com', 'Y3BCTQAX'],
  ['CCCCCCCCCCCCCCCCCC', 'Noé Kahale', 'noe@example.com', 'Y3BCTQAX'],
  ['DDDDDDDDDDDDDDDDDD', 'Kai Noelani', 'kai@example.com', '00000001'],
];

const ids = (/** @type {import('../../pwa/lib/guest-search.js').Guest[]} */ found) => found.map((g) => g[0][0]);

test('a name is found without its accent, in any case, name-prefix matches first', () => {
  const index = new GuestIndex(GUESTS);
  assert.deepEqual(ids(index.search('noe')), ['B', 'C', 'D']);
  assert.deepEqual(ids(index.search('NOÉ kah')), ['B', 'C']);
  assert.equal(fold('Ōhiʻa Noé'), 'ohiʻa noe');
});

test('an email or an order reference as typed finds its passes', () => {
  const index = new GuestIndex(GUESTS);
  assert.deepEqual(ids(index.search('ana@x')), ['A']);
  assert.deepEqual(ids(index.search('y3bctqax')), ['B', 'C']);
  assert.deepEqual(ids(index.search('K7Q2')), ['A']);
});

test('every word must match; an empty query finds nobody; the limit holds', () => {
  const index = new GuestIndex(GUESTS);
  assert.deepEqual(index.search('kai lima'), []);
  assert.deepEqual(index.search('   '), []);
  assert.equal(index.search('example', 1).length, 1);
});

test('a scanned pass is looked up by its pass id', () => {
  const index = new GuestIndex(GUESTS);
  assert.equal(index.byPass('DDDDDDDDDDDDDDDDDD')?.[1], 'Kai Noelani');
  assert.equal(index.byPass('ZZZZZZZZZZZZZZZZZZ'), undefined);
});
