// Items 3 and 4, measured on restarts of the data dirs the other phases used (migrations done,
// the extension's provider and fields already in place, 50 users):
// - boot: from spawning `pocketbase serve` to the first healthy /api/health (polled every ms);
// - cold cost: the first login of a fresh process runs in a JSVM runtime that never loaded
//   login.js; the next logins reuse that runtime (PocketBase hands sequential requests the
//   first free runtime of its pool). first - warm on the extension, minus the same difference
//   on the baseline (a fresh process has other first-time costs, e.g. the connection to the IdP).
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { pocketbaseBinary } from '../testkit/pocketbase-versions.js';
import { freePort } from '../testkit/pocketbase.js';
import { exchange, obtainCodes, type BenchUser } from './codes.js';
import { FLOOR_HOOKS, type Pair, type Side } from './servers.js';
import { median } from './stats.js';


interface Running {
  readonly bootMs: number;
  stop(): Promise<void>;
}

/** Starts `serve` on the side's data dir and port, as testkit/pocketbase.ts does. */
async function serve(pair: Pair, side: Side, env: Record<string, string> = {}): Promise<Running> {
  const dataDir = pair.servers[side].dataDir;
  const hooksDir = { ext: join(dataDir, 'pb_hooks'), base: join(dataDir, 'no-hooks'), floor: FLOOR_HOOKS }[side];
  const url = `http://127.0.0.1:${pair.ports[side]}`;
  const processEnv = { PATH: process.env['PATH'] ?? '', HOME: dataDir, ...(side === 'ext' ? pair.env : {}), ...env };
  const args = ['serve', '--dev=false', '--http', `127.0.0.1:${pair.ports[side]}`, '--dir', join(dataDir, 'pb_data'), '--hooksDir', hooksDir, '--hooksWatch=false'];
  const started = performance.now();
  const child = spawn(pocketbaseBinary(pair.version), args, { env: processEnv, stdio: 'ignore' });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let alive = true;
  void exited.then(() => (alive = false));
  for (;;) {
    if (!alive) throw new Error(`PocketBase (${side}) exited during boot`);
    if (performance.now() - started > 30_000) throw new Error(`PocketBase (${side}) not healthy within 30 s`);
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((done) => setTimeout(done, 1));
  }
  const bootMs = performance.now() - started;
  return {
    bootMs,
    stop: async () => {
      if (alive) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface RestartResult {
  readonly boot: Record<Side, number[]>;
  /** first login - median of the warm logins after it, per restart. */
  readonly coldExtra: Record<Side, number[]>;
  readonly first: Record<Side, number[]>;
  readonly warm: Record<Side, number[]>;
}

export async function restarts(pair: Pair, users: readonly BenchUser[], count: number, warmLogins = 8): Promise<RestartResult> {
  const sides: Side[] = ['ext', 'base', 'floor'];
  await Promise.all(sides.map((side) => pair.servers[side].stop()));
  const empty = () => ({ ext: [], base: [], floor: [] });
  const result: RestartResult = { boot: empty(), coldExtra: empty(), first: empty(), warm: empty() };
  for (let i = 0; i < count; i++) {
    const order = sides.map((_, k) => sides[(k + i) % sides.length]!);
    for (const side of order) {
      const serverUrl = pair.servers[side].url;
      const chosen = Array.from({ length: warmLogins + 1 }, (_, k) => users[(i * (warmLogins + 1) + k) % users.length]!);
      const codes = await obtainCodes(pair.idp.issuer, chosen.map((user) => ({ serverUrl, user })));
      const running = await serve(pair, side);
      try {
        const times: number[] = [];
        for (const code of codes) {
          const login = await exchange(serverUrl, code);
          if (login.status !== 200) throw new Error(`login after restart (${side}) answered ${login.status}`);
          times.push(login.ms);
        }
        const [first, ...warm] = times as [number, ...number[]];
        result.boot[side].push(running.bootMs);
        result.first[side].push(first);
        result.warm[side].push(median(warm));
        result.coldExtra[side].push(first - median(warm));
      } finally {
        await running.stop();
      }
    }
  }
  return result;
}

export interface UnreachableResult {
  /** Discovery URL accepts connections and never answers (the worst case). */
  readonly hangingMs: number;
  readonly hangingTimeout1sMs: number;
  /** Nothing listens: connection refused at once. */
  readonly refusedMs: number;
}

/** Boots the extension with AUTHELIA_URL on an unreachable IdP (rewrites its provider: run last). */
export async function unreachableBoots(pair: Pair): Promise<UnreachableResult> {
  const sockets = new Set<import('node:net').Socket>();
  const hanging: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((done) => hanging.listen(0, '127.0.0.1', done));
  const hangingUrl = `http://127.0.0.1:${(hanging.address() as { port: number }).port}`;
  const bootWith = async (env: Record<string, string>) => {
    const running = await serve(pair, 'ext', env);
    await running.stop();
    return running.bootMs;
  };
  try {
    const hangingMs = await bootWith({ AUTHELIA_URL: hangingUrl });
    const hangingTimeout1sMs = await bootWith({ AUTHELIA_URL: hangingUrl, AUTHELIA_DISCOVERY_TIMEOUT: '1' });
    const refusedMs = await bootWith({ AUTHELIA_URL: `http://127.0.0.1:${await freePort()}` }); // nothing listens there
    return { hangingMs, hangingTimeout1sMs, refusedMs };
  } finally {
    for (const socket of sockets) socket.destroy();
    hanging.close();
  }
}
