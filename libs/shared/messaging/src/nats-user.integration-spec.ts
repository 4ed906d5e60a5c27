import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { AckPolicy } from '@nats-io/jetstream';
import { z } from 'zod';
import { PrivateNatsServer } from '@jit/testing';
import { NatsBus } from './bus';
import { defineEvent, defineRpc, defineStream } from './contract';

const Ping = defineEvent('inbox.ping.v1', z.object({ n: z.number().int() }), ['n']);
const STREAM = defineStream('INBOX_TEST', ['inbox.>'], [Ping]);
const OTHERS = defineStream('OTHERS', ['others.>'], []);
const Echo = defineRpc('rpc.inbox.echo.v1', z.object({ n: z.number().int() }), z.object({ n: z.number().int() }));

/**
 * NATS_INBOX_PREFIX must reach every reply this process receives: a server whose user may
 * subscribe to `_INBOX_svc.>` only refuses any other inbox, so each path below would fail (a
 * timeout, a refused subscription) if one of them still used `_INBOX`.
 */
describe("a least-privilege NATS user: its own inbox prefix, no rights over others' streams (private nats-server)", () => {
  const server = new PrivateNatsServer(`
accounts {
  APP {
    jetstream: enabled
    users = [
      { user: svc, password: svc-pw, permissions: { publish: { allow: [">"], deny: ["$JS.API.STREAM.CREATE.OTHERS", "$JS.API.STREAM.CREATE.OTHERS_NEVER"] }, subscribe: { allow: ["rpc.>", "_INBOX_svc.>"] } } }
      { user: admin, password: admin-pw }
    ]
  }
}
`);
  let bus: NatsBus;

  beforeAll(async () => {
    await server.start();
    bus = await NatsBus.connect({
      servers: server.url,
      prefix: '',
      service: 'svc',
      user: 'svc',
      password: 'svc-pw',
      inboxPrefix: '_INBOX_svc',
    });
  });

  afterAll(async () => {
    await bus?.close();
    await server.destroy();
  });

  it('refuses the default inbox to this user, so the cases below prove the prefix', async () => {
    const nc = await connect({ servers: server.url, user: 'svc', pass: 'svc-pw', reconnect: false });
    try {
      const sub = nc.subscribe('_INBOX.>');
      await nc.flush();
      assert.match(String(await sub.closed), /Permissions Violation for Subscription to "_INBOX\.>"/);
    } finally {
      await nc.close();
    }
  });

  it('creates the stream, publishes with an ack, reads the stream bounds and calls an RPC', async () => {
    await bus.ensureStream(STREAM);
    const ack = await bus.publish(Ping, { n: 1 }, 'ping-1');
    assert.equal(ack.seq, 1);
    assert.equal(await bus.lastSequence(STREAM), 1);
    bus.connection.subscribe(Echo.subject, {
      callback: (_error, msg) => {
        const request = bus.receiveRequest(Echo, msg);
        request?.respond({ ok: true, data: JSON.parse(new TextDecoder().decode(request.data)) as unknown });
      },
    });
    assert.deepEqual(await bus.request(Echo, { n: 7 }), { n: 7 });
  });

  it('waits for a stream it consumes but may not create, until its producer creates it', async () => {
    const waiting = bus.ensureStreamExists(OTHERS, 10_000);
    let settled = false;
    void waiting.finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(settled, false);
    const producer = await NatsBus.connect({ servers: server.url, prefix: '', service: 'producer', user: 'admin', password: 'admin-pw' });
    try {
      await producer.ensureStream(OTHERS);
      await waiting;
    } finally {
      await producer.close();
    }
    await assert.rejects(bus.ensureStreamExists(defineStream('OTHERS_NEVER', ['never.>'], []), 600), /does not exist/);
  });

  it("delivers to a durable pull consumer through nats.js's own inboxes", async () => {
    await bus.jsm.consumers.add(STREAM.name, { durable_name: 'svc', ack_policy: AckPolicy.Explicit });
    const consumer = await bus.js.consumers.get(STREAM.name, 'svc');
    const messages = await consumer.consume({ max_messages: 8 });
    for await (const msg of messages) {
      assert.deepEqual(msg.json(), { n: 1 });
      msg.ack();
      break;
    }
    await messages.close();
  });
});
