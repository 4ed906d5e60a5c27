import assert from 'node:assert/strict';
import { runChaos, type ChaosResult } from '@jit/chaos';

/**
 * A short run of the fault suite (`npm run chaos`, docs/reliability.md) with a fixed seed: two
 * instances of the directory, the catalog and the IdP on a private PostgreSQL and NATS, admin
 * changes and sign-ins while the nemesis kills, pauses and partitions. The safety properties must
 * hold on any machine; the goals of service (availability, recovery) depend on its load, so they
 * are printed, not asserted: longer runs and their figures are in docs/reliability.md.
 */
describe('the fault suite, a short run', () => {
  let result: ChaosResult;

  // Starting six services and the restarts take minutes on a loaded machine: more than jest's default here.
  beforeAll(async () => {
    result = await runChaos({ seconds: 30, seed: 2026, log: () => undefined });
    console.log(`${result.summary}\n${result.dir}`);
  }, 400_000);

  it('recorded a history worth checking: decisions both ways, follow-up sign-ins after 2xx, acknowledged changes and faults', () => {
    const { signIns, admin, followUps } = result.report.ops;
    assert.ok(signIns.issued >= 10, `issued ${signIns.issued}`);
    assert.ok(signIns.denied >= 10, `denied ${signIns.denied}`);
    assert.ok(followUps >= 10, `follow-ups ${followUps}`);
    assert.ok(admin.ok >= 20, `acknowledged changes ${admin.ok}`);
    assert.ok(result.history.faults.length >= 3, `faults: ${result.history.faults.map((f) => f.kind).join(', ')}`);
  });

  it('found nothing stale, lost or phantom, and read the final state back from every instance', () => {
    const failed = result.report.goals.filter((g) => g.safety && !g.met);
    assert.deepEqual(
      failed.map((g) => `${g.name}: ${g.detail}`),
      [],
      result.summary,
    );
    assert.equal(result.history.final?.idpViews.length, 2);
  });
});
