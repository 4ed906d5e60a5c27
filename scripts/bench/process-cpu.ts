import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system, microseconds) of groups of processes, read from Linux's /proc: the
 * SSO benchmark uses it to show where the machine's time per sign-in goes (the IdP, PostgreSQL,
 * NATS, the benchmark client). Elsewhere (no /proc) every figure is undefined.
 */
export type CpuGroups = Record<string, () => number[]>;

const TICK_US = 10_000; // USER_HZ is 100 on Linux.

function processCpuUs(pid: number): number {
  try {
    // Fields after the command (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_US;
  } catch {
    return 0;
  }
}

/** Every process whose command name is `name` (e.g. all PostgreSQL backends). */
export function pidsNamed(name: string): number[] {
  return readdirSafe('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
}

/** Starts counting; the returned function gives each group's CPU microseconds since then. */
export function cpuMeter(groups: CpuGroups): () => Record<string, number | undefined> {
  const hasProc = readdirSafe('/proc').length > 0;
  const read = () =>
    Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, new Map(pids().map((pid) => [pid, processCpuUs(pid)]))]));
  const before = read();
  const self = process.cpuUsage();
  return () => {
    const after = read();
    const result: Record<string, number | undefined> = {};
    for (const [name, pids] of Object.entries(after)) {
      let total = 0;
      // A process that started during the run counts from zero; one that ended is lost (rare here).
      for (const [pid, us] of pids) total += us - (before[name].get(pid) ?? 0);
      result[name] = hasProc ? total : undefined;
    }
    const mine = process.cpuUsage(self);
    result['benchmark client'] = mine.user + mine.system;
    return result;
  };
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
