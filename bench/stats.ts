// Order statistics and a bootstrap interval for the difference of two medians.

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);
export const p95 = (values: readonly number[]): number => quantile(values, 0.95);

/** Deterministic PRNG so that two runs on the same samples print the same interval. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resample(values: readonly number[], random: () => number): number[] {
  return values.map(() => values[Math.floor(random() * values.length)]!);
}

/** 95 % bootstrap interval of median(a) - median(b). */
export function medianDiffInterval(a: readonly number[], b: readonly number[], rounds = 1000): [number, number] {
  const random = mulberry32(42);
  const diffs: number[] = [];
  for (let i = 0; i < rounds; i++) diffs.push(median(resample(a, random)) - median(resample(b, random)));
  return [quantile(diffs, 0.025), quantile(diffs, 0.975)];
}

export interface Comparison {
  readonly ext: readonly number[];
  readonly base: readonly number[];
  /** Diagnostic: a server with a no-op JS hook on the same path (empty when not measured). */
  readonly floor?: readonly number[];
  /** Medians of each repetition (ext, base), to show run-to-run noise. */
  readonly repeats: ReadonlyArray<{ ext: number; base: number }>;
}

export function summarize(c: Comparison) {
  const extMedian = median(c.ext);
  const baseMedian = median(c.base);
  return {
    n: Math.min(c.ext.length, c.base.length),
    ext: { p50: extMedian, p95: p95(c.ext) },
    base: { p50: baseMedian, p95: p95(c.base) },
    floor: c.floor?.length ? { p50: median(c.floor), p95: p95(c.floor) } : undefined,
    ratio: extMedian / baseMedian,
    diffMs: extMedian - baseMedian,
    diffInterval: medianDiffInterval(c.ext, c.base),
    repeatRatios: c.repeats.map((r) => r.ext / r.base),
  };
}
export type Summary = ReturnType<typeof summarize>;
