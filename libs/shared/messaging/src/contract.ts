import type { z } from 'zod';

/** A durable event: a versioned subject and the schema its payload must satisfy. */
export interface EventContract<S extends z.ZodType = z.ZodType, Subject extends string = string> {
  readonly kind: 'event';
  readonly subject: Subject;
  readonly schema: S;
}

/** A request/reply call over core NATS. */
export interface RpcContract<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly kind: 'rpc';
  readonly subject: string;
  readonly request: Req;
  readonly response: Res;
  /**
   * Also answers requests that are not sealed with the bus key, from a feed that does not hold it
   * (an HR system). Only for a request that authenticates itself (an API key in it) and an answer
   * that carries no secret: such a request and its answer cross the bus in clear, and on a bus
   * without NATS users anyone could read the key in it. Our own services seal them all the same.
   */
  readonly acceptsPlain?: boolean;
}

/** A JetStream stream owned by one producing service. */
export interface StreamContract {
  readonly name: string;
  /** Subjects without the deployment prefix, e.g. `directory.>`. */
  readonly subjects: readonly string[];
  readonly events: readonly EventContract[];
}

export type PayloadOf<C extends EventContract> = z.infer<C['schema']>;
export type RequestOf<C extends RpcContract> = z.infer<C['request']>;
export type ResponseOf<C extends RpcContract> = z.infer<C['response']>;

export function defineEvent<Subject extends string, S extends z.ZodType>(subject: Subject, schema: S): EventContract<S, Subject> {
  return { kind: 'event', subject, schema };
}

/**
 * RPC subjects live under `rpc.`: a stream listening on `directory.>` would otherwise capture
 * the request and answer it with a PubAck.
 */
export function defineRpc<Req extends z.ZodType, Res extends z.ZodType>(
  subject: `rpc.${string}`,
  request: Req,
  response: Res,
  options: { acceptsPlain?: boolean } = {},
): RpcContract<Req, Res> {
  return { kind: 'rpc', subject, request, response, ...(options.acceptsPlain ? { acceptsPlain: true } : {}) };
}

export function defineStream(name: string, subjects: readonly string[], events: readonly EventContract[]): StreamContract {
  return { name, subjects, events };
}
