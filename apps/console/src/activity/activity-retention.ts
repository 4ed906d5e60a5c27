import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { describe } from '@jit/messaging';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config';
import { PgSessionStore } from '../session/pg-session-store';
import { ActivityService } from './activity.service';

const EVERY_MS = 3600_000;

/** Hourly: activity older than ACTIVITY_RETENTION_DAYS, and expired sessions, are deleted. */
@Injectable()
export class ActivityRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivityRetention.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly activity: ActivityService,
    private readonly dataSource: DataSource,
    @Inject(CONSOLE_CONFIG) private readonly config: Pick<ConsoleConfig, 'ACTIVITY_RETENTION_DAYS'>,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), EVERY_MS);
    this.timer.unref();
    void this.run();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async run(now = new Date()): Promise<{ activity: number; sessions: number }> {
    try {
      const activity = await this.activity.deleteOlderThan(this.config.ACTIVITY_RETENTION_DAYS, now);
      const sessions = await new PgSessionStore(this.dataSource).prune(now);
      if (activity > 0) this.logger.log(`Deleted ${activity} activity rows older than ${this.config.ACTIVITY_RETENTION_DAYS} days`);
      return { activity, sessions };
    } catch (error) {
      // The next run tries again; nothing depends on it having run.
      this.logger.warn(`Activity retention did not run: ${describe(error)}`);
      return { activity: 0, sessions: 0 };
    }
  }
}
