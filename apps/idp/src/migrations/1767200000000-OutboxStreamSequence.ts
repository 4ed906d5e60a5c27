import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxStreamSequence, dropOutboxStreamSequence } from '@jit/messaging';

/** Each outbox row keeps its event's stream sequence once published (docs/decisions/0012). */
export class OutboxStreamSequence1767200000000 implements MigrationInterface {
  name = 'OutboxStreamSequence1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await addOutboxStreamSequence(q, 'idp');
  }

  async down(q: QueryRunner): Promise<void> {
    await dropOutboxStreamSequence(q, 'idp');
  }
}
