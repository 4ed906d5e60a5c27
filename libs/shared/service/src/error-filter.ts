import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { BusUnavailableError, ContractViolationError, EventNotConfirmedError, RpcRemoteError } from '@jit/messaging';
import { isDatabaseUnavailable } from '@jit/persistence';
import { throwError, type Observable } from 'rxjs';
import { DomainError, ErrorCode, httpStatusOf, type FieldProblem } from './domain-error';

const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** What a caller reads while PostgreSQL is down: nothing was changed, and the call may be repeated. */
export const DATABASE_UNAVAILABLE = 'The database (PostgreSQL) is not answering, so nothing was changed; try again shortly';

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  details?: FieldProblem[];
}

/** Turns anything thrown into our error body; unknown errors become a plain 500 (logged, never echoed). */
export function toErrorBody(error: unknown, logger: Logger): ErrorBody {
  const body = (statusCode: number, code: string, message: string, details?: FieldProblem[]): ErrorBody => ({
    statusCode,
    error: REASON[statusCode] ?? 'Error',
    code,
    message,
    ...(details ? { details } : {}),
  });
  if (error instanceof DomainError) return body(httpStatusOf(error.code), error.code, error.message, error.details);
  if (error instanceof EventNotConfirmedError) {
    return body(
      503,
      ErrorCode.EventBusUnavailable,
      'The change was saved, but the event bus (NATS) did not confirm it, so other services may not see it yet. It will be delivered when NATS is back; repeat the call to confirm.',
    );
  }
  if (error instanceof BusUnavailableError) {
    return body(503, ErrorCode.DependencyUnavailable, 'The message bus (NATS) is not answering; try again shortly');
  }
  if (isDatabaseUnavailable(error)) {
    logger.warn(`PostgreSQL is not answering: ${error instanceof Error ? error.message : String(error)}`);
    return body(503, ErrorCode.DependencyUnavailable, DATABASE_UNAVAILABLE);
  }
  if (error instanceof RpcRemoteError && Object.values(ErrorCode).includes(error.code as ErrorCode)) {
    return body(httpStatusOf(error.code as ErrorCode), error.code, error.message);
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const message = status === 404 ? 'No such route' : error.message;
    const code = status === 400 ? ErrorCode.ValidationFailed : status >= 500 ? 'INTERNAL' : 'HTTP_' + status;
    return body(status, code, message);
  }
  // Fastify's own errors (malformed JSON, body too large, wrong content type) carry a 4xx statusCode.
  const fastifyStatus = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
    const message = (error as Error).message.replace(/^FST_\w+:?\s*/, '');
    const code = fastifyStatus === 400 ? ErrorCode.ValidationFailed : 'HTTP_' + fastifyStatus;
    return body(fastifyStatus, code, message || 'Bad request');
  }
  if (error instanceof ContractViolationError) logger.error(error.message);
  else logger.error({ err: error }, 'Unhandled error');
  return body(500, 'INTERNAL', 'Internal error; it has been logged');
}

/** One filter for HTTP and RPC: domain codes map to statuses (HTTP) or `{ code, message }` (RPC). */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') {
      // A handler whose database is down answers DEPENDENCY_UNAVAILABLE: the caller's HTTP edge
      // then says 503, not 500.
      if (isDatabaseUnavailable(error)) {
        this.logger.warn(`PostgreSQL is not answering: ${error instanceof Error ? error.message : String(error)}`);
        return throwError(() => ({ code: ErrorCode.DependencyUnavailable, message: DATABASE_UNAVAILABLE }));
      }
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      if (code === 'INTERNAL') this.logger.error({ err: error }, 'Unhandled error in a message handler');
      return throwError(() => ({ code, message: error instanceof Error ? error.message : 'internal error' }));
    }
    const reply = host.switchToHttp().getResponse<{ status(code: number): { send(body: unknown): void }; sent?: boolean }>();
    const body = toErrorBody(error, this.logger);
    reply.status(body.statusCode).send(body);
  }
}
