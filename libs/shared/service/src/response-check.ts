import {
  Inject,
  Injectable,
  InternalServerErrorException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Logger as Pino } from 'pino';
import { map, type Observable } from 'rxjs';
import { z } from 'zod';
import { SERVICE_LOGGER } from './logger';
import { ZOD_RESPONSE, type ZodResponseFacts } from './openapi';

/**
 * Under test only (ServiceKitModule installs it when NODE_ENV=test): every answer of a route with
 * @ZodResponse is parsed with that schema, and one that does not match fails the request with a
 * 500 and the zod issues in the log. So every integration and e2e test checks that the OpenAPI
 * documents say what the services answer. Never in production: it would cost every answer a
 * parse, and a mismatch there is a bug for the tests to find, not a reason to refuse a person.
 */
@Injectable()
export class ResponseCheck implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(SERVICE_LOGGER) private readonly logger: Pino,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const facts = this.reflector.get<ZodResponseFacts | undefined>(ZOD_RESPONSE, context.getHandler());
    if (!facts) return next.handle();
    const route = `${context.getClass().name}.${context.getHandler().name}`;
    return next.handle().pipe(map((answer: unknown) => checkAnswer(facts.schema, answer, route, this.logger)));
  }
}

/** The answer unchanged when the schema accepts it; else a logged 500 naming each mismatch. */
export function checkAnswer(schema: z.ZodType, answer: unknown, route: string, logger: Pick<Pino, 'error'>): unknown {
  const result = schema.safeParse(answer);
  if (result.success) return answer;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`);
  logger.error({ route, issues }, `${route} answered what its @ZodResponse schema does not describe`);
  // Its message reaches the test that made the call (tests only: ResponseCheck never runs in production).
  throw new InternalServerErrorException(
    `${route} answered what its documented schema does not describe: ${issues.slice(0, 5).join('; ')}`,
  );
}
