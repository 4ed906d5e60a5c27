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
/** Ports handed out by this process: never twice, even once their test bind is closed. */
const handedOut = new Set<number>();
/**
 * Below Linux's ephemeral range (32768-60999, ip_local_port_range): a port found there with
 * listen(0) can be taken again before the service binds it, by any outbound connection or any
 * other listen(0) (a test's own server, a service started in-process), and a test then talks to
 * that other server. Here only another test's pick can collide, and the pick is random.
 */
const PORT_LOW = 20_000;
const PORT_HIGH = 32_767;

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_LOW + Math.floor(Math.random() * (PORT_HIGH - PORT_LOW + 1));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`No free port between ${PORT_LOW} and ${PORT_HIGH} after 200 tries`);
}
