// `npm run bench:breakdown`: where an existing user's login time goes. One extension server runs a
// bench-only login.js (bench/jsvm/login-steps.ts) that cuts the handler short after step N when
// asked by a request header; every step, the shipped handler, PocketBase without hooks and the
// no-op-hook server are timed login by login in rotating order, in the same run on one binary.
// The cost of step N is median(cut at N) - median(cut at N-1). Never part of pb_hooks/.
import { build } from 'esbuild';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NEWEST, selectVersions } from '../testkit/pocketbase-versions.js';
import { startPocketBase } from '../testkit/pocketbase.js';
import { hooksBuildOptions } from '../scripts/bundles.mjs';
import { benchUser, obtainCodes, type Code } from './codes.js';
import { machine } from './report.js';
import { startPair } from './servers.js';
import { warmUp } from './latency.js';
import { median, medianDiffInterval, quantile } from './stats.js';

const FAST_STEPS = ['clock', 'state', 'lookup', 'outage', 'mark: claims', 'mark: record stamp', 'mark: collection stamp', 'mark: groups generation', 'mark: hash', 'mark: compare', 'withhold', 'next', 'secrets', 'seal', 'write'];
const STEPS = ['next', 'state', 'claims', 'link', 'decision', 'membership', 'compare', 'profile', 'withhold', 'seal', 'upsert'];
const samples = Number(process.env['BREAKDOWN_SAMPLES'] ?? 100);
const batch = 4;
const log = (line: string) => process.stderr.write(`[breakdown] ${line}\n`);

async function stepHooks(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-authelia-steps-'));
  await cp(resolve('pb_hooks'), dir, { recursive: true });
  const options = hooksBuildOptions(join(dir, 'authelia'));
  await cp(resolve('bench/jsvm/timers.pb.js'), join(dir, 'bench-timers.pb.js'));
  await build({ ...options, absWorkingDir: process.cwd(), entryPoints: { login: resolve('bench/jsvm/login-steps.ts') } });
  return dir;
}

async function timedFloorHooks(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-authelia-floor-'));
  await cp(resolve('bench/jsvm/timers.pb.js'), join(dir, 'bench-timers.pb.js'));
  await writeFile(join(dir, 'floor.pb.js'), [
    'onRecordAuthWithOAuth2Request((e) => {',
    '  const started = Date.now();',
    '  e.next();',
    '  const ms = Date.now() - started;',
    "  e.app.store().setFunc('bench.timer.floor', (old) => (Array.isArray(old) ? [old[0] + ms, old[1] + 1] : [ms, 1]));",
    "}, 'users');",
    '',
  ].join('\n'));
  return dir;
}

async function exchange(serverUrl: string, code: Code, cut: string | undefined): Promise<number> {
  const body = JSON.stringify({ provider: 'oidc', code: code.code, codeVerifier: code.codeVerifier, redirectURL: code.redirectURL, createData: {} });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cut) headers['x-bench-cut'] = cut;
  const started = performance.now();
  const response = await fetch(`${serverUrl}/api/collections/users/auth-with-oauth2`, { method: 'POST', headers, body });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) throw new Error(`cut ${cut ?? 'none'} answered ${response.status}: ${text}`);
  return ms;
}

const [version] = selectVersions(process.env['BENCH_VERSIONS'], { variable: 'BENCH_VERSIONS', fallback: [NEWEST] });
const users = Array.from({ length: 50 }, (_, i) => benchUser(`user${i}`));
const before = machine();
const pair = await startPair(version!, users);
// The extension's server with the step-cutting login.js, on the port the IdP knows; the pair's own
// extension server is stopped (not timed).
await pair.servers.ext.stop();
const steps = await startPocketBase({ version: version!, env: pair.env, hooksDir: await stepHooks(), port: pair.ports.ext });
// The no-op-hook server again on its data dir, its handler timed like the cuts: PocketBase's own
// login work (e.next()) on a collection without the extension's fields and hooks.
const floorDataDir = pair.servers.floor.dataDir;
await pair.servers.floor.stop();
const floor = await startPocketBase({ version: version!, dataDir: floorDataDir, hooksDir: await timedFloorHooks(), port: pair.ports.floor });
// BREAKDOWN_ROW=<cut> (or `shipped`) times only the two baselines and that one row: the extension's
// server then takes one login in three, as in `npm run bench`, instead of most of them.
const only = process.env['BREAKDOWN_ROW'];
const all: Array<{ name: string; url: string; cut?: string }> = [
  ...STEPS.map((cut) => ({ name: cut, url: steps.url, cut })),
  { name: 'shipped handler', url: steps.url },
  { name: 'fast-path test only (state, mark, e.next())', url: steps.url, cut: 'mark' },
  { name: 'the fast path, each step timed', url: steps.url, cut: 'fast-steps' },
];
const variants: Array<{ name: string; url: string; cut?: string }> = [
  { name: 'PocketBase, no hooks', url: pair.servers.base.url },
  { name: 'no-op JS hook (floor)', url: floor.url, cut: 'floor' },
  ...(only ? all.filter((v) => (v.cut ?? 'shipped') === only) : all),
];
if (variants.length < 3) throw new Error(`BREAKDOWN_ROW=${only}: no such row (${[...STEPS, 'mark', 'fast-steps', 'shipped'].join(', ')})`);
const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
let queued = Number.NaN;
let timers: Record<string, [number, number]> = {};
try {
  log(`PocketBase ${version}: warming up 50 users`);
  // Twice: the first login creates each record, the second takes the full path of a linked user
  // (which the cuts assume has run once).
  await warmUp({ ...pair, servers: { ...pair.servers, ext: steps, floor } }, users);
  await warmUp({ ...pair, servers: { ...pair.servers, ext: steps, floor } }, users);
  await fetch(`${steps.url}/api/bench/timers?reset=1`);
  await fetch(`${floor.url}/api/bench/timers?reset=1`);
  let cursor = 0;
  for (let done = 0; done < samples; done += batch) {
    const wanted = [];
    for (let i = 0; i < batch; i++) {
      const user = users[cursor++ % users.length]!;
      for (const variant of variants) wanted.push({ serverUrl: variant.url, user });
    }
    const codes = await obtainCodes(pair.idp.issuer, wanted);
    for (let i = 0; i < batch; i++) {
      const step = done + i;
      for (let k = 0; k < variants.length; k++) {
        const index = (k + step) % variants.length;
        const variant = variants[index]!;
        times.get(variant.name)!.push(await exchange(variant.url, codes[i * variants.length + index]!, variant.cut));
      }
    }
    if (done % 20 === 0) log(`${done + batch}/${samples}`);
  }
  const status = await (await steps.superuser()).send('/api/authelia/status', {});
  queued = Number(status?.signOut?.revocationsQueued ?? Number.NaN);
  timers = {
    ...(await (await fetch(`${steps.url}/api/bench/timers`)).json() as Record<string, [number, number]>),
    ...(await (await fetch(`${floor.url}/api/bench/timers`)).json() as Record<string, [number, number]>),
  };
} finally {
  await steps.destroy();
  await floor.stop();
  await pair.close();
}

const after = machine();
const meanOf = (timer: [number, number] | undefined) => (timer ? timer[0] / timer[1] : undefined);
const base = times.get('PocketBase, no hooks')!;
// Two views of each step: end to end (the client's p50, which carries the IdP round trips and
// their noise) and inside PocketBase (the handler's own wall time, mean over the run: PocketBase has
// finished the code exchange and userinfo before it calls the handler, so only our JavaScript and
// PocketBase's own login work inside e.next() are in it).
const rows = [
  '| step (cut after) | p50 | p95 | p50 vs no hooks | this step, p50 − previous p50 [95% CI] | handler wall time inside PocketBase (mean) | this step inside PocketBase (mean − previous) |',
  '|---|---|---|---|---|---|---|',
];
let previous: number[] | undefined;
let previousInside: number | undefined;
for (const variant of variants) {
  const t = times.get(variant.name)!;
  const comparedTo = variant.name === 'shipped handler' ? (only ? 'no-op JS hook (floor)' : 'upsert') : variant.cut === 'mark' && !only ? 'next' : undefined;
  const against = comparedTo ? times.get(comparedTo)! : previous;
  const [low, high] = against ? medianDiffInterval(t, against) : [Number.NaN, Number.NaN];
  const step = against ? `${(median(t) - median(against)).toFixed(3)} ms [${low.toFixed(2)}, ${high.toFixed(2)}]` : '';
  const timer = variant.url === steps.url || variant.url === floor.url ? timers[variant.cut ?? 'shipped'] : undefined;
  const inside = timer ? timer[0] / timer[1] : undefined;
  // Inside PocketBase the shipped handler is set against the bare e.next(): all it adds of its own.
  const insideComparedTo = comparedTo ? 'next' : undefined;
  const insideBefore = insideComparedTo ? meanOf(timers[insideComparedTo]) : previousInside;
  const insideStep = inside !== undefined && insideBefore !== undefined ? `${(inside - insideBefore).toFixed(3)} ms${insideComparedTo ? ` (vs ${insideComparedTo})` : ''}` : '';
  rows.push(`| ${variant.name} | ${median(t).toFixed(3)} ms | ${quantile(t, 0.95).toFixed(2)} ms | ${(median(t) - median(base)).toFixed(3)} ms | ${step} | ${inside !== undefined ? `${inside.toFixed(3)} ms` : ''} | ${insideStep} |`);
  previous = t;
  previousInside = inside;
}

// The fast path's own steps, timed in nanoseconds inside the `fast-steps` row's logins.
const fastRows = FAST_STEPS.filter((step) => timers[`fast.${step}`]).map((step) => {
  const [total, count, squares] = timers[`fast.${step}`] as unknown as [number, number, number];
  const mean = total / count;
  const spread = Math.sqrt(Math.max(0, squares / count - mean * mean));
  return `| ${step} | ${mean.toFixed(3)} ms | ${spread.toFixed(3)} ms |`;
});
const fastTable = fastRows.length === 0 ? [] : [
  '',
  `The fast path step by step (row "the fast path, each step timed", mean of ${timers['fast.state']?.[1]} logins, Go's clock; every step includes the clock's own cost, the first row):`,
  '',
  '| fast-path step | mean inside PocketBase | standard deviation |',
  '|---|---|---|',
  ...fastRows,
];

const text = [
  `Breakdown, PocketBase ${version}, ${samples} interleaved logins per row, load average ${before.load} at start, ${after.load} at end (${new Date().toISOString()}).`,
  '',
  ...rows,
  ...fastTable,
  '',
  `Revocations queued in the app store at the end (previous grants replaced by logins, waiting for the minute's revocation job): ${queued}.`,
].join('\n');
process.stdout.write(`${text}\n`);
await writeFile(resolve(`.tmp/breakdown-${version}.md`), text);
