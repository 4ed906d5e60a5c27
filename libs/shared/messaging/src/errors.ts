/** The event bus did not confirm a publish or answer a request in time. */
export class BusUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** A remote handler answered with a domain error; `code` is the producer's error code. */
export class RpcRemoteError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A message that does not satisfy its contract: logged and terminated, never retried. */
export class ContractViolationError extends Error {
  constructor(
    readonly subject: string,
    readonly issues: string[],
  ) {
    super(`Message on ${subject} violates its contract: ${issues.join('; ')}`);
  }
}

/**
 * The change is committed but JetStream did not confirm its event. The outbox relay will
 * deliver it once NATS answers; the caller must not be told the change took effect everywhere.
 */
export class EventNotConfirmedError extends BusUnavailableError {}
