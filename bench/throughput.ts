// Item 5: 50 logins of existing users fired at once; codes are obtained first, then only the
// exchanges run concurrently. Rounds alternate between the servers.
import { exchange, obtainCodes, type BenchUser } from './codes.js';
import type { Pair, Side } from './servers.js';
import { median } from './stats.js';

export interface Burst {
  readonly loginsPerSecond: number;
  readonly errors: number;
  readonly p50: number;
  readonly p95: number;
}

export interface ThroughputResult {
  readonly concurrency: number;
  readonly ext: Burst[];
  readonly base: Burst[];
  /** Diagnostic: the no-op JS hook server. */
  readonly floor: Burst[];
}

export async function burst(pair: Pair, side: Side, users: readonly BenchUser[]): Promise<Burst> {
  const serverUrl = pair.servers[side].url;
  const codes = await obtainCodes(pair.idp.issuer, users.map((user) => ({ serverUrl, user })), 8);
  const started = performance.now();
  const results = await Promise.all(codes.map((code) => exchange(serverUrl, code).catch(() => ({ ms: Number.NaN, status: 0, isNew: false }))));
  const seconds = (performance.now() - started) / 1000;
  const ok = results.filter((r) => r.status === 200);
  const times = ok.map((r) => r.ms).sort((a, b) => a - b);
  return {
    loginsPerSecond: ok.length / seconds,
    errors: results.length - ok.length,
    p50: median(times),
    p95: times[Math.floor(0.95 * (times.length - 1))] ?? Number.NaN,
  };
}

export async function throughput(pair: Pair, users: readonly BenchUser[], rounds: number): Promise<ThroughputResult> {
  const result: ThroughputResult = { concurrency: users.length, ext: [], base: [], floor: [] };
  const sides: Side[] = ['ext', 'base', 'floor'];
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, k) => sides[(k + round) % sides.length]!);
    for (const side of order) result[side].push(await burst(pair, side, users));
  }
  return result;
}
