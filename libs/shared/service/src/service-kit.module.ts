import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ConsumerPosition, ConsumerProgress, MessagingModule, NatsBus, Outbox, OutboxMessage, type StreamContract } from '@jit/messaging';
import type { BaseConfig } from '@jit/config';
import { serviceDataSourceOptions } from '@jit/persistence';
import { HEALTH_OPTIONS, HealthController, type HealthOptions } from './health';
import { AdminChangeLog } from './admin-log';
import { ResponseCheck } from './response-check';
import { EventActorContext } from './api-key';
import { HttpMetrics } from './http-metrics';
import { createServiceLogger, HttpLogging, SERVICE_LOGGER, type LogDestination } from './logger';
import { MessagingMetrics, OutboxMetrics } from './messaging-metrics';
import { MetricsController, MetricsModule, ServiceMetrics } from './metrics';

export interface ServiceKitOptions {
  service: string;
  /** The shared keys of the service's configuration: log level and format, database and readiness thresholds. */
  config: Pick<BaseConfig, 'NODE_ENV' | 'LOG_LEVEL' | 'DATABASE_URL' | 'READY_MAX_LAG' | 'READY_LAG_WAIT_MS'> &
    Partial<Pick<BaseConfig, 'OUTBOX_RETENTION_DAYS'>>;
  /** The service's PostgreSQL schema. */
  schema: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: Function[];
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
  /** Absent for a service that does not use NATS (demo-sp). */
  bus?: NatsBus;
  /** Whether the service writes events through the outbox. */
  outbox?: boolean;
  /** Streams it consumes: its schema then needs the consumer_positions table (createConsumerPositionsTable). */
  consumes?: readonly StreamContract[];
  /** Where the log goes: standard output unless given (tests read it). */
  logDestination?: LogDestination;
}

/**
 * Logger (with the request log and one line per admin change), database, messaging, health
 * endpoints and metrics: what every service starts with.
 */
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const consumes = (options.consumes ?? []).length > 0;
    const entities = [...options.entities, ...(options.outbox ? [OutboxMessage] : []), ...(consumes ? [ConsumerPosition] : [])];
    const imports: (DynamicModule | Type)[] = [
      TypeOrmModule.forRoot(
        serviceDataSourceOptions({
          url: options.config.DATABASE_URL,
          schema: options.schema,
          entities,
          migrations: options.migrations,
        }),
      ),
    ];
    imports.push(MetricsModule);
    if (options.bus) {
      imports.push(
        MessagingModule.forRoot(options.bus, {
          outbox: options.outbox ?? false,
          consumes,
          outboxRetentionDays: options.config.OUTBOX_RETENTION_DAYS,
        }),
      );
    }
    const health: HealthOptions = {
      service: options.service,
      consumes: options.consumes ?? [],
      maxLag: options.config.READY_MAX_LAG,
      lagWaitMs: options.config.READY_LAG_WAIT_MS,
    };
    const providers: Provider[] = [
      { provide: HEALTH_OPTIONS, useValue: health },
      { provide: SERVICE_LOGGER, useValue: createServiceLogger(options.service, options.config, options.logDestination) },
      HttpMetrics,
      HttpLogging,
      { provide: APP_INTERCEPTOR, useClass: AdminChangeLog },
      { provide: APP_INTERCEPTOR, useClass: EventActorContext },
    ];
    // Tests check every documented answer against its schema; production never pays for it.
    if (options.config.NODE_ENV === 'test') providers.push({ provide: APP_INTERCEPTOR, useClass: ResponseCheck });
    if (options.bus) {
      providers.push({
        provide: MessagingMetrics,
        inject: [ServiceMetrics, NatsBus, ConsumerProgress],
        useFactory: (metrics: ServiceMetrics, bus: NatsBus, progress: ConsumerProgress) =>
          new MessagingMetrics(metrics, bus, progress, health.consumes),
      });
    }
    if (options.bus && options.outbox) {
      providers.push({
        provide: OutboxMetrics,
        inject: [ServiceMetrics, Outbox],
        useFactory: (metrics: ServiceMetrics, outbox: Outbox) => new OutboxMetrics(metrics, outbox),
      });
    }
    return { module: ServiceKitModule, imports, providers, controllers: [HealthController, MetricsController], exports: [SERVICE_LOGGER] };
  }
}
