#!/usr/bin/env node
// Fails fast, with the fix, when PostgreSQL or NATS JetStream is not what the tests need.
import pg from 'pg';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

try {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query('SHOW server_version');
  await client.end();
  console.log(`PostgreSQL ${rows[0].server_version} answers`);
} catch (error) {
  console.error(`PostgreSQL is not usable at ${databaseUrl}: ${error.message}`);
  process.exit(1);
}
try {
  const nc = await connect({ servers: natsUrl, timeout: 3000 });
  const jsm = await jetstreamManager(nc);
  const info = await jsm.getAccountInfo();
  console.log(`NATS ${nc.info?.version} with JetStream answers (${info.streams} streams)`);
  await nc.close();
} catch (error) {
  console.error(`NATS with JetStream is not usable at ${natsUrl}: ${error.message} (start it with -js)`);
  process.exit(1);
}
