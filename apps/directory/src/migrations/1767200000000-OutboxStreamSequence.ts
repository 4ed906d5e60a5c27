import { outboxStreamSequenceMigration } from '@jit/messaging';

/** Each outbox row keeps its event's stream sequence once published (docs/decisions/0012). */
export const OutboxStreamSequence1767200000000 = outboxStreamSequenceMigration('directory');
