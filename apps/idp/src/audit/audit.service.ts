import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { IdpEvents, type RefusalReason } from '@jit/idp-contracts';
import {
  NatsBus,
  OutboxMessage,
  currentActor,
  describe,
  encodeJson,
  eventSubject,
  type EventContract,
  type PayloadOf,
} from '@jit/messaging';
import { ServiceMetrics } from '@jit/service';
import { AuditMetrics } from './audit-metrics';

/**
 * Events recorded within this many ms go to NATS together, in one socket write (a write to a
 * loopback socket costs about as much as the rest of an event's publish); a full batch goes at once.
 */
export const AUDIT_BATCH_WINDOW_MS = 5;
export const AUDIT_BATCH_MAX = 64;

/**
 * Sign-in audit events. They do not hold up the sign-in: each is queued and published to
 * JetStream within AUDIT_BATCH_WINDOW_MS, together with the others recorded meanwhile (one socket
 * write for all of them instead of one per event; each still has its own id and its own ack).
 * One that NATS does not acknowledge goes to the outbox with the same id, which the outbox relay
 * publishes later (JetStream drops it if the first publish did get through). Each is also counted
 * in the service's metrics (assertions issued, refusals by reason).
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private readonly metrics: AuditMetrics;
  private queued: Array<{ id: string; subject: string; payload: object; done: () => void }> = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly bus: NatsBus,
    private readonly dataSource: DataSource,
    metrics: ServiceMetrics,
  ) {
    this.metrics = new AuditMetrics(metrics);
  }

  /**
   * An assertion went out: its audit event, and one info line for operators (who, where, which
   * NameID format and authentication context class; never attribute values or the NameID itself).
   */
  issued(event: PayloadOf<typeof IdpEvents.assertionIssued>, nameIdFormat: string): void {
    const { organizationId, applicationId, userId, initiatedBy, authnContextClassRef } = event;
    this.logger.log({ organizationId, applicationId, userId, nameIdFormat, initiatedBy, authnContextClassRef }, 'Assertion issued');
    void this.record(IdpEvents.assertionIssued, event);
  }

  /**
   * A sign-in (or logout) was refused: one info line for operators, and the audit event when the
   * application, and so its organisation, is known.
   */
  refused(refusal: {
    organizationId: string | null;
    applicationId: string;
    userId: string | null;
    reason: RefusalReason;
    detail: string;
    sourceIp: string | null;
  }): void {
    const { organizationId, applicationId, userId, reason, sourceIp, detail } = refusal;
    this.logger.log({ reason, applicationId, organizationId, userId, sourceIp }, 'Sign-in refused');
    if (organizationId === null) return;
    void this.record(IdpEvents.ssoRefused, { organizationId, applicationId, userId, reason, detail, occurredAt: new Date().toISOString() });
  }

  /** Resolves once the event is acknowledged by JetStream or kept in the outbox. */
  record<C extends EventContract>(contract: C, payload: PayloadOf<C>): Promise<void> {
    // Checked once here; the publish sends these bytes as they are (no second schema pass per sign-in).
    const parsed = contract.schema.parse(payload) as object;
    // An admin API call's events name who made it, beside the contract's fields (as the outbox does).
    const actor = currentActor();
    const checked = actor ? { ...parsed, actor } : parsed;
    this.metrics.count(contract.subject, checked);
    return new Promise((done) => {
      // On the wire the type is followed by the contract's scope (its organisation and person), as
      // every other event is: a consumer of `<type>.>` receives it.
      this.queued.push({ id: randomUUID(), subject: eventSubject(contract, parsed), payload: checked, done });
      if (this.queued.length >= AUDIT_BATCH_MAX) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), AUDIT_BATCH_WINDOW_MS);
    });
  }

  /** Publishes what is queued before NATS and PostgreSQL close, and waits for the answers. */
  async beforeApplicationShutdown(): Promise<void> {
    this.flush();
    await Promise.all(this.inFlight);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued;
    this.queued = [];
    for (const event of batch) {
      const sent = this.publish(event).finally(event.done);
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
  }

  private publish({ id, subject, payload }: { id: string; subject: string; payload: object }): Promise<void> {
    return this.bus.publishEncoded(subject, encodeJson(payload), id).then(
      () => undefined,
      (error: unknown) => {
        this.logger.warn(`Audit event ${subject} not acknowledged (${describe(error)}); kept in the outbox`);
        return this.dataSource
          .getRepository(OutboxMessage)
          .insert({ id, subject, payload })
          .then(
            () => undefined,
            (dbError: unknown) => this.logger.error(`Audit event ${subject} lost: ${describe(dbError)}`),
          );
      },
    );
  }
}
