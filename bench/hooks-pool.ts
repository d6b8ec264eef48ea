// `npm run bench:hooks-pool`: the burst of item 5 with PocketBase's JS runtime pool at its default
// (15) and raised with `--hooksPool`, in one run on one binary. Bursts rotate between the servers
// (extension, built-in, no-op JS hook) within each phase; the raised phase restarts the two JS
// servers on their data dirs with the flag and discards one burst per server first (it fills the pool).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NEWEST, selectVersions } from '../testkit/pocketbase-versions.js';
import { startPocketBase, type PocketBaseServer } from '../testkit/pocketbase.js';
import { benchUser } from './codes.js';
import { warmUp } from './latency.js';
import { machine } from './report.js';
import { FLOOR_HOOKS, startPair, type Pair, type Side } from './servers.js';
import { median } from './stats.js';
import { burst, type Burst } from './throughput.js';

const POOL = Number(process.env['BENCH_HOOKS_POOL'] ?? 60);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 6);
const log = (line: string) => process.stderr.write(`[hooks-pool] ${line}\n`);
const sides: Side[] = ['ext', 'base', 'floor'];

async function phase(pair: Pair, users: ReturnType<typeof benchUser>[]): Promise<Record<Side, Burst[]>> {
  const out: Record<Side, Burst[]> = { ext: [], base: [], floor: [] };
  for (const side of sides) await burst(pair, side, users); // fills the pool; not counted
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(k + round) % sides.length]!;
      out[side].push(await burst(pair, side, users));
    }
  }
  return out;
}

const [version] = selectVersions(process.env['BENCH_VERSIONS'], { variable: 'BENCH_VERSIONS', fallback: [NEWEST] });
const users = Array.from({ length: 50 }, (_, i) => benchUser(`user${i}`));
const before = machine();
const pair = await startPair(version!, users);
const started: PocketBaseServer[] = [];
let results: Array<{ pool: string; bursts: Record<Side, Burst[]> }> = [];
try {
  log(`PocketBase ${version}: warming up 50 users`);
  await warmUp(pair, users);
  log(`bursts, default pool (${ROUNDS} per server)`);
  results.push({ pool: 'default (15)', bursts: await phase(pair, users) });
  await pair.servers.ext.stop();
  await pair.servers.floor.stop();
  const args = [`--hooksPool=${POOL}`];
  const ext = await startPocketBase({ version: version!, port: pair.ports.ext, dataDir: pair.servers.ext.dataDir, env: pair.env, args });
  const floor = await startPocketBase({ version: version!, port: pair.ports.floor, dataDir: pair.servers.floor.dataDir, hooksDir: FLOOR_HOOKS, args });
  started.push(ext, floor);
  log(`bursts, --hooksPool=${POOL} (${ROUNDS} per server)`);
  results.push({ pool: `--hooksPool=${POOL}`, bursts: await phase({ ...pair, servers: { ...pair.servers, ext, floor } }, users) });
} finally {
  for (const server of started) await server.stop();
  await pair.close();
}

const after = machine();
const rate = (bursts: Burst[]) => median(bursts.map((b) => b.loginsPerSecond));
const errors = (bursts: Burst[]) => bursts.reduce((n, b) => n + b.errors, 0);
const rows = ['| JS runtime pool | extension logins/s | built-in logins/s | no-op JS hook logins/s | extension / built-in | no-op hook / built-in | errors (ext, built-in, no-op) |', '|---|---|---|---|---|---|---|'];
for (const { pool, bursts } of results) {
  const [ext, base, floor] = [rate(bursts.ext), rate(bursts.base), rate(bursts.floor)];
  rows.push(`| ${pool} | ${ext.toFixed(0)} | ${base.toFixed(0)} | ${floor.toFixed(0)} | ${(ext / base).toFixed(3)} | ${(floor / base).toFixed(3)} | ${errors(bursts.ext)}, ${errors(bursts.base)}, ${errors(bursts.floor)} |`);
}
const text = [
  `Bursts of ${users.length} concurrent existing-user logins, PocketBase ${version}, median of ${ROUNDS} bursts per server and pool size, load average ${before.load} at start, ${after.load} at end (${new Date().toISOString()}).`,
  '',
  ...rows,
].join('\n');
process.stdout.write(`${text}\n`);
await writeFile(resolve(`.tmp/hooks-pool-${version}.md`), text);
