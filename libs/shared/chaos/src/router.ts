import type { Instance, ServiceName } from './system';

/** How the run reaches the instances: what deploy/haproxy.cfg does, with faster checks. */
export const BALANCER = {
  /** Each instance's /ready is asked this often... */
  checkIntervalMs: 250,
  /**
   * ...and a check that takes longer fails: above /ready's worst case (a 500 ms stream lookup,
   * then up to READY_LAG_WAIT_MS), as docs/operations.md asks of probes. HAProxy's is its check
   * interval, 2 s, in deploy/haproxy.cfg.
   */
  checkTimeoutMs: 1500,
  /** Consecutive failed checks that take an instance out, and passed ones that put it back. */
  fall: 2,
  rise: 2,
};

/** A request's transport failure before any byte was sent: safe to send to another instance. */
export function refusedConnection(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED';
}

/**
 * The load balancer the run puts in front of each service, as HAProxy does in docker-compose:
 * round robin over the instances whose /ready answers 200 (health checks every 250 ms, out after
 * 2 failures, back after 2 passes), and a connection refused is tried on the next instance
 * (`retries` + `option redispatch`). With no instance ready it answers for itself (HAProxy's 503).
 */
export class Router {
  private readonly next = new Map<ServiceName, number>();
  private readonly streaks = new Map<Instance, number>();
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(private readonly instances: readonly Instance[]) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), BALANCER.checkIntervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(
        this.instances.map(async (instance) => {
          let ok = false;
          try {
            const response = await fetch(`${instance.url}/ready`, { signal: AbortSignal.timeout(BALANCER.checkTimeoutMs) });
            ok = response.status === 200;
            await response.body?.cancel();
          } catch {
            ok = false;
          }
          // A streak counts passes (> 0) or failures (< 0); the state flips once it reaches rise or fall.
          const streak = this.streaks.get(instance) ?? 0;
          const now = ok ? Math.max(streak, 0) + 1 : Math.min(streak, 0) - 1;
          this.streaks.set(instance, now);
          if (ok && now >= BALANCER.rise) instance.ready = true;
          if (!ok && -now >= BALANCER.fall) instance.ready = false;
        }),
      );
    } finally {
      this.checking = false;
    }
  }

  /** The instances of `service` in the order a request tries them: ready ones, round robin. */
  order(service: ServiceName): Instance[] {
    const ready = this.instances.filter((i) => i.service === service && i.ready);
    if (ready.length === 0) return [];
    const at = (this.next.get(service) ?? 0) % ready.length;
    this.next.set(service, at + 1);
    return [...ready.slice(at), ...ready.slice(0, at)];
  }

  /**
   * Sends a request to `service` as the balancer would: the first ready instance, the next one
   * when the connection is refused. Answers the response and the instance that gave it, or the
   * error and the instance tried last.
   */
  async request(
    service: ServiceName,
    path: string,
    init: RequestInit & { timeoutMs: number },
  ): Promise<{ response?: Response; error?: unknown; instance: string }> {
    const order = this.order(service);
    if (order.length === 0) return { error: new Error(`no ${service} instance is ready`), instance: `${service}:none-ready` };
    let last: { error?: unknown; instance: string } = { instance: '' };
    for (const instance of order) {
      try {
        const response = await fetch(`${instance.url}${path}`, {
          ...init,
          signal: AbortSignal.timeout(init.timeoutMs),
          redirect: 'manual',
        });
        return { response, instance: instance.name };
      } catch (error) {
        last = { error, instance: instance.name };
        if (!refusedConnection(error)) break;
      }
    }
    return last;
  }
}
