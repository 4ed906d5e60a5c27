import assert from 'node:assert/strict';
import { Browser, eventually } from '@jit/testing';
import { BOOTSTRAP_KEY, System, signIn } from './harness';

/**
 * A bulk membership call is one access change for the freshness contract: once it answered 200,
 * every event of the batch is in the stream, so the IdP's very next decision follows all of it. A
 * revoke in the middle of a batch of adds is enforced at once, with no waiting.
 */
describe('bulk membership: a revoke in a batch is enforced at the very next sign-in', () => {
  const system = new System('bulk');
  const browser = new Browser();
  const password = 'correct horse battery staple';

  beforeAll(async () => {
    await system.start();
  });

  afterAll(async () => {
    await system.stop();
  });

  it('refuses the preview and the sign-in right after the bulk call that removed the user, and admits one it added', async () => {
    const { userId, groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'mei', email: 'mei@example.com', firstname: 'Mei', lastname: 'Lin', password },
      'Field team',
    );
    assert.equal((await signIn(system, browser, appId, 'mei', password)).outcome, 'signed-in');

    // Others join in the same call, so the revoke is one event among many in the batch.
    const joining: string[] = [];
    for (let i = 0; i < 40; i++) {
      const person = { username: `joiner${i}`, email: `joiner${i}@example.com`, firstname: 'J', lastname: `${i}`, password };
      joining.push((await system.admin<{ id: string }>('POST', `${system.directoryUrl}/v1/users`, person, 201)).id);
    }
    const half = joining.length / 2;
    const answer = await system.admin<{ results: { userId: string; outcome: string }[] }>(
      'POST',
      `${system.directoryUrl}/v1/user-groups/${groupId}/members/bulk`,
      { add: joining.slice(0, half), remove: [userId] },
      200,
    );
    assert.deepEqual(answer.results.at(-1), { userId, op: 'remove', outcome: 'removed' });

    // From the 200 on, the IdP decides from all of the batch or not at all: each answer is either a
    // refusal to decide (503 NOT_FRESH, while it applies the batch) or a decision without Mei.
    const seen: string[] = [];
    await eventually(
      async () => {
        const res = await fetch(`${system.idpUrl}/v1/applications/${appId}/preview?userId=${userId}`, {
          headers: { 'x-api-key': BOOTSTRAP_KEY },
        });
        const body = (await res.json()) as { code?: string; wouldIssue?: boolean; blockers?: { reason: string }[] };
        seen.push(res.status === 200 ? `200 wouldIssue=${String(body.wouldIssue)}` : `${res.status} ${String(body.code)}`);
        assert.equal(res.status, 200);
        assert.deepEqual(
          body.blockers?.map((b) => b.reason),
          ['app_not_authorized'],
        );
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    assert.deepEqual(
      seen.filter((answer) => answer !== '503 NOT_FRESH' && answer !== '200 wouldIssue=false'),
      [],
      'an answer that decided from part of the batch',
    );
    const refused = await signIn(system, browser, appId, 'mei', password);
    assert.equal(refused.outcome, 'refused');
    assert.equal(refused.outcome === 'refused' && refused.status, 403);

    const last = joining[half - 1];
    const admitted = await system.admin<{ wouldIssue: boolean }>(
      'GET',
      `${system.idpUrl}/v1/applications/${appId}/preview?userId=${last}`,
      undefined,
      200,
    );
    assert.equal(admitted.wouldIssue, true);
  });
});
