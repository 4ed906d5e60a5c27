import assert from 'node:assert/strict';
import { connect } from '@nats-io/transport-node';
import { headers, type NatsConnection } from '@nats-io/nats-core';
import { testEnv } from '@jit/testing';
import { ReplyMux } from './reply-mux';

describe('ReplyMux (real NATS)', () => {
  const env = testEnv('replymux');
  let nc: NatsConnection;
  let mux: ReplyMux;
  const subject = (s: string) => `${env.natsPrefix}.mux.${s}`;

  beforeAll(async () => {
    nc = await connect({ servers: env.natsUrl });
    mux = new ReplyMux(nc);
    nc.subscribe(subject('echo'), { callback: (_e, m) => void m.respond(m.data, { headers: m.headers }) });
    // Answers only after 300 ms, later than the callers below wait.
    nc.subscribe(subject('slow'), { callback: (_e, m) => void setTimeout(() => m.respond(m.data), 300) });
    await nc.flush();
  });

  afterAll(async () => {
    await nc.drain();
    await env.cleanup();
  });

  it('pairs each answer with its request, many in flight, headers included', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const h = headers();
        h.set('X-N', String(i));
        const msg = await mux.request(subject('echo'), new TextEncoder().encode(`n${i}`), 2000, h);
        return [new TextDecoder().decode(msg.data), msg.headers?.get('X-N')];
      }),
    );
    assert.deepEqual(
      answers,
      Array.from({ length: 200 }, (_, i) => [`n${i}`, String(i)]),
    );
    assert.equal(mux.waiting, 0);
  });

  it('says so when nobody listens, instead of waiting for the timeout', async () => {
    const started = Date.now();
    await assert.rejects(mux.request(subject('nobody'), undefined, 5000), /no responders on .*mux\.nobody/);
    assert.ok(Date.now() - started < 5000);
    assert.equal(mux.waiting, 0);
  });

  it('times out, names the subject, and ignores the answer that comes late', async () => {
    await assert.rejects(mux.request(subject('slow'), undefined, 50), /no answer on .*mux\.slow within 50 ms/);
    assert.equal(mux.waiting, 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(mux.waiting, 0);
    // The next request on the same mux still gets its own answer.
    assert.equal(new TextDecoder().decode((await mux.request(subject('echo'), new TextEncoder().encode('after'), 2000)).data), 'after');
  });

  it('drops an answer that accept refuses, though it came first, and resolves with the next one', async () => {
    // Two answers to one request: the one accept refuses comes first.
    const twice = nc.subscribe(subject('twice'), {
      callback: (_e, m) => {
        m.respond(new TextEncoder().encode('forged'));
        m.respond(new TextEncoder().encode('real'));
      },
    });
    await nc.flush();
    try {
      const seen: string[] = [];
      const accept = (msg: { data: Uint8Array }) => {
        const text = new TextDecoder().decode(msg.data);
        seen.push(text);
        return text === 'real';
      };
      const msg = await mux.request(subject('twice'), (reply) => new TextEncoder().encode(reply), 2000, undefined, accept);
      assert.equal(new TextDecoder().decode(msg.data), 'real');
      assert.deepEqual(seen, ['forged', 'real']);
      assert.equal(mux.waiting, 0);
    } finally {
      twice.unsubscribe();
    }
  });

  it('fails what still waits once the connection is gone', async () => {
    const other = await connect({ servers: env.natsUrl });
    const otherMux = new ReplyMux(other);
    const waiting = otherMux.request(subject('slow'), undefined, 5000);
    await other.close();
    otherMux.failWaiting();
    await assert.rejects(waiting, /NATS connection closed/);
  });
});
