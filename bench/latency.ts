// Items 1 and 2: latency of the code exchange, extension vs baseline, interleaved login by login.
import { benchUser, exchange, obtainCodes, type BenchUser } from './codes.js';
import type { Pair, Side } from './servers.js';
import { median, type Comparison } from './stats.js';

export interface LatencyOptions {
  readonly repeats: number;
  readonly perRepeat: number;
  /** Logins per side per batch of codes: small enough that every code is used well within its 60 s. */
  readonly batch: number;
  /** Also time the diagnostic `floor` server (no-op JS login hook). */
  readonly floor: boolean;
}

let newUsers = 0;

/**
 * `existing`: users who logged in before (groups unchanged); `new`: a brand-new IdP user per
 * step, new to every server, so each login creates the record. The order of the servers
 * rotates at each step, so no side always runs right after the IdP's code work.
 */
export async function loginLatency(pair: Pair, kind: 'existing' | 'new', existing: readonly BenchUser[], options: LatencyOptions): Promise<Comparison> {
  const sides: Side[] = options.floor ? ['ext', 'base', 'floor'] : ['ext', 'base'];
  const all: Record<Side, number[]> = { ext: [], base: [], floor: [] };
  const repeats = [];
  let cursor = 0;
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const round: Record<Side, number[]> = { ext: [], base: [], floor: [] };
    for (let done = 0; done < options.perRepeat; done += options.batch) {
      const count = Math.min(options.batch, options.perRepeat - done);
      const users = Array.from({ length: count }, () => (kind === 'existing' ? existing[cursor++ % existing.length]! : freshUser(pair)));
      const codes = await obtainCodes(pair.idp.issuer, users.flatMap((user) => sides.map((side) => ({ serverUrl: pair.servers[side].url, user }))));
      for (let i = 0; i < count; i++) {
        const step = done + i;
        const order = sides.map((_, k) => sides[(k + step) % sides.length]!);
        for (const side of order) {
          const result = await exchange(pair.servers[side].url, codes[i * sides.length + sides.indexOf(side)]!);
          if (result.status !== 200) throw new Error(`${kind}-user login on ${side} answered ${result.status}`);
          if (result.isNew !== (kind === 'new')) throw new Error(`${kind}-user login on ${side} had isNew=${result.isNew}`);
          round[side].push(result.ms);
        }
      }
    }
    repeats.push({ ext: median(round.ext), base: median(round.base) });
    for (const side of sides) all[side].push(...round[side]);
  }
  return { ext: all.ext, base: all.base, floor: all.floor, repeats };
}

function freshUser(pair: Pair): BenchUser {
  const user = benchUser(`new${++newUsers}`);
  pair.idp.setUser(user);
  return user;
}

/** Logs every user in once on every server (4 at a time), so that later logins are "existing user" logins. */
export async function warmUp(pair: Pair, users: readonly BenchUser[]): Promise<void> {
  const servers = Object.values(pair.servers);
  for (let start = 0; start < users.length; start += 10) {
    const wanted = users.slice(start, start + 10).flatMap((user) => servers.map((server) => ({ serverUrl: server.url, user })));
    const codes = await obtainCodes(pair.idp.issuer, wanted);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < codes.length; i = next++) {
        const result = await exchange(wanted[i]!.serverUrl, codes[i]!);
        if (result.status !== 200) throw new Error(`warm-up login answered ${result.status} at ${wanted[i]!.serverUrl}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }
}
