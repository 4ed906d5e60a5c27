/** A set of times as sorted, disjoint half-open intervals [from, to); the bounds may be ±Infinity. */
export type IntervalSet = readonly (readonly [number, number])[];

export const EMPTY: IntervalSet = [];
export const ALWAYS: IntervalSet = [[-Infinity, Infinity]];

export function normalise(intervals: Iterable<readonly [number, number]>): IntervalSet {
  const sorted = [...intervals].filter(([from, to]) => from < to).sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

export function union(...sets: IntervalSet[]): IntervalSet {
  return normalise(sets.flat());
}

export function intersect(a: IntervalSet, b: IntervalSet): IntervalSet {
  const out: [number, number][] = [];
  for (const [af, at] of a)
    for (const [bf, bt] of b) if (Math.max(af, bf) < Math.min(at, bt)) out.push([Math.max(af, bf), Math.min(at, bt)]);
  return normalise(out);
}

/** Whether the set holds some time in the closed window [from, to]. */
export function meets(set: IntervalSet, from: number, to: number): boolean {
  return set.some(([f, t]) => f <= to && t > from);
}

/** Whether the set holds the time `at`. */
export function holds(set: IntervalSet, at: number): boolean {
  return set.some(([f, t]) => f <= at && at < t);
}
