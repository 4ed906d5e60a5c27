import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { resolve as resolve_ } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { DirectoryEvents, DirectoryRpc, DirectorySnapshot, RemoteApiKeyResolver } from '@jit/directory-contracts';
import { NatsBus, readSnapshot, type RpcReply } from '@jit/messaging';
import { eventually, freePort, startService, testEnv, type ServiceProcess } from '@jit/testing';

const BOOTSTRAP = 'bus-forgery-test-bootstrap-key-0123';
const PASSWORD = 'correct horse battery staple';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const text = (msg: Msg) => new TextDecoder().decode(msg.data);

/**
 * The real directory on a NATS that accepts anyone (the development bus), and a rogue client on
 * it without the bus key: it answers the IdP's and the catalog's questions first, asks for the
 * snapshot of every organisation's users, and listens to the credential checks. None of it works.
 */
describe('a rogue client on the bus against the directory (real PostgreSQL and NATS)', () => {
  const env = testEnv('busforgery');
  let directory: ServiceProcess | undefined;
  let bus: NatsBus;
  let rogue: NatsConnection;
  let organizationId = '';
  let userId = '';
  const subject = (s: string) => `${env.natsPrefix}.${s}`;

  beforeAll(async () => {
    const port = await freePort();
    directory = await startService('directory', port, {
      DIRECTORY_PORT: String(port),
      DATABASE_URL: env.databaseUrl,
      NATS_PREFIX: env.natsPrefix,
      BOOTSTRAP_ADMIN_API_KEY: BOOTSTRAP,
    });
    const res = await fetch(`${directory.url}/v1/users`, {
      method: 'POST',
      headers: { 'x-api-key': BOOTSTRAP, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'ada', email: 'ada@example.com', password: PASSWORD }),
    });
    assert.equal(res.status, 201);
    ({ id: userId, organizationId } = (await res.json()) as { id: string; organizationId: string });
    // The IdP's and the catalog's side: the same development key as the directory.
    bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'bus-forgery-test' });
    rogue = await connect({ servers: env.natsUrl });
  });

  afterAll(async () => {
    await rogue?.close();
    await bus?.close();
    await directory?.stop();
    await env.cleanup();
  });

  /** The rogue answers every request on `rpcSubject` at once with `reply`, and keeps what it saw. */
  const answerFirst = async (rpcSubject: string, reply: RpcReply) => {
    const seen: Msg[] = [];
    const sub = rogue.subscribe(subject(rpcSubject), {
      callback: (_error, msg) => {
        seen.push(msg);
        msg.respond(JSON.stringify(reply));
      },
    });
    await rogue.flush();
    return { seen, stop: () => sub.unsubscribe() };
  };

  it('a forged "valid" answer to a credential check does not sign anyone in with a wrong password', async () => {
    const rogueAnswer = await answerFirst(DirectoryRpc.verifyCredentials.subject, { ok: true, data: { ok: true, userId } });
    try {
      const answer = await bus.request(
        DirectoryRpc.verifyCredentials,
        { organizationId, username: 'ada', password: 'not the password', sourceIp: '192.0.2.10' },
        5000,
      );
      assert.deepEqual(answer, { ok: false, reason: 'invalid_credentials' });
      assert.equal(rogueAnswer.seen.length, 1, 'the rogue answered first');
      // And the right password still works, forged answers or not.
      assert.deepEqual(
        await bus.request(
          DirectoryRpc.verifyCredentials,
          { organizationId, username: 'ada', password: PASSWORD, sourceIp: '192.0.2.10' },
          5000,
        ),
        { ok: true, userId },
      );
    } finally {
      rogueAnswer.stop();
    }
  });

  it('a listener on the credential-check subject reads no password, no username and no answer', async () => {
    const requests: Msg[] = [];
    const answers: Msg[] = [];
    const onRequests = rogue.subscribe(subject(DirectoryRpc.verifyCredentials.subject), { callback: (_e, msg) => void requests.push(msg) });
    const onInboxes = rogue.subscribe('_INBOX.>', { callback: (_e, msg) => void answers.push(msg) });
    await rogue.flush();
    try {
      assert.deepEqual(
        await bus.request(
          DirectoryRpc.verifyCredentials,
          { organizationId, username: 'ada', password: PASSWORD, sourceIp: '192.0.2.11' },
          5000,
        ),
        { ok: true, userId },
      );
      assert.equal(requests.length, 1);
      // Other clients share this NATS: only the answer to this request counts.
      const answer = await eventually(() => {
        const found = answers.filter((msg) => msg.subject === requests[0]?.reply);
        assert.equal(found.length, 1);
        return found;
      });
      for (const msg of [...requests, ...answer]) {
        for (const secret of [PASSWORD, 'ada', userId, organizationId, '"ok"']) {
          assert.equal(text(msg).includes(secret), false, `${secret} in clear on ${msg.subject}`);
        }
        assert.throws(() => JSON.parse(text(msg)) as unknown);
      }
    } finally {
      onRequests.unsubscribe();
      onInboxes.unsubscribe();
    }
  });

  it('a forged API-key resolution does not make an unknown key an admin', async () => {
    const rogueAnswer = await answerFirst(DirectoryRpc.resolveApiKey.subject, { ok: true, data: { organizationId, bootstrap: true } });
    const resolver = new RemoteApiKeyResolver(bus);
    try {
      assert.equal(await resolver.resolve(sha256('jit_made-up-key')), null);
      assert.equal(rogueAnswer.seen.length, 1, 'the rogue answered first');
      assert.deepEqual(await resolver.resolve(sha256(BOOTSTRAP)), { organizationId, bootstrap: true });
    } finally {
      resolver.close();
      rogueAnswer.stop();
    }
  });

  it("a forged revocation does not lock an admin out of the other services' caches", async () => {
    const resolver = new RemoteApiKeyResolver(bus);
    try {
      await bus.connection.flush(); // its subscription to revocations is in place
      const revocation = { organizationId, occurredAt: new Date().toISOString(), apiKeyId: userId, apiKeyHash: sha256(BOOTSTRAP) };
      // As the directory publishes it (JetStream delivers stream messages to plain subscribers too).
      rogue.publish(subject(DirectoryEvents.apiKeyRevoked.subject), JSON.stringify(revocation));
      await rogue.flush();
      // The server has passed the revocation on to the resolver's connection before this request's answer.
      assert.deepEqual(await resolver.resolve(sha256(BOOTSTRAP)), { organizationId, bootstrap: true });
    } finally {
      resolver.close();
    }
  });

  it("a snapshot request without the bus key gets a refusal, not every organisation's users", async () => {
    const answer = await rogue.request(subject(DirectorySnapshot.users.subject), JSON.stringify({ after: null }), { timeout: 5000 });
    assert.deepEqual(answer.json<RpcReply>(), {
      ok: false,
      error: { code: 'UNAUTHENTICATED', message: 'requests on this subject must be sealed with the bus key (BUS_KEYS)' },
    });
    // The services' own request works, and what the rogue sees of its answer is sealed.
    const seen: Msg[] = [];
    const replyTo: string[] = [];
    const onRequests = rogue.subscribe(subject(DirectorySnapshot.users.subject), {
      callback: (_e, msg) => void replyTo.push(msg.reply ?? ''),
    });
    const onInboxes = rogue.subscribe('_INBOX.>', { callback: (_e, msg) => void seen.push(msg) });
    await rogue.flush();
    try {
      const users = [];
      for await (const item of readSnapshot(bus, DirectorySnapshot.users)) users.push(item.userId);
      assert.deepEqual(users, [userId]);
      const page = await eventually(() => {
        const found = seen.find((msg) => replyTo.includes(msg.subject));
        assert.ok(found);
        return found;
      });
      assert.equal(text(page).includes('ada@example.com'), false);
      assert.equal(text(page).includes(userId), false);
    } finally {
      onRequests.unsubscribe();
      onInboxes.unsubscribe();
    }
  });
});

describe('a directory with NODE_ENV=production', () => {
  /** Runs the directory as `npm start` would and returns what it said before it exited (at most 20 s). */
  const refusal = (env: Record<string, string>) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/directory/src/main.ts'], {
        cwd: resolve_(__dirname, '../../../..'),
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      // One that starts after all would run on: stopped, and the assertions below say so.
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });

  it('refuses to start without a NATS user, or without a bus key, naming the variable', async () => {
    const [noUser, noKey] = await Promise.all([
      refusal({ BUS_KEYS: 'p'.repeat(40) }),
      refusal({ NATS_USER: 'directory', NATS_PASSWORD: 'not-checked-before-the-config' }),
    ]);
    assert.equal(noUser.code, 1);
    assert.match(noUser.output, /Invalid configuration:\n  NATS_USER: required when NODE_ENV=production/);
    assert.doesNotMatch(noUser.output, /BUS_KEYS/);
    assert.equal(noKey.code, 1);
    assert.match(noKey.output, /Invalid configuration:\n  BUS_KEYS: required when NODE_ENV=production/);
    assert.doesNotMatch(noKey.output, /NATS_USER:/);
  });
});
