import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * Where the IdP's throttles count: `idp.throttles` through the database pool (every instance sees
 * every attempt, so the same limits hold whichever instance an attempt reaches), or, for a pure
 * unit spec of the throttle rules, this process's memory.
 */
export type ThrottleStore = { pool: Pool } | 'memory';

/**
 * A counter of `points` per `durationSeconds` under `keyPrefix`. Every Postgres limiter uses the
 * one table: rate-limiter-flexible prepares its statements under fixed names, which one pool
 * connection cannot hold for two tables. The table is made by a migration (SharedSignIns), and
 * the limiters of `cleans` delete rows expired an hour ago, hourly.
 */
export function throttleLimiter(
  store: ThrottleStore,
  keyPrefix: string,
  points: number,
  durationSeconds: number,
  cleans = false,
): RateLimiterAbstract {
  if (store === 'memory') return new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds });
  return new RateLimiterPostgres({
    storeClient: store.pool,
    storeType: 'pool',
    schemaName: 'idp',
    tableName: 'throttles',
    tableCreated: true,
    clearExpiredByTimeout: cleans,
    keyPrefix,
    points,
    duration: durationSeconds,
  });
}

/** The throttles' store for the service: TypeORM's pool (initialised before any provider gets the DataSource). */
export function databaseThrottleStore(dataSource: DataSource): ThrottleStore {
  return { pool: (dataSource.driver as PostgresDriver).master as Pool };
}
