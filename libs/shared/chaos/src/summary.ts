import type { CheckReport } from './checker';
import type { History } from './history';

const pct = (share: number) => `${(share * 100).toFixed(2)}%`;
const ms = (value: number | null) => (value === null ? '-' : `${Math.round(value)} ms`);

/** The report as a person reads it: counts, shares, recovery per fault kind, each goal met or missed, then the anomalies. */
export function summarise(history: History, report: CheckReport): string {
  const { signIns, admin, followUps } = report.ops;
  const total = signIns.issued + signIns.denied + signIns.unavailable + signIns.error;
  const { insideFaults: inside, outsideFaults: outside, steady } = report.availability;
  const answered = history.ops
    .filter((o) => o.type === 'sign-in' && (o.outcome === 'issued' || o.outcome === 'denied'))
    .map((o) => o.completeMs - o.invokeMs)
    .sort((a, b) => a - b);
  const quantile = (q: number) =>
    answered.length ? ms(answered[Math.min(answered.length - 1, Math.floor(answered.length * q))] ?? 0) : '-';
  const lines = [
    `chaos run: seed ${history.seed}, ${history.seconds} s, ${String(history.setup.nats)} NATS, instances ${(history.setup.instances as string[]).join(' ')}`,
    ...(Object.keys((history.setup.env as Record<string, string> | undefined) ?? {}).length
      ? [
          `environment: ${Object.entries(history.setup.env as Record<string, string>)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        ]
      : []),
    `sign-ins ${total}: issued ${signIns.issued}, denied ${signIns.denied}, unavailable ${signIns.unavailable}, other ${signIns.error}; ${followUps} right after an admin 2xx`,
    `admin changes ${admin.ok + admin.fail + admin.info}: acknowledged ${admin.ok}, refused ${admin.fail}, unknown (5xx, cut, timeout) ${admin.info}`,
    `faults ${history.faults.length}`,
    '',
    `safety: stale ${report.stale.length}, refused from stale state ${report.refusedWhileGranted.length}, lost ${report.lost.length}, phantom ${report.phantom.length}, unverified ${report.unverified.length}`,
    `answered inside fault windows:  ${pct(inside.share)} of ${inside.signIns} (${inside.unavailable} unavailable, ${inside.errors} other)`,
    `answered outside fault windows: ${pct(outside.share)} of ${outside.signIns} (${outside.unavailable} unavailable, ${outside.errors} other)`,
    `  of which steady (not within 2 s of a heal): ${pct(steady.share)} of ${steady.signIns} (${steady.unavailable} unavailable, ${steady.errors} other)`,
    ...report.availability.byOrganization.map(
      (o) =>
        `  organisation ${o.name}: inside ${pct(o.insideFaults.share)} of ${o.insideFaults.signIns}, outside ${pct(o.outsideFaults.share)} of ${o.outsideFaults.signIns}, steady ${pct(o.steady.share)} of ${o.steady.signIns}`,
    ),
    `sign-in latency (answered): p50 ${quantile(0.5)}, p99 ${quantile(0.99)}`,
    '',
    'recovery after each kind of fault (heal to sign-ins answered again):',
    ...Object.entries(report.byKind).map(
      ([kind, f]) =>
        `  ${kind.padEnd(24)} ${String(f.faults).padStart(3)} faults  p50 ${ms(f.p50Ms).padStart(8)}  max ${ms(f.maxMs).padStart(8)}  not recovered ${f.notRecovered}`,
    ),
    '',
    'goals:',
    ...report.goals.map((g) => `  [${g.met ? 'met' : 'MISSED'}] ${g.safety ? '(safety) ' : ''}${g.name}: ${g.detail}`),
  ];
  const listed = (title: string, items: { message: string; opId?: number }[]) =>
    items.length
      ? [
          '',
          `${title}:`,
          ...items.slice(0, 20).map((a) => `  ${a.opId === undefined ? '' : `#${a.opId} `}${a.message}`),
          ...(items.length > 20 ? [`  ... ${items.length - 20} more`] : []),
        ]
      : [];
  lines.push(
    ...listed('stale', report.stale),
    ...listed('refused from stale state', report.refusedWhileGranted),
    ...listed('lost', report.lost),
    ...listed('phantom', report.phantom),
    ...listed('unverified', report.unverified),
    ...listed('unexpected answers', report.unexpected),
  );
  return `${lines.join('\n')}\n`;
}
