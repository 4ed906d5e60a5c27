import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NatsBus, OutboxMessage, describe, encodeJson, type EventContract, type PayloadOf } from '@jit/messaging';
import { ServiceMetrics } from '@jit/service';
import { AuditMetrics } from './audit-metrics';

/**
 * Sign-in audit events. They do not hold up the sign-in: each is published to JetStream at once,
 * and one that NATS does not acknowledge goes to the outbox with the same id, which the outbox
 * relay publishes later (JetStream drops it if the first publish did get through). Each is also
 * counted in the service's metrics (assertions issued, refusals by reason).
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger(AuditService.name);
  private readonly metrics: AuditMetrics;

  constructor(
    private readonly bus: NatsBus,
    private readonly dataSource: DataSource,
    metrics: ServiceMetrics,
  ) {
    this.metrics = new AuditMetrics(metrics);
  }

  record<C extends EventContract>(contract: C, payload: PayloadOf<C>): Promise<void> {
    const id = randomUUID();
    // Checked once here; the publish sends these bytes as they are (no second schema pass per sign-in).
    const checked = contract.schema.parse(payload) as object;
    this.metrics.count(contract.subject, checked);
    return this.bus.publishEncoded(contract.subject, encodeJson(checked), id).then(
      () => undefined,
      (error: unknown) => {
        this.logger.warn(`Audit event ${contract.subject} not acknowledged (${describe(error)}); kept in the outbox`);
        return this.dataSource
          .getRepository(OutboxMessage)
          .insert({ id, subject: contract.subject, payload: checked })
          .then(
            () => undefined,
            (dbError: unknown) => this.logger.error(`Audit event ${contract.subject} lost: ${describe(dbError)}`),
          );
      },
    );
  }
}
