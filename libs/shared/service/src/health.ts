import { Controller, Get, HttpCode, Inject, Optional, Res } from '@nestjs/common';
import { ConsumerProgress, NatsBus, type StreamContract } from '@jit/messaging';
import { DataSource } from 'typeorm';

export const HEALTH_OPTIONS = Symbol('HEALTH_OPTIONS');
export interface HealthOptions {
  service: string;
  /** Streams this service consumes; it is ready only once each consumer is running. */
  consumes: readonly StreamContract[];
}

interface Reply {
  status(code: number): Reply;
  send(body: unknown): void;
}

@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH_OPTIONS) private readonly options: HealthOptions,
    private readonly dataSource: DataSource,
    @Optional() private readonly bus?: NatsBus,
    @Optional() private readonly progress?: ConsumerProgress,
  ) {}

  /** Liveness: the process answers. */
  @Get('health')
  @HttpCode(200)
  health(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.options.service };
  }

  /** Readiness: its database, NATS and every consumer are up. */
  @Get('ready')
  async ready(@Res() reply: Reply): Promise<void> {
    const checks: Record<string, unknown> = {};
    checks.database = await this.dataSource
      .query('SELECT 1')
      .then(() => 'up')
      .catch(() => 'down');
    if (this.bus) checks.nats = this.bus.isConnected() ? 'up' : 'down';
    const consumers: Record<string, unknown> = {};
    for (const stream of this.options.consumes) {
      consumers[stream.name] = {
        ready: this.progress?.isReady(stream.name) ?? false,
        resyncing: this.progress?.isResyncing(stream.name) ?? false,
        applied: this.progress?.applied(stream.name) ?? 0,
      };
    }
    if (this.options.consumes.length > 0) checks.consumers = consumers;
    const ok =
      checks.database === 'up' &&
      (!this.bus || checks.nats === 'up') &&
      Object.values(consumers).every((c) => (c as { ready: boolean }).ready);
    reply.status(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', service: this.options.service, checks });
  }
}
