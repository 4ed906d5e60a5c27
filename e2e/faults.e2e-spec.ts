import assert from 'node:assert/strict';
import { Browser, PrivateNatsServer, eventually, metricValue } from '@jit/testing';
import { System, signIn } from './harness';

/**
 * SECURITY.md's freshness contract under a NATS crash: an admin change that NATS cannot confirm
 * answers 503 (not 2xx), and is committed; the IdP, unable to ask the stream, applies it from the
 * directory's outbox and enforces it at once (docs/decisions/0013); once NATS is back the outbox
 * relay delivers the change and the IdP goes on enforcing it.
 */
describe('NATS crash: nothing claimed, nothing stale, nothing lost', () => {
  const nats = new PrivateNatsServer();
  let system: System;
  let appId = '';
  let groupId = '';
  let userId = '';
  const password = 'correct horse battery staple';
  const browser = new Browser();

  beforeAll(async () => {
    await nats.start();
    system = new System('faults', nats.url);
    await system.start();
    ({ userId, groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'lin', email: 'lin@example.com', firstname: 'Lin', lastname: 'Yu', password },
      'Ops',
    ));
    assert.equal((await signIn(system, browser, appId, 'lin', password)).outcome, 'signed-in');
  });

  afterAll(async () => {
    await system.stop();
    await nats.destroy();
  });

  it('answers 503 for a change NATS cannot confirm, and the IdP enforces it at once from the outbox instead of deciding from stale state', async () => {
    await nats.kill();
    const res = await fetch(`${system.directoryUrl}/v1/user-groups/${groupId}/members/${userId}`, {
      method: 'DELETE',
      headers: { 'x-api-key': 'e2e-bootstrap-admin-key-0123456789' },
    });
    assert.equal(res.status, 503);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'EVENT_BUS_UNAVAILABLE');
    assert.match(body.message, /saved, but the event bus \(NATS\) did not confirm/);

    // Lin still has an IdP session: no password is asked (that would need NATS), the decision is
    // the read model's, with the removal applied from the directory's outbox.
    const refused = await signIn(system, browser, appId, 'lin', password);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.status, 403);
    assert.match(refused.outcome === 'refused' ? refused.page : '', /not authorised/);

    // What an operator sees meanwhile: the IdP is not ready, says why, and counts the refusal.
    const ready = await fetch(`${system.idpUrl}/ready`);
    assert.equal(ready.status, 503);
    const { reasons } = (await ready.json()) as { reasons: string[] };
    assert.ok(
      reasons.some((r) => /^cannot read stream (DIRECTORY|CATALOG) from NATS/.test(r)),
      reasons.join('; '),
    );
    const metrics = await (await fetch(`${system.idpUrl}/metrics`)).text();
    assert.ok((metricValue(metrics, 'jit_idp_sso_refusals_total', { reason: 'app_not_authorized' }) ?? 0) >= 1);
    assert.equal(metricValue(metrics, 'jit_idp_sso_refusals_total', { reason: 'stale_read_model' }) ?? 0, 0);
    assert.equal(metricValue(metrics, 'jit_nats_up'), 0);
    assert.equal(metricValue(metrics, 'jit_consumer_lag_messages', { stream: 'DIRECTORY' }), undefined, 'no stale lag value');
  });

  it('delivers the committed change through the relay once NATS is back, and the IdP enforces it', async () => {
    await nats.start();
    // The removal has been refused from the outbox since the crash, so a 403 alone says nothing
    // about NATS. Wait for what the relay and the consumer report: the directory's outbox drained,
    // and the IdP ready (it reads its streams again and has applied them: no lag).
    await eventually(
      async () => {
        const metrics = await (await fetch(`${system.directoryUrl}/metrics`)).text();
        assert.equal(metricValue(metrics, 'jit_outbox_unpublished_messages'), 0);
        assert.equal(metricValue(metrics, 'jit_nats_up'), 1);
        assert.equal((await fetch(`${system.idpUrl}/ready`)).status, 200);
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const metrics = await (await fetch(`${system.idpUrl}/metrics`)).text();
    assert.equal(metricValue(metrics, 'jit_consumer_lag_messages', { stream: 'DIRECTORY' }), 0);
    const refused = await signIn(system, browser, appId, 'lin', password);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.status, 403);

    await system.admin('POST', `${system.directoryUrl}/v1/user-groups/${groupId}/members`, { userId }, 201);
    assert.equal((await signIn(system, browser, appId, 'lin', password)).outcome, 'signed-in');
  });
});
