import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createConsumerPositionsTable, dropConsumerPositionsTable } from '@jit/messaging';

/**
 * How far each durable consumer of this service has applied its stream, so that a restart can
 * tell whether the stream was trimmed past it (and the service must resync from a snapshot).
 */
export class ConsumerPositions1765000000000 implements MigrationInterface {
  name = 'ConsumerPositions1765000000000';

  up(q: QueryRunner): Promise<void> {
    return createConsumerPositionsTable(q, 'catalog');
  }

  down(q: QueryRunner): Promise<void> {
    return dropConsumerPositionsTable(q, 'catalog');
  }
}
