import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { ConsumerPosition, MessagingModule, OutboxMessage, type NatsBus, type StreamContract } from '@jit/messaging';
import type { BaseConfig } from '@jit/config';
import { serviceDataSourceOptions } from '@jit/persistence';
import { HEALTH_OPTIONS, HealthController } from './health';

export interface ServiceKitOptions {
  service: string;
  /** The shared keys of the service's configuration: log level and database. */
  config: Pick<BaseConfig, 'LOG_LEVEL' | 'DATABASE_URL'>;
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
}

/** Logger, database, messaging and health endpoints: what every service starts with. */
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitOptions): DynamicModule {
    const consumes = (options.consumes ?? []).length > 0;
    const entities = [...options.entities, ...(options.outbox ? [OutboxMessage] : []), ...(consumes ? [ConsumerPosition] : [])];
    const imports: (DynamicModule | Type)[] = [
      LoggerModule.forRoot({
        pinoHttp: {
          level: options.config.LOG_LEVEL,
          base: { service: options.service },
          redact: ['req.headers["x-api-key"]', 'req.headers.cookie', 'res.headers["set-cookie"]'],
          autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/ready' },
          quietReqLogger: true,
        },
      }),
      TypeOrmModule.forRoot(
        serviceDataSourceOptions({
          url: options.config.DATABASE_URL,
          schema: options.schema,
          entities,
          migrations: options.migrations,
        }),
      ),
    ];
    if (options.bus) imports.push(MessagingModule.forRoot(options.bus, { outbox: options.outbox ?? false, consumes }));
    const providers: Provider[] = [
      { provide: HEALTH_OPTIONS, useValue: { service: options.service, consumes: options.consumes ?? [] } },
    ];
    return { module: ServiceKitModule, imports, providers, controllers: [HealthController], exports: [] };
  }
}
