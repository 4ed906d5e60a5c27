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

export interface DocumentedOperation {
  route: string;
  method: string;
  path: string;
  operation: OpenApiOperation & {
    parameters?: { name: string; in: string; required?: boolean }[];
    responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string; type?: string } }> }>;
    security?: Record<string, string[]>[];
  };
}

/** Every operation of a document, as `'GET /v1/users/{id}'` with its parts. */
export function documentedOperations(doc: OpenApiDocument): DocumentedOperation[] {
  return operations(doc);
}

const ERROR_REF = '#/components/schemas/ErrorBody';

/**
 * Every operation documents its answers: a success one (with its JSON schema on the JSON API:
 * assertSuccessSchemas), and its errors with the one ErrorBody schema
 * (`{statusCode, error, code, message, details?}`). Returns the routes checked.
 */
export function assertResponsesDocumented(doc: OpenApiDocument & { components?: { schemas?: Record<string, unknown> } }): string[] {
  const errorBody = doc.components?.schemas?.ErrorBody as { required?: string[] } | undefined;
  assert.deepEqual(errorBody?.required, ['statusCode', 'error', 'code', 'message'], 'the document defines ErrorBody');
  const problems: string[] = [];
  const checked: string[] = [];
  for (const { route, operation } of documentedOperations(doc)) {
    const responses = operation.responses ?? {};
    const statuses = Object.keys(responses);
    if (!statuses.some((s) => /^[23]\d\d$/.test(s))) problems.push(`${route}: no success answer`);
    const errors = statuses.filter((s) => s === 'default' || /^[45]/.test(s));
    if (errors.length === 0) problems.push(`${route}: no error answer`);
    for (const status of errors) {
      if (responses[status]?.content?.['application/json']?.schema?.$ref !== ERROR_REF)
        problems.push(`${route}: ${status} is not an ErrorBody`);
    }
    const needsKey = (operation.security ?? []).some((requirement) => 'apiKey' in requirement);
    if (needsKey && !statuses.includes('401')) problems.push(`${route}: needs a key but documents no 401`);
    checked.push(route);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
  assertSuccessSchemas(doc);
  return checked;
}

/**
 * The JSON schema of a route's success answer (`'GET /v1/users'`, 200), its `$ref` to a named
 * schema followed (`#/components/schemas/UserView`).
 */
export function answerSchema(
  doc: OpenApiDocument & { components?: { schemas?: Record<string, unknown> } },
  route: string,
  status: number,
): (OpenApiBodySchema & Record<string, unknown>) | undefined {
  const [method, path] = route.split(' ');
  const operation = doc.paths[path ?? '']?.[method?.toLowerCase() ?? ''] as DocumentedOperation['operation'] | undefined;
  const schema = operation?.responses?.[String(status)]?.content?.['application/json']?.schema;
  const ref = schema?.$ref;
  const resolved = ref?.startsWith('#/components/schemas/') ? doc.components?.schemas?.[ref.slice('#/components/schemas/'.length)] : schema;
  return resolved as (OpenApiBodySchema & Record<string, unknown>) | undefined;
}

/** The routes that answer JSON to programs: the admin API (`/v1/...`) and the console's own (`/api/...`). */
export const isJsonApiRoute = (route: string): boolean => /^\w+ \/(v1|api)\//.test(route);

/**
 * Every JSON API operation documents what it answers on success: a 2xx with an application/json
 * schema (a route's @ZodResponse, which ResponseCheck holds every test answer to), or 204 with no
 * body at all. So the console's generated client types every answer, and no route can be added
 * without its schema. Returns the routes checked.
 */
export function assertSuccessSchemas(doc: OpenApiDocument, isJsonRoute: (route: string) => boolean = isJsonApiRoute): string[] {
  const problems: string[] = [];
  const checked: string[] = [];
  for (const { route, operation } of documentedOperations(doc)) {
    if (!isJsonRoute(route)) continue;
    const responses = operation.responses ?? {};
    const successes = Object.keys(responses).filter((s) => /^2\d\d$/.test(s));
    if (successes.length === 0) problems.push(`${route}: no success answer`);
    for (const status of successes) {
      const content = responses[status]?.content;
      if (status === '204') {
        if (content !== undefined) problems.push(`${route}: 204 documents a body`);
        continue;
      }
      const schema = content?.['application/json']?.schema;
      if (!schema || (schema.$ref === undefined && schema.type === undefined && Object.keys(schema).length === 0))
        problems.push(`${route}: ${status} has no application/json schema (give the route @ZodResponse(${status}, Schema))`);
    }
    checked.push(route);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
  return checked;
}

/** An error answer: JSON of exactly the documented shape, with a reason and no stack trace. */
export function assertErrorShape(what: string, status: number, contentType: string, text: string): void {
  assert.match(contentType, /^application\/json/, `${what} answered ${status} as ${contentType}: ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as Record<string, unknown>;
  const allowed = ['statusCode', 'error', 'code', 'message', 'details'];
  assert.deepEqual(
    Object.keys(body).filter((k) => !allowed.includes(k)),
    [],
    `${what}: unexpected fields in ${text}`,
  );
  assert.equal(body.statusCode, status, `${what}: ${text}`);
  assert.equal(typeof body.error, 'string', `${what}: ${text}`);
  assert.equal(typeof body.code, 'string', `${what}: ${text}`);
  assert.doesNotMatch(String(body.code), /^FST_/, `${what}: the framework's own error code leaked: ${text}`);
  assert.ok(typeof body.message === 'string' && body.message.length > 0, `${what}: ${text}`);
  if (body.details !== undefined) {
    assert.ok(Array.isArray(body.details), `${what}: ${text}`);
    for (const d of body.details as Record<string, unknown>[])
      assert.deepEqual(Object.keys(d).sort(), ['field', 'message'], `${what}: ${text}`);
  }
  assert.equal(text.includes('    at '), false, `${what}: no stack trace`);
}

/**
 * Bad input on every route of a running service, straight from its document: a path id that
 * is no id (never blamed on a body the route does not take), a malformed JSON body, a body of the wrong
 * type, no API key where one is needed, and a wrong one. Every 4xx that comes back must be an ErrorBody. Routes
 * that answer a person with an HTML page (`htmlRoutes`, e.g. the IdP's SAML endpoints) may
 * answer their errors as HTML. Returns the number of error answers checked.
 */
export async function sweepErrorShapes(options: {
  base: string;
  doc: OpenApiDocument;
  key: string;
  /** Routes that answer a person with a page (`'GET /login'`): their errors may be pages too. */
  htmlRoute?: (route: string) => boolean;
}): Promise<number> {
  let checked = 0;
  for (const { route, method, path, operation } of documentedOperations(options.doc)) {
    const url = `${options.base}${path.replace(/\{[^}]+\}/g, 'not%20an%20id')}`;
    const needsKey = (operation.security ?? []).some((requirement) => 'apiKey' in requirement);
    const attempts: { label: string; headers: Record<string, string>; body?: string }[] = [
      { label: 'a path id that is no id', headers: { 'x-api-key': options.key } },
      { label: 'bad ids, malformed JSON', headers: { 'x-api-key': options.key, 'content-type': 'application/json' }, body: '{"name": ' },
      { label: 'a body of the wrong type', headers: { 'x-api-key': options.key, 'content-type': 'application/json' }, body: '[1, 2]' },
    ];
    if (needsKey) {
      attempts.push({ label: 'no API key', headers: {} });
      attempts.push({ label: 'a wrong API key', headers: { 'x-api-key': 'not-a-key-0123456789' } });
    }
    for (const attempt of attempts) {
      const withBody = !['GET', 'HEAD'].includes(method) && attempt.body !== undefined;
      const headers = withBody
        ? attempt.headers
        : Object.fromEntries(Object.entries(attempt.headers).filter(([k]) => k !== 'content-type'));
      const res = await fetch(url, {
        method,
        headers,
        body: withBody ? attempt.body : undefined,
        redirect: 'manual',
      });
      const text = await res.text();
      if (res.status < 400) continue;
      const contentType = res.headers.get('content-type') ?? '';
      if (options.htmlRoute?.(route) && contentType.startsWith('text/html')) continue;
      assertErrorShape(`${route} with ${attempt.label}`, res.status, contentType, text);
      if (needsKey && attempt.label.includes('API key')) assert.equal(res.status, 401, `${route} with ${attempt.label}`);
      const details = (JSON.parse(text) as { details?: { field: string }[] }).details;
      // A route without a body that names "(body)" blames the wrong thing (a bad id in the URL, say).
      if (operation.requestBody === undefined && details) {
        assert.ok(!details.some((d) => d.field === '(body)'), `${route} with ${attempt.label} takes no body, yet blames it: ${text}`);
      }
      checked += 1;
    }
  }
  return checked;
}
