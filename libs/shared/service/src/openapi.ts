import { applyDecorators, Body, Param, Query, SetMetadata, type INestApplication } from '@nestjs/common';
import { GUARDS_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { ApiResponse, DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ParameterObject,
  ResponsesObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { z } from 'zod';
import { ApiKeyGuard } from './api-key';
import { Timestamp } from './common-dto';
import { ZodPipe } from './zod-body';

/**
 * OpenAPI from the code that validates: @nestjs/swagger finds the routes, and the zod schema a
 * parameter is validated with (Nest's `schema` option, a Standard Schema) becomes its documented
 * body or query, so the document cannot drift from what the API accepts.
 */

/** `@Body()` validated by the schema (400 naming each bad field) and documented with it. */
export const ZodBody = (schema: z.ZodType): ParameterDecorator => Body({ schema, pipes: [new ZodPipe(schema)] });

/**
 * `@Query()` validated by the schema and documented as one parameter per property. A schema whose
 * shape a transform hides passes `documented`, the plain object it accepts.
 */
export const ZodQuery = (schema: z.ZodType, documented: z.ZodType = schema): ParameterDecorator =>
  Query({ schema: documented, pipes: [new ZodPipe(schema)] });

/** `@Param(name)` validated and documented by the schema. */
export const ZodParam = (name: string, schema: z.ZodType): ParameterDecorator => Param(name, { schema, pipes: [new ZodPipe(schema)] });

/** Where ZodResponse keeps a route's success schema, for the document and for ResponseCheck (tests). */
export const ZOD_RESPONSE = 'jit:zod-response';

export interface ZodResponseFacts {
  status: number;
  schema: z.ZodType;
}

/**
 * The success answer of a route, documented from the zod schema it is built to (`@ZodResponse(201, UserView)`).
 * A schema with `.meta({ id: 'UserView' })` becomes a named component (`#/components/schemas/UserView`).
 * `Timestamp` (and `z.date()`) is documented as the ISO 8601 string a Date is sent as. Under test,
 * ResponseCheck parses every answer with it, so the document cannot lie.
 */
export const ZodResponse = (status: number, schema: z.ZodType, description?: string): MethodDecorator =>
  applyDecorators(
    ApiResponse({ status, description: description ?? SUCCESS[status] ?? 'Success' }),
    SetMetadata(ZOD_RESPONSE, { status, schema } satisfies ZodResponseFacts),
  );

export interface OpenApiOptions {
  title: string;
  description: string;
  version: string;
}

const served = new WeakSet<INestApplication>();

/** Whether serveOpenApi already ran for this app (runService serves a default document otherwise). */
export const isOpenApiServed = (app: INestApplication): boolean => served.has(app);

/** Serves the document at /docs-json and a browsable page at /docs. */
export function serveOpenApi(app: INestApplication, options: OpenApiOptions): void {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion(options.version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'apiKey')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: "An admin console session: what the person's admin role allows" },
      'adminSession',
    )
    .build();
  const create = () => {
    const document = SwaggerModule.createDocument(app, config, { operationIdFactory: operationId });
    return documentResponses(document, scanRoutes(app));
  };
  SwaggerModule.setup('docs', app, create, { jsonDocumentUrl: 'docs-json' });
  served.add(app);
}

const operationId = (controller: string, method: string): string => `${controller}_${method}`;

/** What Nest's own metadata says about a route that @nestjs/swagger does not read. */
export interface RouteFacts {
  /** ApiKeyGuard protects it. */
  apiKey: boolean;
  /**
   * Arguments validated by a ZodPipe given by hand (`@Body(new ZodPipe(S))`) rather than through
   * ZodBody/ZodQuery/ZodParam: swagger does not see their schema, so it is added from the pipe.
   */
  zodArguments: { in: 'body' | 'query' | 'path'; name?: string; schema: z.ZodType }[];
  /** The success answer's schema (`@ZodResponse`). */
  response?: ZodResponseFacts;
}

/** Facts per operation id (`Controller_method`), from Nest's guard and route-argument metadata. */
function scanRoutes(app: INestApplication): Map<string, RouteFacts> {
  const facts = new Map<string, RouteFacts>();
  const usesApiKey = (target: object): boolean =>
    ((Reflect.getMetadata(GUARDS_METADATA, target) as unknown[] | undefined) ?? []).includes(ApiKeyGuard);
  const where: Partial<Record<number, 'body' | 'query' | 'path'>> = {
    [RouteParamtypes.BODY]: 'body',
    [RouteParamtypes.QUERY]: 'query',
    [RouteParamtypes.PARAM]: 'path',
  };
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[method];
        if (method === 'constructor' || typeof handler !== 'function') continue;
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
          string,
          { data?: unknown; pipes?: unknown[] }
        >;
        const zodArguments: RouteFacts['zodArguments'] = [];
        for (const [key, arg] of Object.entries(args)) {
          const place = where[Number(key.split(':')[0])];
          const pipe = arg.pipes?.find((p): p is ZodPipe<z.ZodType> => p instanceof ZodPipe);
          if (place && pipe)
            zodArguments.push({ in: place, name: typeof arg.data === 'string' ? arg.data : undefined, schema: pipe.schema });
        }
        const response = Reflect.getMetadata(ZOD_RESPONSE, handler) as ZodResponseFacts | undefined;
        facts.set(operationId(controller.name, method), {
          apiKey: usesApiKey(controller) || usesApiKey(handler),
          zodArguments,
          ...(response ? { response } : {}),
        });
      }
    }
  }
  return facts;
}

const jsonSchema = (schema: z.ZodType): SchemaObject =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as SchemaObject;

const COMPONENTS = '#/components/schemas/';

/**
 * An answer's schema as JSON Schema, with the schemas it names (`.meta({ id })`) apart, to be put
 * in components. A Date is sent as its ISO 8601 string.
 */
export function responseJsonSchema(schema: z.ZodType): { schema: SchemaObject; components: Record<string, SchemaObject> } {
  const converted = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'output',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema !== Timestamp && ctx.zodSchema._zod.def.type !== 'date') return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
      Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
    },
  }) as SchemaObject & { definitions?: Record<string, SchemaObject>; $defs?: Record<string, SchemaObject> };
  const { definitions, $defs, ...root } = converted;
  // zod names its definitions `#/definitions/<id>` in this target; OpenAPI keeps them in components.
  const rewrite = <T>(value: T): T =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/definitions/', `"${COMPONENTS}`).replaceAll('"#/$defs/', `"${COMPONENTS}`)) as T;
  return { schema: rewrite(root), components: rewrite({ ...definitions, ...$defs }) };
}

/** Puts a route's @ZodResponse schema into its success answer, and the schemas it names into components. */
function documentZodResponse(document: OpenAPIObject, responses: ResponsesObject, facts: ZodResponseFacts, route: string): void {
  const { schema, components } = responseJsonSchema(facts.schema);
  const schemas = (document.components!.schemas ??= {});
  for (const [id, definition] of Object.entries(components)) {
    const known = schemas[id];
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(definition))
      throw new Error(`${route}: two different schemas are named ${id} (.meta({ id })); name them apart`);
    schemas[id] = definition;
  }
  const status = String(facts.status);
  const existing = responses[status];
  const description = existing && 'description' in existing ? existing.description : (SUCCESS[facts.status] ?? 'Success');
  responses[status] = { description, content: { 'application/json': { schema } } };
}

/** Adds what a hand-given ZodPipe validates, where swagger left it out. */
function documentZodArguments(operation: OperationObject, facts: RouteFacts): void {
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  for (const arg of facts.zodArguments) {
    const schema = jsonSchema(arg.schema);
    if (arg.in === 'body') {
      operation.requestBody ??= { required: true, content: { 'application/json': { schema } } };
    } else if (arg.in === 'path' && arg.name) {
      const parameter = parameters.find((p) => p.in === 'path' && p.name === arg.name);
      if (parameter) parameter.schema = schema;
    } else if (arg.in === 'query' && !arg.name) {
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        if (parameters.some((p) => p.in === 'query' && p.name === name)) continue;
        parameters.push({ name, in: 'query', required: (schema.required ?? []).includes(name), schema: property });
      }
    }
  }
  operation.parameters = parameters;
}

const SUCCESS: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No content', 302: 'Redirect' };

/** The one error body every service answers with (ErrorFilter); `details` names each bad field. */
export const ERROR_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'error', 'code', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    error: { type: 'string', description: "The status's reason phrase", example: 'Bad Request' },
    code: { type: 'string', description: 'What went wrong, for programs', example: 'VALIDATION_FAILED' },
    message: { type: 'string', description: 'What went wrong and what to do, for people', example: 'Invalid input: email' },
    details: {
      type: 'array',
      description: 'Each bad field',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string', example: 'email' }, message: { type: 'string', example: 'Invalid email address' } },
      },
    },
  },
};

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } },
});

/**
 * Gives every operation its answers (and the schemas of hand-given ZodPipes): the success one (a route's own @ZodResponse, else the status
 * Nest answers with) and the errors it can answer, each with the one ErrorBody schema. The
 * routes ApiKeyGuard protects carry the API key or admin session requirement, its 401 and 403; the others (health,
 * SAML endpoints, the login page) none.
 */
export function documentResponses(document: OpenAPIObject, routes: ReadonlyMap<string, RouteFacts>): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ErrorBody: ERROR_BODY_SCHEMA } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) continue;
      const responses: ResponsesObject = { ...operation.responses };
      for (const [status, response] of Object.entries(responses)) {
        if (response && 'description' in response && !response.description) response.description = SUCCESS[Number(status)] ?? 'Success';
      }
      const facts = operation.operationId === undefined ? undefined : routes.get(operation.operationId);
      if (facts?.response) documentZodResponse(document, responses, facts.response, `${method.toUpperCase()} ${path}`);
      if (!Object.keys(responses).some((status) => /^[23]/.test(status))) {
        responses[method === 'post' ? '201' : '200'] = { description: method === 'post' ? 'Created' : 'OK' };
      }
      if (facts) documentZodArguments(operation, facts);
      const guarded = facts?.apiKey ?? false;
      const hasInput = (operation.parameters ?? []).length > 0 || operation.requestBody !== undefined;
      if (hasInput) responses['400'] ??= errorResponse('Invalid input: `details` names each bad field');
      if (guarded) {
        // Either: an organisation API key (everything), or a person's admin session (their role).
        operation.security = [{ apiKey: [] }, { adminSession: [] }];
        responses['401'] ??= errorResponse('No API key in x-api-key, or not a valid one; or an admin session that has ended');
        responses['403'] ??= errorResponse("The admin session's role may not do this: `Your admin role (read-only) may not change users`");
      } else {
        operation.security = [];
      }
      if (path.includes('{')) responses['404'] ??= errorResponse("Not found (another organisation's ids too)");
      if (operation.requestBody !== undefined) {
        responses['413'] ??= errorResponse('The body is larger than the route accepts');
        responses['415'] ??= errorResponse('The body is not of a content type the route accepts');
      }
      responses.default ??= errorResponse(
        'Any other error (409 conflict, 429 throttled, 503 a dependency does not answer), in the same shape',
      );
      operation.responses = responses;
    }
  }
  return document;
}
