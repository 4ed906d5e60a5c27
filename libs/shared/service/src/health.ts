import { Controller, Get, HttpCode, Inject, Optional, Res } from '@nestjs/common';
import { ConsumerProgress, NatsBus, readConsumerLag, streamLag, withinMs, type StreamContract, type StreamLag } from '@jit/messaging';
import { DataSource } from 'typeorm';

export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');
export interface HealthOptions {
  service: string;
  /** Streams this service consumes; it is ready only once each consumer is running and keeping up. */
  consumes: readonly StreamContract[];
  /** Not ready when a consumer is more than this many messages behind its stream... */
  maxLag: number;
  /** ...and stays that far behind for this long (a burst of events is not a stuck consumer). */
  lagWaitMs: number;
}

/**
 * For a service that can still do its work while a stream cannot be asked or written to (the
 * IdP: it proves decisions from the producers' outboxes then, and its own events wait in its
 * outbox): whether it can now, per stream. /ready stays 200 for such a stream and says so in
 * `degraded`, so that a load balancer keeps sending it what it can answer.
 */
export const STREAM_FALLBACK = Symbol('STREAM_FALLBACK');
export interface StreamFallback {
  canServeWithout(stream: string): boolean;
}

/** How long /ready and /metrics wait for PostgreSQL or JetStream before calling it down. */
export const DEPENDENCY_TIMEOUT_MS = 500;

interface Reply {
  status(code: number): Reply;
  send(body: unknown): void;
}

export interface ConsumerCheck {
  /** Running, and through the backlog the stream held when it started. */
  ready: boolean;
  /** Rebuilding from the producer's snapshot after the stream was trimmed past what it applied. */
  resyncing: boolean;
  applied: number;
  /** The stream's last sequence read for this call; null when JetStream did not answer. */
  last: number | null;
  lag: number | null;
}

@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
    private readonly dataSource: DataSource,
    @Optional() private readonly bus?: NatsBus,
    @Optional() private readonly progress?: ConsumerProgress,
    @Optional() @Inject(STREAM_FALLBACK) private readonly fallback?: StreamFallback,
  ) {}

  /** Liveness: the process answers. */
  @Get('health')
  @HttpCode(200)
  health(): { status: 'ok'; service: string; pid: number } {
    // The process id tells which instance answered (several share a port, or stand behind one
    // address), and lets a test see that the service it started is the one on the port.
    return { status: 'ok', service: this.options.service, pid: process.pid };
  }

  /**
   * Readiness: its database and NATS answer, and every consumer is running and keeping up with
   * its stream. When not ready, `reasons` says why, one line per failed check.
   */
  @Get('ready')
  async ready(@Res() reply: Reply): Promise<void> {
    const reasons: string[] = [];
    const degraded: string[] = [];
    const natsUp = this.bus?.isConnected();
    if (natsUp === false) reasons.push('NATS is not connected');
    const [database, consumers, streams] = await Promise.all([
      this.database(reasons),
      this.consumers(reasons, degraded),
      this.produced(reasons, degraded),
    ]);
    const checks = {
      database,
      ...(this.bus ? { nats: natsUp ? 'up' : 'down' } : {}),
      ...(streams ? { streams } : {}),
      ...(this.options.consumes.length > 0 ? { consumers } : {}),
    };
    const ok = reasons.length === 0;
    reply.status(ok ? 200 : 503).send({
      status: ok ? 'ready' : 'not ready',
      service: this.options.service,
      checks,
      ...(ok ? {} : { reasons }),
      ...(degraded.length > 0 ? { degraded } : {}),
    });
  }

  private async database(reasons: string[]): Promise<'up' | 'down'> {
    try {
      await withinMs(this.dataSource.query('SELECT 1'), DEPENDENCY_TIMEOUT_MS);
      return 'up';
    } catch (error) {
      reasons.push(`database does not answer (${error instanceof Error ? error.message : String(error)})`);
      return 'down';
    }
  }

  /**
   * The streams this service writes its events to: each must be able to acknowledge a write (in
   * a cluster: a leader that hears from a quorum of replicas). The consumed streams are read by
   * the lag check below, which fails while a stream has no leader.
   */
  private async produced(reasons: string[], degraded: string[]): Promise<Record<string, 'up' | 'down'> | undefined> {
    const bus = this.bus;
    if (!bus || bus.produces.length === 0) return undefined;
    const checks: Record<string, 'up' | 'down'> = {};
    await Promise.all(
      bus.produces.map(async (stream) => {
        try {
          await withinMs(bus.assertWritable(stream), DEPENDENCY_TIMEOUT_MS);
          checks[stream.name] = 'up';
        } catch (error) {
          checks[stream.name] = 'down';
          const why = `stream ${stream.name} cannot take writes: ${error instanceof Error ? error.message : String(error)}`;
          if (this.fallback?.canServeWithout(stream.name)) degraded.push(`${why} (its events wait in the outbox)`);
          else reasons.push(why);
        }
      }),
    );
    return checks;
  }

  private async consumers(reasons: string[], degraded: string[]): Promise<Record<string, ConsumerCheck>> {
    const checks: Record<string, ConsumerCheck> = {};
    // Another instance holds (or may hold) this service's consumers: that reason covers them all.
    const suspended = this.options.consumes.length > 0 ? (this.progress?.suspension() ?? null) : null;
    if (suspended !== null) reasons.push(suspended);
    for (const { name } of this.options.consumes) {
      const ready = this.progress?.isReady(name) ?? false;
      const resyncing = this.progress?.isResyncing(name) ?? false;
      checks[name] = { ready, resyncing, applied: this.progress?.applied(name) ?? 0, last: null, lag: null };
      if (suspended !== null) continue;
      if (resyncing) reasons.push(`consumer of ${name} is resyncing from a snapshot: its stream was trimmed past what it had applied`);
      else if (!ready) reasons.push(`consumer of ${name} is not running or still applying the backlog it started with`);
    }
    if (this.options.consumes.length === 0 || !this.bus || !this.progress) return checks;
    let lags: StreamLag[];
    try {
      lags = await this.lagAfterWait(this.bus, this.progress);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      // Not while the client is cut off from NATS altogether: people could not sign in with a
      // password then (the directory checks it over NATS).
      const without = this.options.consumes.filter((s) => !this.fallback?.canServeWithout(s.name)).map((s) => s.name);
      if (without.length > 0 || !this.bus.isConnected()) reasons.push(why);
      else degraded.push(`${why} (decisions are proven from the producers' outboxes meanwhile)`);
      return checks;
    }
    const { maxLag, lagWaitMs } = this.options;
    for (const { stream, applied, last, lag } of lags) {
      checks[stream] = { ...checks[stream], applied, last, lag };
      if (lag > maxLag) reasons.push(`consumer of ${stream} is ${lag} messages behind (more than ${maxLag} for ${lagWaitMs} ms)`);
    }
    return checks;
  }

  /**
   * Reads every stream's last sequence now, then gives the consumers up to `lagWaitMs` to come
   * within `maxLag` of it. The target stays the one read at the start: the question is whether
   * the consumer keeps up, not whether the stream stops growing.
   */
  private async lagAfterWait(bus: NatsBus, progress: ConsumerProgress): Promise<StreamLag[]> {
    let lags = await readConsumerLag(bus, progress, this.options.consumes, DEPENDENCY_TIMEOUT_MS);
    const deadline = Date.now() + this.options.lagWaitMs;
    while (lags.some((l) => l.lag > this.options.maxLag) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      lags = lags.map((l) => streamLag(l.stream, l.last, progress));
    }
    return lags;
  }
}
