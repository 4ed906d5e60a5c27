/**
 * How fast the IdP applies a burst of events it did not have: the whole system (e2e/harness.ts),
 * BENCH_USERS people imported by CSV (not measured), then a bulk membership call of 1,000 ids and
 * one of the rest (9,000 by default), each a real change. Measured per call: from its 200 (every
 * event is in the stream) until the IdP's assertion preview for the last id of the call answers
 * 200 without app_not_authorized (the new membership counts), polled every 20 ms (503 NOT_FRESH until then: it refuses to decide
 * from part of the batch). docs/performance.md, "Bulk membership".
 *
 *   npm run bench:idp-apply   (PostgreSQL, and NATS JetStream on its usual local port)
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BOOTSTRAP_KEY, System } from '../../e2e/harness';

const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const FIRST_CALL = 1_000;

async function main(): Promise<void> {
  const system = new System('idpapply');
  await system.start();
  try {
    const { groupId, appId } = await system.personWithDemoSpAccess(
      { username: 'probe', email: 'probe@example.com', firstname: 'P', lastname: 'Robe', password: 'correct horse battery staple' },
      'Bulk',
    );
    // An import takes at most 5,000 rows.
    const ids: string[] = [];
    for (let from = 0; from < USERS; from += 5_000) {
      const count = Math.min(5_000, USERS - from);
      const csv = ['username,email', ...Array.from({ length: count }, (_, i) => `bulk${from + i},bulk${from + i}@example.com`)].join('\n');
      const imported = await fetch(`${system.directoryUrl}/v1/users/import`, {
        method: 'POST',
        headers: { 'x-api-key': BOOTSTRAP_KEY, 'content-type': 'text/csv' },
        body: csv,
        signal: AbortSignal.timeout(900_000),
      });
      const answer = (await imported.json()) as { created?: number; rows?: { id?: string }[] };
      if (answer.created !== count) throw new Error(`import answered ${imported.status}: ${JSON.stringify(answer).slice(0, 500)}`);
      ids.push(...(answer.rows ?? []).map((r) => r.id ?? ''));
    }
    const preview = async (userId: string) => {
      const res = await fetch(`${system.idpUrl}/v1/applications/${appId}/preview?userId=${userId}`, {
        headers: { 'x-api-key': BOOTSTRAP_KEY },
      });
      return { status: res.status, body: (await res.json()) as { blockers?: { reason: string }[] } };
    };
    // The import's events applied first: the calls below start from an IdP that is current.
    for (;;) {
      const { status } = await preview(ids[USERS - 1] ?? '');
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const batch of [ids.slice(0, FIRST_CALL), ids.slice(FIRST_CALL)]) {
      const load = loadavg()[0].toFixed(1);
      const res = await fetch(`${system.directoryUrl}/v1/user-groups/${groupId}/members/bulk`, {
        method: 'POST',
        headers: { 'x-api-key': BOOTSTRAP_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ add: batch }),
        signal: AbortSignal.timeout(300_000),
      });
      if (res.status !== 200) throw new Error(`bulk call answered ${res.status}: ${await res.text()}`);
      const answered = performance.now();
      let refused = 0;
      for (;;) {
        const { status, body } = await preview(batch.at(-1) ?? '');
        // Imported people have no password yet: the preview still names that, but no longer the group.
        if (status === 200 && !(body.blockers ?? []).some((b) => b.reason === 'app_not_authorized')) break;
        if (status !== 503) throw new Error(`preview answered ${status} before the membership: ${JSON.stringify(body)}`);
        refused += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const seconds = (performance.now() - answered) / 1000;
      console.log(
        `${batch.length} ids in one call: the IdP answered for the last one ${seconds.toFixed(2)} s after the call's 200 ` +
          `(${(batch.length / seconds).toFixed(0)} events/s; ${refused} previews refused with 503 meanwhile); load average ${load} before, ${loadavg()[0].toFixed(1)} after`,
      );
    }
    console.log(`${cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}`);
  } finally {
    await system.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
