import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { IDP_STREAM, IdpEvents } from '@jit/idp-contracts';
import { NatsBus, OutboxMessage } from '@jit/messaging';
import { ensureDatabase, serviceDataSourceOptions } from '@jit/persistence';
import { ServiceMetrics } from '@jit/service';
import { readStream, testEnv } from '@jit/testing';
import { Initial1764300000000 } from '../migrations/1764300000000-Initial';
import { SsoOptions1764600000000 } from '../migrations/1764600000000-SsoOptions';
import { AUDIT_BATCH_MAX, AuditService } from './audit.service';
import { OutboxStreamSequence1767200000000 } from '../migrations/1767200000000-OutboxStreamSequence';

const env = testEnv('audit');
let dataSource: DataSource;
let bus: NatsBus;

const issued = (userId = randomUUID()) => ({
  organizationId: randomUUID(),
  applicationId: randomUUID(),
  userId,
  attributeNames: ['email'],
  inResponseTo: '_r1',
  occurredAt: new Date().toISOString(),
});

beforeAll(async () => {
  await ensureDatabase(env.databaseUrl, 'idp');
  dataSource = new DataSource(
    serviceDataSourceOptions({
      url: env.databaseUrl,
      schema: 'idp',
      entities: [OutboxMessage],
      migrations: [Initial1764300000000, SsoOptions1764600000000, OutboxStreamSequence1767200000000],
    }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations();
  bus = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'idp' });
  await bus.ensureStream(IDP_STREAM);
});

afterAll(async () => {
  await bus?.close();
  await dataSource?.destroy();
  await env.cleanup();
});

const stored = async () => readStream(env.natsUrl, bus.naming.stream(IDP_STREAM.name));

describe('AuditService', () => {
  it('publishes every event recorded in one turn, each with its own id and ack', async () => {
    const audit = new AuditService(bus, dataSource, new ServiceMetrics());
    const users = Array.from({ length: 20 }, () => randomUUID());
    await Promise.all(users.map((u) => audit.record(IdpEvents.assertionIssued, issued(u))));
    const events = (await stored()).filter((e) => (users as string[]).includes(e.payload.userId as string));
    assert.deepEqual(events.map((e) => e.payload.userId).sort(), [...users].sort());
    assert.equal(new Set(events.map((e) => e.msgId)).size, 20, 'one Nats-Msg-Id per event');
    // The type, then its scope: the organisation and the person (docs/events.md), as consumers of `<type>.>` expect.
    for (const e of events) {
      assert.ok(
        e.scopedSubject.endsWith(`.idp.sso.issued.v1.${String(e.payload.organizationId)}.${String(e.payload.userId)}`),
        e.scopedSubject,
      );
    }
  });

  it('sends the events recorded within its window in one burst, and a full batch at once', async () => {
    const audit = new AuditService(bus, dataSource, new ServiceMetrics());
    const bursts: number[] = [];
    let burstOpen = false;
    const publish = bus.publishEncoded.bind(bus);
    bus.publishEncoded = (...args) => {
      // Calls made in one synchronous run (one flush) count as one burst.
      if (!burstOpen) {
        bursts.push(0);
        burstOpen = true;
        queueMicrotask(() => (burstOpen = false));
      }
      bursts[bursts.length - 1]++;
      return publish(...args);
    };
    try {
      const first = audit.record(IdpEvents.assertionIssued, issued());
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(bursts, [], 'held for the window, not sent on the next turn');
      await Promise.all([first, audit.record(IdpEvents.assertionIssued, issued())]);
      assert.deepEqual(bursts, [2], 'both events of the window in one burst');

      const full = Array.from({ length: AUDIT_BATCH_MAX }, () => audit.record(IdpEvents.assertionIssued, issued()));
      assert.deepEqual(bursts, [2, AUDIT_BATCH_MAX], 'a full batch goes without waiting for the window');
      await Promise.all(full);
    } finally {
      bus.publishEncoded = publish;
    }
  });

  it('publishes what is still queued when the service shuts down, and waits for the ack', async () => {
    const own = await NatsBus.connect({ servers: env.natsUrl, prefix: env.natsPrefix, service: 'idp' });
    const audit = new AuditService(own, dataSource, new ServiceMetrics());
    const user = randomUUID();
    void audit.record(IdpEvents.assertionIssued, issued(user));
    // Before the batch window ends, when the queue would otherwise be sent; the connection then
    // closes at once, as it does right after the shutdown hooks.
    await audit.beforeApplicationShutdown();
    await own.connection.close();
    assert.equal((await stored()).filter((e) => e.payload.userId === user).length, 1);
  });

  it('keeps an event NATS does not acknowledge in the outbox, with the subject and payload it had', async () => {
    // A bus whose prefix has no stream: JetStream answers nobody, as when it is down.
    const nowhere = await NatsBus.connect({
      servers: env.natsUrl,
      prefix: `${env.natsPrefix}_gone`,
      service: 'idp',
      publishTimeoutMs: 300,
    });
    try {
      const audit = new AuditService(nowhere, dataSource, new ServiceMetrics());
      const user = randomUUID();
      const event = issued(user);
      await audit.record(IdpEvents.assertionIssued, event);
      // Kept on the subject it would have had: its type, then its scope.
      const subject = `${IdpEvents.assertionIssued.subject}.${event.organizationId}.${user}`;
      const rows = await dataSource.getRepository(OutboxMessage).find({ where: { subject } });
      const row = rows.find((r) => (r.payload as { userId?: string }).userId === user);
      assert.ok(row, 'the event is in the outbox for the relay to publish, on its scoped subject');
    } finally {
      await nowhere.close();
    }
  });

  it('refuses an event that breaks its contract before anything is sent', () => {
    const audit = new AuditService(bus, dataSource, new ServiceMetrics());
    assert.throws(() => audit.record(IdpEvents.assertionIssued, { ...issued(), userId: 'not-a-uuid' }));
  });
});
