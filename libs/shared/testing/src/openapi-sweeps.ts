import assert from 'node:assert/strict';
import type { AdminResponse } from './admin-client';

/**
 * Sweeps driven by a service's own OpenAPI document (served at /docs-json by serveOpenApi): every
 * route it documents is tried, so a route added later is tried too, and fails the sweep until
 * the test gives it a valid body.
 */

export interface OpenApiBodySchema {
  required?: string[];
  properties?: Record<string, { type?: string }>;
}

export interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: OpenApiBodySchema } | undefined> };
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
}

/** Fetches the document from /docs-json and checks that /docs serves the browsable page beside it. */
export async function fetchOpenApi(base: string): Promise<OpenApiDocument> {
  const res = await fetch(`${base}/docs-json`);
  assert.equal(res.status, 200, `${base}/docs-json answered ${res.status}`);
  const doc = (await res.json()) as OpenApiDocument;
  assert.equal(doc.openapi.split('.')[0], '3');
  const page = await fetch(`${base}/docs`);
  assert.equal(page.status, 200, `${base}/docs answered ${page.status}`);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  return doc;
}

/** The JSON body schema of a route (`'POST /v1/users'`), if it takes one. */
export function bodySchema(doc: OpenApiDocument, route: string): OpenApiBodySchema | undefined {
  const [method, path] = route.split(' ');
  return doc.paths[path ?? '']?.[method?.toLowerCase() ?? '']?.requestBody?.content['application/json']?.schema;
}

export interface Sweep {
  doc: OpenApiDocument;
  /** An admin call: `adminClient(...)`, its default key the organisation that owns the ids. */
  call(method: string, path: string, body?: unknown, key?: string): Promise<AdminResponse>;
  /** The path with each `{param}` replaced by an id that the owning organisation holds. */
  fill(path: string): string;
  /** A valid body for a route (`'PATCH /v1/users/{id}'`), so that only what the sweep changes can make it fail. */
  body(route: string): unknown;
}

function operations(doc: OpenApiDocument): { route: string; method: string; path: string; operation: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      route: `${method.toUpperCase()} ${path}`,
      method: method.toUpperCase(),
      path,
      operation,
    })),
  );
}

/**
 * The organisation wall: every route whose path takes an id, called with another organisation's
 * key for the owner's ids, answers 404. `shared` names the routes whose ids belong to no
 * organisation (each must exist in the document; the caller tests them its own way).
 * Returns the routes tried.
 */
export async function sweepOtherOrganization(sweep: Sweep & { otherKey: string; shared?: readonly string[] }): Promise<string[]> {
  const all = operations(sweep.doc);
  for (const route of sweep.shared ?? [])
    assert.ok(
      all.some((o) => o.route === route),
      `${route} is not in the document`,
    );
  const tried: string[] = [];
  for (const { route, method, path, operation } of all) {
    if (!path.includes('{') || sweep.shared?.includes(route)) continue;
    let body: unknown;
    if (operation.requestBody !== undefined) {
      body = sweep.body(route);
      assert.ok(body !== undefined, `${route} needs a valid body in this test`);
    }
    const res = await sweep.call(method, sweep.fill(path), body, sweep.otherKey);
    assert.equal(res.status, 404, `${route} answered ${res.status}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error, 'Not Found');
    tried.push(route);
  }
  return tried;
}

/**
 * Bad input on every JSON body route: malformed JSON, a non-object, an unknown field, a number
 * for each string property and each required property left out. Each answers 400
 * VALIDATION_FAILED naming the field, never a stack trace. Returns the routes swept.
 */
export async function sweepBadBodies(sweep: Sweep): Promise<string[]> {
  const swept: string[] = [];
  for (const { route, method, path } of operations(sweep.doc)) {
    const schema = bodySchema(sweep.doc, route);
    if (!schema) continue; // no body, or not JSON (such a route needs tests of its own)
    const valid = sweep.body(route) as Record<string, unknown> | undefined;
    assert.ok(valid !== undefined, `${route} needs a valid body in this test`);
    const url = sweep.fill(path);
    const send = async (body: unknown): Promise<string[]> => {
      const res = await sweep.call(method, url, body);
      assert.equal(res.status, 400, `${route} ${JSON.stringify(body)} answered ${res.status}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'VALIDATION_FAILED');
      assert.equal(JSON.stringify(res.body).includes('    at '), false, 'no stack trace');
      return (res.body.details ?? []).map((d) => d.field);
    };
    await send('{"name": ');
    assert.deepEqual(await send([valid]), ['(body)']);
    assert.deepEqual(await send({ ...valid, isAdmin: true }), ['isAdmin']);
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (property.type !== 'string') continue;
      assert.deepEqual(await send({ ...valid, [name]: 12345 }), [name], `${route}: a number for ${name}`);
    }
    for (const name of schema.required ?? []) {
      const { [name]: _dropped, ...rest } = valid;
      assert.ok((await send(rest)).includes(name), `${route} without ${name}`);
    }
    swept.push(route);
  }
  return swept;
}
