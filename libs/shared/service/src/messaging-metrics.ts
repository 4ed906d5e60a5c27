import type { ConsumerProgress, NatsBus, Outbox, StreamContract } from '@jit/messaging';
import { readConsumerLag, withinMs } from '@jit/messaging';
import { DEPENDENCY_TIMEOUT_MS } from './health';
import type { ServiceMetrics } from './metrics';

/**
 * Per consumed stream, read at scrape time: the applied floor (in memory), the stream's last
 * sequence (asked from JetStream, bounded) and the lag between them. When JetStream does not
 * answer, the last sequence and lag are left out of that scrape (no stale value) and
 * jit_nats_up says 0.
 */
export class MessagingMetrics {
  constructor(metrics: ServiceMetrics, bus: NatsBus, progress: ConsumerProgress, streams: readonly StreamContract[]) {
    const up = metrics.gauge({
      name: 'jit_nats_up',
      help: 'Whether NATS answered at this scrape: 1 when connected and every consumed stream could be read, else 0',
    });
    const perStream = (name: string, help: string) => metrics.gauge({ name, help, labelNames: ['stream'] });
    const ready = perStream(
      'jit_consumer_ready',
      'Whether the consumer of the stream is running and through its start backlog (1) or not (0)',
    );
    const applied = perStream('jit_consumer_applied_sequence', 'Every stream sequence up to this one is applied by this service');
    const last = perStream('jit_stream_last_sequence', "The stream's newest sequence, read from JetStream at scrape time");
    const lag = perStream('jit_consumer_lag_messages', 'Messages in the stream this service has not applied yet (last minus applied)');
    metrics.beforeScrape('NATS consumers', async () => {
      for (const { name } of streams) {
        ready.set({ stream: name }, progress.isReady(name) ? 1 : 0);
        applied.set({ stream: name }, progress.applied(name));
      }
      try {
        for (const l of await readConsumerLag(bus, progress, streams, DEPENDENCY_TIMEOUT_MS)) {
          last.set({ stream: l.stream }, l.last);
          lag.set({ stream: l.stream }, l.lag);
        }
        up.set(bus.isConnected() ? 1 : 0);
      } catch (error) {
        last.reset();
        lag.reset();
        up.set(0);
        throw error;
      }
    });
  }
}

/** Outbox rows committed but not yet acknowledged by JetStream, counted at scrape time (NaN when the database does not answer). */
export class OutboxMetrics {
  constructor(metrics: ServiceMetrics, outbox: Outbox) {
    const unpublished = metrics.gauge({
      name: 'jit_outbox_unpublished_messages',
      help: 'Outbox rows not yet published to JetStream (the relay retries them every second)',
    });
    metrics.beforeScrape('outbox', async () => {
      try {
        unpublished.set(await withinMs(outbox.unpublishedCount(), DEPENDENCY_TIMEOUT_MS));
      } catch (error) {
        // Not 0: nobody knows how many are waiting.
        unpublished.set(Number.NaN);
        throw error;
      }
    });
  }
}
