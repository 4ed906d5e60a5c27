/** Every failure a service reports on purpose. The HTTP and RPC mappings switch over it exhaustively. */
export enum ErrorCode {
  ValidationFailed = 'VALIDATION_FAILED',
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  NotFound = 'NOT_FOUND',
  Conflict = 'CONFLICT',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  TooManyRequests = 'TOO_MANY_REQUESTS',
  /** The change is committed but the event bus did not confirm its event. */
  EventBusUnavailable = 'EVENT_BUS_UNAVAILABLE',
  /** Another service or the bus did not answer. */
  DependencyUnavailable = 'DEPENDENCY_UNAVAILABLE',
  /** The IdP cannot prove its read model is current, so it refuses rather than guess. */
  NotFresh = 'NOT_FRESH',
}

export interface FieldProblem {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldProblem[],
  ) {
    super(message);
  }
}

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.ValidationFailed:
      return 400;
    case ErrorCode.Unauthenticated:
      return 401;
    case ErrorCode.Forbidden:
      return 403;
    case ErrorCode.NotFound:
      return 404;
    case ErrorCode.Conflict:
      return 409;
    case ErrorCode.PayloadTooLarge:
      return 413;
    case ErrorCode.TooManyRequests:
      return 429;
    case ErrorCode.EventBusUnavailable:
    case ErrorCode.DependencyUnavailable:
    case ErrorCode.NotFresh:
      return 503;
  }
}

export const notFound = (what: string, id: string): DomainError => new DomainError(ErrorCode.NotFound, `${what} ${id} was not found`);
