import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FreshnessGate } from '@jit/messaging';
import { isDatabaseUnavailable } from '@jit/persistence';
import { DATABASE_UNAVAILABLE, DomainError, ErrorCode } from '@jit/service';
import { decisionScope, type DecisionSubject } from '../read-model/consumed-streams';
import { ReadModelService, type ReadApplicationView } from '../read-model/read-model.service';
import { Refusal } from './refusals';

export const FRESHNESS_GATE = Symbol('FRESHNESS_GATE');

/** The read model behind the freshness contract: no decision from a view we cannot prove current. */
@Injectable()
export class FreshReadModel {
  private readonly logger = new Logger(FreshReadModel.name);
  /** Decisions proven from the outboxes, and rows applied from them, since the last log line (one line every 5 s at most). */
  private fromOutbox = { count: 0, replayed: 0, loggedAt: 0 };

  constructor(
    @Inject(FRESHNESS_GATE) private readonly freshness: FreshnessGate,
    readonly readModel: ReadModelService,
  ) {}

  /**
   * Fails closed: refuses (503) when the read model cannot be confirmed current. When that is
   * because PostgreSQL went away (the consumers were suspended for it), the person is told so:
   * the access rules are not being updated, the database is down.
   *
   * `about`: who and what the decision is about; only the events that can change it are waited
   * for (docs/decisions/0009-scoped-freshness.md). Without it, everything the streams hold.
   */
  async requireFresh(about?: DecisionSubject): Promise<void> {
    const result = await this.check(about);
    if (!result.fresh) {
      this.logger.warn({ lag: result.lag }, `Refusing SSO: ${result.reason}`);
      throw new Refusal(isDatabaseUnavailable(result.cause) ? 'database_unavailable' : 'stale_read_model');
    }
  }

  /**
   * The same contract for the JSON and metadata endpoints: a 503 error body with the reason
   * (a refusal page is for people signing in).
   */
  async requireFreshForApi(about?: DecisionSubject): Promise<void> {
    const result = await this.check(about);
    if (!result.fresh && isDatabaseUnavailable(result.cause)) throw new DomainError(ErrorCode.DependencyUnavailable, DATABASE_UNAVAILABLE);
    if (!result.fresh) throw new DomainError(ErrorCode.NotFresh, `The IdP cannot confirm its view is current: ${result.reason}`);
  }

  async check(about?: DecisionSubject): ReturnType<FreshnessGate['check']> {
    const result = await this.freshness.check(about ? decisionScope(about, this.readModel) : undefined);
    if (result.fresh && result.fromOutbox) this.countFromOutbox(result.replayed ?? 0);
    return result;
  }

  private countFromOutbox(replayed: number): void {
    this.fromOutbox.count += 1;
    this.fromOutbox.replayed += replayed;
    const now = Date.now();
    if (now - this.fromOutbox.loggedAt < 5000) return;
    this.logger.warn(
      `${this.fromOutbox.count} decision(s) proven current from the directory's and catalog's outboxes (${this.fromOutbox.replayed} pending change(s) applied from them): NATS could not be asked, or a consumer was being made again (docs/decisions/0012, 0013)`,
    );
    this.fromOutbox = { count: 0, replayed: 0, loggedAt: now };
  }

  /** The application at this address, if it exists and is switched on. */
  activeApplication(applicationId: string): ReadApplicationView {
    const app = this.readModel.application(applicationId);
    if (!app) throw new Refusal('app_not_found');
    if (!app.snapshot.active) throw new Refusal('app_inactive');
    return app;
  }
}
