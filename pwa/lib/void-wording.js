// @ts-check
/**
 * What a void pass says, by its stable void reason: the same table as api/passes/void_wording.json
 * (tests/js/void-wording.test.mjs holds the two equal; a JSON import would need an import
 * attribute some door browsers lack). `buyer` is the wallet's badge, `door` the red verdict's
 * title; a reason the table does not name gets `other`.
 */

/** @typedef {{buyer: string, door: string}} VoidWords */

export const VOID_WORDING = Object.freeze({
  reasons: Object.freeze({
    refunded: Object.freeze({ buyer: 'Void — refunded', door: 'Refunded — do not admit' }),
    disputed: Object.freeze({ buyer: 'Void — disputed', door: 'Disputed — do not admit' }),
    event_cancelled: Object.freeze({ buyer: 'Void — event cancelled', door: 'Event cancelled — do not admit' }),
    cancelled: Object.freeze({ buyer: 'Void', door: 'Cancelled — do not admit' }),
    transferred: Object.freeze({ buyer: 'Void — transferred', door: 'Transferred — do not admit' }),
  }),
  other: Object.freeze({ buyer: 'Void', door: 'Void — do not admit' }),
});

/**
 * The words for a void pass with this void reason.
 * @param {string | null | undefined} reason
 * @returns {VoidWords}
 */
export function voidWording(reason) {
  /** @type {Readonly<Record<string, VoidWords>>} */
  const reasons = VOID_WORDING.reasons;
  return reason && Object.prototype.hasOwnProperty.call(reasons, reason) ? reasons[reason] : VOID_WORDING.other;
}
