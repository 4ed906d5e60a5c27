/// <reference types="node" />
import assert from 'node:assert/strict';
import { describe, it } from '@jest/globals';
import { REFUSAL_REASONS } from './activity-reasons';

/**
 * The SPA keeps its own copy of the IdP's refusal reasons (it cannot bundle the node library).
 * The contract is loaded by name at run time only, so that the SPA's type check never follows
 * it into the node-only libraries it imports.
 */
const CONTRACT: string = '@jit/idp-contracts';

describe('the Activity screen refusal reasons', () => {
  it('are the IdP contract reasons, plus missing_required_attribute for every missing_required_attribute:<name>', async () => {
    const contract = (await import(CONTRACT)) as { REFUSAL_REASONS: readonly string[]; RefusalReason: { parse(value: unknown): unknown } };
    assert.deepEqual([...REFUSAL_REASONS].sort(), [...contract.REFUSAL_REASONS, 'missing_required_attribute'].sort());
    // The one reason the SPA adds is the code of the contract's templated reason, not a reason of its own.
    assert.doesNotThrow(() => contract.RefusalReason.parse('missing_required_attribute:lastname'));
    assert.throws(() => contract.RefusalReason.parse('missing_required_attribute'));
  });
});
