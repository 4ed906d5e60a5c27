import assert from 'node:assert/strict';
import { InternalServerErrorException } from '@nestjs/common';
import { z } from 'zod';
import { Timestamp } from './common-dto';
import { responseJsonSchema } from './openapi';
import { checkAnswer } from './response-check';

const Member = z.object({ id: z.uuid(), joinedAt: Timestamp }).meta({ id: 'SpecMember' });
const MemberPage = z.object({ items: z.array(Member), total: z.number().int() }).meta({ id: 'SpecMemberPage' });

describe('responseJsonSchema', () => {
  it('names each schema with an id as a component, and a Date as the ISO string it is sent as', () => {
    const { schema, components } = responseJsonSchema(MemberPage);
    assert.deepEqual(schema, { $ref: '#/components/schemas/SpecMemberPage' });
    assert.deepEqual(Object.keys(components).sort(), ['SpecMember', 'SpecMemberPage']);
    const page = components.SpecMemberPage as { properties: { items: { items: unknown } } };
    assert.deepEqual(page.properties.items.items, { $ref: '#/components/schemas/SpecMember' });
    const member = components.SpecMember as { properties: Record<string, unknown>; required: string[] };
    assert.deepEqual(member.properties.joinedAt, { type: 'string', format: 'date-time' });
    assert.deepEqual(member.required, ['id', 'joinedAt']);
  });

  it('leaves a schema without an id inline', () => {
    const { schema, components } = responseJsonSchema(z.object({ at: Timestamp.nullable() }));
    assert.deepEqual(components, {});
    assert.equal((schema as { type?: string }).type, 'object');
  });
});

describe('checkAnswer', () => {
  const logged: unknown[] = [];
  const logger = { error: (...args: unknown[]) => logged.push(args) } as never;

  it('lets through an answer the schema describes', () => {
    const answer = { items: [{ id: '0b8a3f7e-6d0e-4b1a-9f6a-3c2d1e0f9a8b', joinedAt: new Date() }], total: 1 };
    assert.equal(checkAnswer(MemberPage, answer, 'Spec.list', logger), answer);
    // And the same answer as the client reads it: a test may parse JSON with the schema the code builds to.
    const sent: unknown = JSON.parse(JSON.stringify(answer));
    assert.equal(checkAnswer(MemberPage, sent, 'Spec.list', logger), sent);
  });

  it('fails loudly on one it does not: a 500 naming each mismatch, and the issues logged', () => {
    logged.length = 0;
    const answer = { items: [{ id: 'not-a-uuid', joinedAt: '2026-01-01' }] };
    assert.throws(
      () => checkAnswer(MemberPage, answer, 'Spec.list', logger),
      (error: unknown) => {
        assert.ok(error instanceof InternalServerErrorException);
        assert.match(error.message, /Spec\.list/);
        assert.match(error.message, /items\.0\.id/);
        assert.match(error.message, /items\.0\.joinedAt/);
        assert.match(error.message, /total/);
        return true;
      },
    );
    assert.equal(logged.length, 1);
  });
});
