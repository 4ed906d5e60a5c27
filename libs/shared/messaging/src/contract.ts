import type { z } from 'zod';

/**
 * A durable event: a versioned subject (its type), the schema its payload must satisfy, and its
 * scope: the payload fields whose values follow the type on the wire, one token each
 * (`directory.membership.added.v1.<organizationId>.<userId>.<groupId>`). A consumer that needs
 * only what concerns one organisation, person or application asks the stream for those subjects
 * (docs/decisions/0009-scoped-freshness.md); `<type>.>` still matches every event of a type.
 */
export interface EventContract<S extends z.ZodType = z.ZodType, Subject extends string = string> {
  readonly kind: 'event';
  readonly subject: Subject;
  readonly schema: S;
  readonly scope: readonly string[];
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
  /**
   * The PostgreSQL schema of the producer's outbox, whose rows are the stream's events before and
   * after they are published: what OutboxLedger reads while the stream cannot be asked.
   */
  readonly outboxSchema?: string;
}

export type PayloadOf<C extends EventContract> = z.infer<C['schema']>;
export type RequestOf<C extends RpcContract> = z.infer<C['request']>;
export type ResponseOf<C extends RpcContract> = z.infer<C['response']>;

/** The token a missing (null) scope field takes, e.g. a failed sign-in with an unknown username. */
export const NO_SCOPE_VALUE = '_';

/**
 * An event contract. `scope` names the payload fields that follow the type on the wire, in order,
 * broadest first (the organisation, then the entity's ids); each must hold a string, a number or
 * null. Required: an event without a scope could not be found by a scoped freshness check.
 */
export function defineEvent<Subject extends string, S extends z.ZodType>(
  subject: Subject,
  schema: S,
  scope: readonly [ScopeField<S>, ...ScopeField<S>[]],
): EventContract<S, Subject> {
  if (scope.length === 0) throw new Error(`${subject}: an event needs a scope (the payload fields after its type on the wire)`);
  return { kind: 'event', subject, schema, scope };
}

type ScopeField<S extends z.ZodType> = Extract<keyof z.infer<S>, string>;

const TOKEN = /^[^\s.*>]+$/;

/** Whether `value` can be one token of a subject (no dot, no wildcard, no white space). */
export function isSubjectToken(value: string): boolean {
  return TOKEN.test(value);
}

/** The scope's tokens for a payload (checked against its contract already). */
export function scopeTokens(contract: EventContract, payload: unknown): string[] {
  const record = payload as Record<string, unknown>;
  return contract.scope.map((field) => {
    const value = record[field];
    const token =
      value === null || value === undefined ? NO_SCOPE_VALUE : typeof value === 'string' || typeof value === 'number' ? String(value) : '';
    if (!TOKEN.test(token))
      throw new Error(
        `${contract.subject}: ${field} ${JSON.stringify(token)} cannot be a subject token (a string or a number without dots, wildcards or spaces)`,
      );
    return token;
  });
}

/** The subject an event is published on: its type, then its scope's tokens. */
export function eventSubject(contract: EventContract, payload: unknown): string {
  return [contract.subject, ...scopeTokens(contract, payload)].join('.');
}

/**
 * Finds the contract of an event received on `subject` (without the deployment prefix) among
 * `contracts`: the one whose type starts it and whose scope's token count follows, or whose
 * type is all of it (an event published before subjects carried a scope). Undefined for a
 * subject of no contract here (another version, an event this service does not know).
 */
export function contractOfSubject<C extends EventContract>(contracts: ReadonlyMap<string, C>, subject: string): C | undefined {
  const tokens = subject.split('.');
  for (let n = tokens.length; n > 0; n--) {
    const contract = contracts.get(n === tokens.length ? subject : tokens.slice(0, n).join('.'));
    if (contract) return n === tokens.length || contract.scope.length === tokens.length - n ? contract : undefined;
  }
  return undefined;
}

/**
 * Filters that match the stream's events published before subjects carried a scope (the type
 * alone, e.g. `directory.*.*.*`): a scoped check must wait for those as well, since no scope
 * filter finds them. Their lookup answers "none" once the stream no longer holds any.
 */
export function unscopedFilters(stream: StreamContract): string[] {
  const shapes = new Set(
    stream.events.map((e) => {
      const tokens = e.subject.split('.');
      return [tokens[0], ...tokens.slice(1).map(() => '*')].join('.');
    }),
  );
  return [...shapes];
}

/** The contracts of streams by type, for `contractOfSubject`. */
export function contractsByType<C extends EventContract>(events: readonly C[]): Map<string, C> {
  return new Map(events.map((e) => [e.subject, e]));
}

/**
 * Whether a received event's subject carries its payload's scope (a producer that wrote another
 * would hide it from scoped checks), or none at all (published before scopes, see `unscopedFilters`).
 */
export function scopeMatches(contract: EventContract, subject: string, payload: unknown): boolean {
  if (subject === contract.subject) return true;
  try {
    return subject === eventSubject(contract, payload);
  } catch {
    return false;
  }
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

export function defineStream(
  name: string,
  subjects: readonly string[],
  events: readonly EventContract[],
  options: { outboxSchema?: string } = {},
): StreamContract {
  return { name, subjects, events, ...(options.outboxSchema ? { outboxSchema: options.outboxSchema } : {}) };
}

/**
 * The subject filters that find `events` of `stream` about the entities named in `values` (a
 * scope field's value; a field not given matches any token). Filters that differ in one token
 * of their type are merged into one with `*` there, as long as the merged filter matches no
 * other event type of the stream: fewer lookups, never a wider one.
 *
 * The IdP asks this at every sign-in (a profile put the merging at 9% of its CPU per SSO), so the
 * merged shapes are worked out once per (stream, event types, fields given), with a placeholder
 * per field, and only the values are put in per call. A placeholder never equals another token,
 * as an entity's id never equals a type's token or another entity's id: the same merges happen.
 * The shapes are keyed by the types' names, not by the array: callers may build that per call.
 */
export function scopeFilters(stream: StreamContract, events: readonly EventContract[], values: Readonly<Record<string, string>>): string[] {
  const given = Object.keys(values)
    .filter((field) => values[field] !== undefined)
    .sort();
  let shapes = filterShapes.get(stream);
  if (!shapes) filterShapes.set(stream, (shapes = new Map<string, string[][]>()));
  const key = `${events.map((e) => e.subject).join(',')}|${given.join(',')}`;
  let shape = shapes.get(key);
  if (!shape) shapes.set(key, (shape = mergedFilters(stream, events, new Set(given))));
  return [...new Set(shape.map((tokens) => tokens.map((t) => (t.startsWith(PLACEHOLDER) ? values[t.slice(1)] : t)).join('.')))];
}

/** Marks a token of a filter shape as the value of the scope field named after it. */
const PLACEHOLDER = '\u0000';
/** By stream, then event types and fields given: as many as the code has calls of scopeFilters with constant arguments. */
const filterShapes = new WeakMap<StreamContract, Map<string, string[][]>>();

function mergedFilters(stream: StreamContract, events: readonly EventContract[], given: ReadonlySet<string>): string[][] {
  const chosen = new Set(events.map((e) => e.subject));
  let filters = events.map((e) => [...e.subject.split('.'), ...e.scope.map((field) => (given.has(field) ? PLACEHOLDER + field : '*'))]);
  const others = stream.events.filter((e) => !chosen.has(e.subject)).map((e) => [...e.subject.split('.'), ...e.scope.map(() => '*')]);
  const overlaps = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === '*' || b[i] === '*' || t === b[i]);
  for (let merged = true; merged;) {
    merged = false;
    outer: for (let i = 0; i < filters.length; i++) {
      for (let j = i + 1; j < filters.length; j++) {
        const [a, b] = [filters[i], filters[j]];
        if (a.length !== b.length) continue;
        const differ = a.flatMap((t, k) => (t === b[k] ? [] : [k]));
        if (differ.length > 1) continue;
        const wider = a.map((t, k) => (differ.includes(k) ? '*' : t));
        if (others.some((o) => overlaps(wider, o))) continue;
        filters = [...filters.filter((_, k) => k !== i && k !== j), wider];
        merged = true;
        break outer;
      }
    }
  }
  const seen = new Set<string>();
  return filters.filter((f) => !seen.has(f.join('.')) && seen.add(f.join('.')));
}
