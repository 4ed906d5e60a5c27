import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Msg, Subscription } from '@nats-io/nats-core';
import { contractOfSubject, contractsByType, decodeJson, describe, NatsBus, refusalReason } from '@jit/messaging';
import { CONSOLE_CONSUMES } from '../activity/activity-events';

/** What a browser hears of an event: its subject and the ids in it, never names or attributes. */
export interface LiveEvent {
  subject: string;
  ids: Record<string, string>;
}

type Listener = (event: LiveEvent) => void;

const ROOTS = ['idp.>', 'directory.>', 'catalog.>'] as const;
const EVENT_TYPES = contractsByType(CONSOLE_CONSUMES.flatMap((stream) => stream.events));

/**
 * One core NATS subscription per service's subjects for the whole process (JetStream delivers
 * stream messages to plain subscribers too), fanned out to the browsers of each organisation.
 * At most once: a browser that misses one refetches on its next look, so no durable consumer.
 */
@Injectable()
export class LiveEvents implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(LiveEvents.name);
  private readonly subscriptions: Subscription[] = [];
  private readonly listeners = new Map<string, Set<Listener>>();
  /** How to end each open stream: the HTTP server closes only once they have ended. */
  private readonly enders = new Set<() => void>();

  constructor(private readonly bus: NatsBus) {}

  onModuleInit(): void {
    for (const root of ROOTS) {
      this.subscriptions.push(
        this.bus.connection.subscribe(this.bus.naming.subject(root), {
          callback: (error, msg) => {
            if (error) this.logger.warn(`Live updates on ${root} are not being received: ${error.message}`);
            else this.onMessage(msg);
          },
        }),
      );
    }
  }

  beforeApplicationShutdown(): void {
    for (const end of [...this.enders]) end();
  }

  onApplicationShutdown(): void {
    for (const subscription of this.subscriptions.splice(0)) {
      try {
        subscription.unsubscribe();
      } catch {
        // Closed with its connection already.
      }
    }
  }

  /** Calls `listener` for each event of the organisation until the returned function is called; `end` at shutdown. */
  listen(organizationId: string, listener: Listener, end: () => void): () => void {
    let set = this.listeners.get(organizationId);
    if (!set) this.listeners.set(organizationId, (set = new Set()));
    set.add(listener);
    this.enders.add(end);
    return () => {
      this.enders.delete(end);
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(organizationId);
    };
  }

  /** Browsers listening now (a metric of sorts, and what the tests wait for). */
  get listening(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  private onMessage(msg: Msg): void {
    // Checked first: an event not sealed with the bus key was not written by one of our services.
    const refusal = this.bus.verifyEvent(msg.subject, msg.data, msg.headers);
    if (refusal) {
      this.logger.warn(`Ignoring a live event on ${msg.subject}: ${refusalReason(refusal)}`);
      return;
    }
    let payload: unknown;
    try {
      payload = decodeJson(msg.data);
    } catch (error) {
      this.logger.warn(`Ignoring a live event on ${msg.subject} that is not JSON: ${describe(error)}`);
      return;
    }
    // The browser hears the event's type: the scope after it (organisation, ids) is in `ids` already.
    const wire = this.bus.naming.unprefixed(msg.subject);
    const event = liveEventOf(contractOfSubject(EVENT_TYPES, wire)?.subject ?? wire, payload);
    if (!event) return;
    for (const listener of this.listeners.get(event.organizationId) ?? []) listener({ subject: event.subject, ids: event.ids });
  }
}

/** The subject and the `...Id` fields of an event (the organisation's aside); undefined without an organisation. */
export function liveEventOf(subject: string, payload: unknown): (LiveEvent & { organizationId: string }) | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const record = payload as Record<string, unknown>;
  if (typeof record.organizationId !== 'string') return undefined;
  const ids: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key !== 'organizationId' && key.endsWith('Id') && typeof value === 'string') ids[key] = value;
  }
  return { subject, organizationId: record.organizationId, ids };
}
