// `npm run bench`: the extension against PocketBase's built-in OIDC, same binary, same IdP,
// same run, samples interleaved. Prints a table and writes bench/results.md.
// BENCH_VERSIONS=0.38.2,0.28.4 picks the PocketBase versions; BENCH_QUICK=1 runs a short smoke pass.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NEWEST, OLDEST, selectVersions } from '../testkit/pocketbase-versions.js';
import { restarts, unreachableBoots } from './boot.js';
import { benchUser } from './codes.js';
import { loginLatency, warmUp } from './latency.js';
import { machine, render, type VersionResult } from './report.js';
import { startPair } from './servers.js';
import { codeSizes } from './sizes.js';
import { summarize } from './stats.js';
import { throughput } from './throughput.js';
import { unrelatedRequests } from './unrelated.js';
import { savesPerLogin } from './writes.js';
import { renderRevalidation, revalidationBench } from './revalidation.js';

const quick = process.env['BENCH_QUICK'] === '1';
const versions = selectVersions(process.env['BENCH_VERSIONS'], { variable: 'BENCH_VERSIONS', fallback: [NEWEST, OLDEST] });
// Per version; the oldest gets fewer samples to keep the whole run near 5 minutes.
const plan = (version: string) => {
  const full = !quick && version === versions[0];
  return {
    existing: { repeats: 3, perRepeat: quick ? 20 : full ? 120 : 60, batch: 15, floor: true },
    fresh: { repeats: 3, perRepeat: quick ? 5 : full ? 100 : 40, batch: 10, floor: false },
    unrelated: { repeats: 3, perRepeat: quick ? 100 : full ? 1000 : 500 },
    unrelatedWrites: { repeats: 3, perRepeat: quick ? 50 : full ? 300 : 150 },
    throughputRounds: quick ? 2 : full ? 6 : 4,
    restarts: quick ? 2 : full ? 10 : 6,
  };
};

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
const started = performance.now();
const before = machine();
const sizes = await codeSizes();
const users = Array.from({ length: 50 }, (_, i) => benchUser(`user${i}`));
const results: VersionResult[] = [];

for (const version of versions) {
  const p = plan(version);
  log(`PocketBase ${version}: starting the IdP, the extension's server, the baseline and the no-op-hook server`);
  const pair = await startPair(version, users);
  try {
    // Twice: the first login creates each record, the second takes the full path of a linked user
    // and leaves the fast path's mark, so "existing user" means what a returning user meets.
    log('signing 50 users in twice on every server');
    await warmUp(pair, users);
    await warmUp(pair, users);
    log(`login latency, existing users (${p.existing.repeats} x ${p.existing.perRepeat} per server)`);
    const existing = await loginLatency(pair, 'existing', users, p.existing);
    log(`login latency, new users (${p.fresh.repeats} x ${p.fresh.perRepeat} per server)`);
    const fresh = await loginLatency(pair, 'new', users, p.fresh);
    log(`unrelated requests (${p.unrelated.repeats} x ${p.unrelated.perRepeat} per server)`);
    const unrelated = await unrelatedRequests(pair, p.unrelated);
    log(`unrelated record writes (${p.unrelatedWrites.repeats} x ${p.unrelatedWrites.perRepeat} per server)`);
    const unrelatedWrites = await unrelatedRequests(pair, p.unrelatedWrites, 'create');
    log(`throughput (${p.throughputRounds} bursts of ${users.length} per server)`);
    const burst = await throughput(pair, users, p.throughputRounds);
    log('record saves per login');
    const writes = await savesPerLogin(pair, users[0]!);
    log(`boot and cold first login (${p.restarts} restarts per server)`);
    const restart = await restarts(pair, users, p.restarts);
    log('boot with an unreachable IdP');
    const unreachable = await unreachableBoots(pair);
    results.push({
      version,
      existing: summarize(existing),
      fresh: summarize(fresh),
      unrelated: summarize(unrelated),
      unrelatedWrites: summarize(unrelatedWrites),
      throughput: burst,
      writes,
      restart,
      unreachable,
    });
  } finally {
    await pair.close();
  }
}

// Revalidation after the login: auth-refresh (not due, due) against the built-in, and the sweep's pace.
const revalidation: string[] = [];
for (const version of versions) {
  log(`PocketBase ${version}: revalidation after the login`);
  revalidation.push(renderRevalidation(version, await revalidationBench(version, { users: quick ? 20 : 50, notDueRounds: 3, dueRounds: quick ? 2 : 3 })));
}

const analysis = await readFile(resolve('bench/analysis.md'), 'utf8').catch(() => '');
const report = render({ results, sizes, machine: before, after: machine(), seconds: (performance.now() - started) / 1000, quick, analysis });
process.stdout.write(`${report.console}\n\n${revalidation.join('\n')}\n`);
if (!quick) await writeFile(resolve('bench/results.md'), `${report.markdown}\n${revalidation.join('\n')}`);
log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s${quick ? ' (quick pass: bench/results.md not written)' : '; wrote bench/results.md'}`);
