import { Body, Param, Query, type INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { z } from 'zod';
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

export interface OpenApiOptions {
  title: string;
  description: string;
  version: string;
}

/** Serves the document at /docs-json and a browsable page at /docs. */
export function serveOpenApi(app: INestApplication, options: OpenApiOptions): void {
  const config = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion(options.version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'apiKey')
    .addSecurityRequirements('apiKey')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: 'docs-json' });
}
