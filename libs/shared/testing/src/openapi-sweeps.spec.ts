import assert from 'node:assert/strict';
import { assertSuccessSchemas, type OpenApiDocument } from './openapi-sweeps';

const json = (schema: object) => ({ description: 'OK', content: { 'application/json': { schema } } });
const doc = (paths: Record<string, Record<string, object>>): OpenApiDocument => ({ openapi: '3.0.0', paths });

describe('assertSuccessSchemas', () => {
  it('passes JSON routes with a success schema, 204 routes without a body, and leaves pages and probes alone', () => {
    const checked = assertSuccessSchemas(
      doc({
        '/v1/users': { get: { responses: { 200: json({ $ref: '#/components/schemas/UserPage' }) } } },
        '/v1/users/{id}': { delete: { responses: { 204: { description: 'No content' } } } },
        '/api/me': { get: { responses: { 200: json({ type: 'object' }) } } },
        '/login': { get: { responses: { 200: { description: 'OK' } } } },
        '/health': { get: { responses: { 200: { description: 'OK' } } } },
      }),
    );
    assert.deepEqual(checked, ['GET /v1/users', 'DELETE /v1/users/{id}', 'GET /api/me']);
  });

  it('names each JSON route whose success answer has no schema, and a 204 that documents a body', () => {
    assert.throws(
      () =>
        assertSuccessSchemas(
          doc({
            '/v1/users': { post: { responses: { 201: { description: 'Created' } } } },
            '/v1/groups': { get: { responses: { 200: json({}) } } },
            '/v1/users/{id}': { delete: { responses: { 204: json({ type: 'object' }) } } },
            '/api/activity': { get: { responses: { 400: json({}) } } },
          }),
        ),
      (error: Error) => {
        assert.match(error.message, /POST \/v1\/users: 201 has no application\/json schema/);
        assert.match(error.message, /GET \/v1\/groups: 200 has no application\/json schema/);
        assert.match(error.message, /DELETE \/v1\/users\/\{id\}: 204 documents a body/);
        assert.match(error.message, /GET \/api\/activity: no success answer/);
        return true;
      },
    );
  });
});
