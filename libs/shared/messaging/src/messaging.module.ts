import { Global, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { NatsBus } from './bus';
import { ConsumerPositions } from './consumer-positions';
import { ConsumerProgress } from './consumer-progress';
import { EventReplay } from './event-replay';
import { OUTBOX_RELAY_INTERVAL_MS, OUTBOX_RETENTION_DAYS, Outbox, OutboxRelay } from './outbox';

class BusCloser implements OnApplicationShutdown {
  constructor(private readonly bus: NatsBus) {}
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/**
 * Provides the connected bus, the outbox and its relay, consumer progress and, for a service
 * that consumes streams, the stored positions of its consumers and the replay of events read
 * from their producers' outboxes.
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(
    bus: NatsBus,
    options: { outbox: boolean; consumes?: boolean; relayIntervalMs?: number; outboxRetentionDays?: number },
  ): DynamicModule {
    const outboxProviders = options.outbox
      ? [
          Outbox,
          OutboxRelay,
          { provide: OUTBOX_RELAY_INTERVAL_MS, useValue: options.relayIntervalMs ?? 1000 },
          { provide: OUTBOX_RETENTION_DAYS, useValue: options.outboxRetentionDays ?? 7 },
        ]
      : [];
    const consumerProviders = options.consumes ? [ConsumerPositions, EventReplay] : [];
    return {
      module: MessagingModule,
      providers: [
        { provide: NatsBus, useValue: bus },
        ConsumerProgress,
        { provide: BusCloser, useFactory: () => new BusCloser(bus) },
        ...outboxProviders,
        ...consumerProviders,
      ],
      exports: [NatsBus, ConsumerProgress, ...(options.outbox ? [Outbox, OutboxRelay] : []), ...consumerProviders],
    };
  }
}
