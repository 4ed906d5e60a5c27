import assert from 'node:assert/strict';
import { beforeAll, describe, it } from '@jest/globals';
import type { ApiFailure as ApiFailureType } from './api/clients';
import type { applyApiErrors as applyApiErrorsType } from './forms';

// The API clients (which forms.ts imports) are made when their module loads, from the page's address.
let ApiFailure: typeof ApiFailureType;
let applyApiErrors: typeof applyApiErrorsType;
beforeAll(async () => {
  Object.assign(globalThis, { window: { location: { origin: 'https://console.example' } } });
  ({ ApiFailure } = await import('./api/clients'));
  ({ applyApiErrors } = await import('./forms'));
});

const refusal = (details: { field: string; message: string }[]) =>
  new ApiFailure({
    statusCode: 400,
    code: 'VALIDATION_FAILED',
    error: 'Bad Request',
    message: `Invalid input: ${details.map((d) => d.field).join(', ')}`,
    details,
  } as never);

describe('applyApiErrors', () => {
  it('puts each problem beside its field and tells the alert where to look, not the API wording', () => {
    const placed: [string, string][] = [];
    const problem = { field: 'logoUrl', message: 'The logo URL must not contain a user name or password' };
    const text = applyApiErrors(refusal([problem]), (field, e) => void placed.push([field, e.message ?? '']), ['name', 'logoUrl']);
    assert.deepEqual(placed, [['logoUrl', problem.message]]);
    assert.equal(text, 'Nothing was saved: correct the field marked below');
  });

  it('keeps the problems no field of the form shows in the alert', () => {
    const problems = [
      { field: 'name', message: 'Required' },
      { field: 'other', message: 'Unknown' },
    ];
    assert.equal(
      applyApiErrors(refusal(problems), () => undefined, ['name']),
      'Invalid input: name, other · other: Unknown',
    );
  });
});
