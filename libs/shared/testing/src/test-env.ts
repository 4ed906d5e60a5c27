import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { dropDatabase } from '@jit/persistence';

export const TEST_NATS_URL = 'nats://127.0.0.1:4222';
export const TEST_PG_URL = 'postgres://postgres@127.0.0.1:5432';

export interface TestEnv {
  /** A database of this run's own; created by the services on start, dropped by cleanup(). */
  databaseUrl: string;
  /** Prefix for this run's streams and subjects. */
  natsPrefix: string;
  natsUrl: string;
  cleanup(): Promise<void>;
}

/** Every test run gets its own database and NATS prefix, so that runs never collide. */
export function testEnv(label: string): TestEnv {
  const id = randomBytes(4).toString('hex');
  const safe = label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20);
  const databaseUrl = `${TEST_PG_URL}/jit_test_${safe}_${id}`;
  const natsPrefix = `t_${safe}_${id}`;
  return {
    databaseUrl,
    natsPrefix,
    natsUrl: TEST_NATS_URL,
    async cleanup() {
      await dropDatabase(databaseUrl).catch(() => undefined);
      await deleteStreams(natsPrefix).catch(() => undefined);
    },
  };
}

async function deleteStreams(prefix: string): Promise<void> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`${prefix}_`)) await jsm.streams.delete(name);
    }
  } finally {
    await nc.close();
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
