import { Client } from 'pg';

/**
 * Creates the database named in `databaseUrl` when it is missing, and the service's schema in it.
 * TypeORM needs the schema before it can create its migrations table there.
 */
export async function ensureDatabase(databaseUrl: string, schema: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(database)) throw new Error(`Unsupported database name "${database}"`);
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${database}"`);
      } catch (error) {
        // Another service may have created it a moment ago: 42P04 duplicate_database, or, when both
        // create it at the same moment, 23505 on pg_database's unique index (several replicas of a
        // first deployment; found by the fault suite).
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await client.end();
  }
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } catch (error) {
    // Concurrent CREATE SCHEMA IF NOT EXISTS can still race on the catalog's unique index.
    if ((error as { code?: string }).code !== '23505') throw error;
  } finally {
    await db.end();
  }
}

/** Drops a database (tests only: each run owns its database). */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Holds a PostgreSQL advisory lock for the schema's migrations until the returned function is
 * called: instances of a service started together (a cluster's workers, replicas) would each find
 * a migration not yet run and race to run it, and all but one would fail on the tables the first
 * made. The lock is on a connection of its own; PostgreSQL releases it if the process dies.
 */
export async function holdMigrationLock(databaseUrl: string, schema: string): Promise<() => Promise<void>> {
  const client = new Client({ connectionString: databaseUrl, application_name: `${schema} migrations` });
  // An idle connection that fails emits 'error'; unhandled, it would end the process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`jit.migrations:${schema}`]);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return async () => {
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`jit.migrations:${schema}`]).catch(() => undefined);
    await client.end().catch(() => undefined);
  };
}
