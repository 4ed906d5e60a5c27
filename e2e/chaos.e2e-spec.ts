import assert from 'node:assert/strict';
import { runChaos, type ChaosResult } from '@jit/chaos';

/**
 * A short run of the fault suite (`npm run chaos`, docs/reliability.md) with a fixed seed: two
 * instances of the directory, the catalog and the IdP on a private PostgreSQL and NATS, admin
 * changes and sign-ins in two organisations while the nemesis kills, pauses and partitions. The
 * safety properties must hold on any machine; the goals of service (availability, recovery)
 * depend on its load, so they are printed, not asserted: longer runs and their figures are in
 * docs/reliability.md.
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

  it('spread the work over two organisations: each had changes acknowledged and sign-ins issued', () => {
    const organizations = result.history.model.organizations ?? [];
    assert.equal(organizations.length, 2);
    assert.notEqual(organizations[0]?.id, organizations[1]?.id);
    for (const organization of organizations) {
      const mine = new Set([...organization.users, ...organization.groups, ...organization.apps]);
      // A register is its kind, then the ids it combines (history.ts).
      const ofMine = (register: string) =>
        register
          .split(':')
          .slice(1)
          .every((id) => mine.has(id));
      const acknowledged = result.history.ops.filter((o) => o.type === 'admin' && o.result === 'ok' && ofMine(o.register));
      const issued = result.history.ops.filter((o) => o.type === 'sign-in' && o.outcome === 'issued' && mine.has(o.appId));
      assert.ok(acknowledged.length >= 5, `${organization.name}: acknowledged changes ${acknowledged.length}`);
      assert.ok(issued.length >= 5, `${organization.name}: issued ${issued.length}`);
    }
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
