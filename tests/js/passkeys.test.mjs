// @ts-check
/**
 * The passkey glue turns py_webauthn's base64url fields into bytes and the authenticator's
 * bytes back into base64url, with no padding, whatever the length (pwa/dashboard/passkeys.js).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { fromBase64url, toBase64url } from '../../pwa/dashboard/passkeys.js';

test('bytes of every length survive base64url both ways, unpadded and URL-safe', () => {
  for (let length = 0; length < 70; length += 1) {
    const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 250) % 256);
    const text = /** @type {string} */ (toBase64url(bytes.buffer));
    assert.doesNotMatch(text, /[+/=]/);
    assert.deepEqual(fromBase64url(text), bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64url'));
  }
});

test('no buffer (an assertion with no user handle) is null, not an empty string', () => {
  assert.equal(toBase64url(null), null);
});
