// The sweep at 10,000 linked records, against the stand-in (testkit/idp.ts, in a process of its own:
// bench/scale-idp.ts) on loopback: how long one run of the default schedule takes, how evenly it
// sends its requests, what it does to an unrelated request and to an interactive login meanwhile
// (p95, against the same load outside the runs), PocketBase's memory before and after the run, and
// what the linked records cost the database. The records are written straight into the database
// (a login each would take an hour of bcrypt), with real tokens the stand-in minted for them.
// Two runs of the schedule, ten minutes apart: the first after the start fills SQLite's page cache
// with the records it reads and loads the sweep's code (reported on its own); the second is what
// every later run is, and gives the figures.
import { fork, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLIENT_SECRET } from '../testkit/client.js';
import type { IdpRequest } from '../testkit/idp.js';
import { freePort, startPocketBase, type PocketBaseServer } from '../testkit/pocketbase.js';
import { ssoLogin } from '../testkit/sso-login.js';
import { benchUser, obtainCode, type BenchUser } from './codes.js';
import type { ScaleIdpMessage, ScaleIdpReply } from './scale-idp.js';
import { seededSubject, seededUsername } from './scale-idp.js';
import { POSTS } from './servers.js';
import { median, p95 } from './stats.js';

const run = promisify(execFile);
const WITH_OFFLINE_ACCESS = 'openid email profile groups offline_access';
const SEEDED = 'scale';
/** Users who sign in for real (twice each before the measure) and sign in again during it. */
const LIVE_USERS = 50;
/** Requests of the two loads that run before, during and after the sweep. */
const UNRELATED_EVERY_MS = 100;
const LOGIN_EVERY_MS = 1_000;
/** Time before the first run for the setup (seeding), and the idle measure after the second. */
const BEFORE_RUN_MS = 100_000;
const IDLE_AFTER_MS = 150_000;
/** AUTHELIA_SWEEP's default interval: the second run starts this long after the first. */
const INTERVAL_MS = 600_000;
/** Bins of the request rate: peak over mean of these. */
const BIN_MS = 10_000;

export interface ScaleOptions {
  readonly version: string;
  /** Linked records in all: the live users' and the ones written straight into the database. */
  readonly records: number;
  /** Time before the run for the setup and the idle measure, and the idle measure after it. */
  readonly beforeRunMs?: number;
  readonly idleAfterMs?: number;
  readonly log: (line: string) => void;
}

export interface SweepRunReport {
  readonly at: string;
  readonly durationMs: number;
  readonly checked: number;
  readonly updated: number;
  readonly ended: number;
  readonly undecided: number;
  readonly failed: number;
  readonly unfinished: boolean;
  readonly remaining: number;
  readonly pacing: { readonly records: number; readonly windowMs: number; readonly gapMs: number; readonly busyMs: number };
}

export interface ScaleResult {
  readonly version: string;
  readonly linked: number;
  readonly schedule: string;
  readonly run: SweepRunReport;
  /** Requests the run sent: refresh grants and userinfo calls (the interactive logins' own left out). */
  readonly requests: { readonly total: number; readonly refresh: number; readonly userinfo: number };
  readonly rate: { readonly binSeconds: number; readonly peak: number; readonly mean: number; readonly peakToMean: number };
  readonly unrelated: LoadFigures;
  readonly login: LoadFigures;
  readonly rssKb: { readonly before: number; readonly after: number; readonly growth: number };
  /** The first run after PocketBase started: its length and what it added to PocketBase's memory. */
  /** Interactive logins PocketBase refused during the whole measure (none expected). */
  readonly failedLogins: ReadonlyArray<{ at: number; status: number; body: string }>;
  readonly firstRun: { readonly durationMs: number; readonly checked: number; readonly rssKb: { readonly before: number; readonly after: number; readonly growth: number } };
  readonly databaseBytesPer1000: number;
  readonly load: { readonly before: string; readonly after: string };
}

export interface LoadFigures {
  readonly idle: { readonly n: number; readonly p50: number; readonly p95: number };
  readonly during: { readonly n: number; readonly p50: number; readonly p95: number };
  readonly p95Ratio: number;
}

interface Sample {
  readonly at: number;
  readonly ms: number;
}

export async function sweepAtScale(options: ScaleOptions): Promise<ScaleResult> {
  const { log } = options;
  const seededCount = options.records - LIVE_USERS;
  const loadBefore = loadAverage();
  const idp = await ScaleIdp.start();
  const servers: PocketBaseServer[] = [];
  try {
    const port = await freePort();
    const liveUsers = Array.from({ length: LIVE_USERS }, (_, i) => benchUser(`live${i}`, ['staff']));
    const issuer = await idp.begin(liveUsers, seededCount, [`http://127.0.0.1:${port}/api/oauth2-redirect`]);
    const firstFire = firstFireAfter(Date.now() + (options.beforeRunMs ?? BEFORE_RUN_MS));
    const fireAt = firstFire + INTERVAL_MS;
    const schedule = `${new Date(firstFire).getUTCMinutes() % 10}-59/10 * * * *`;
    const tokenKey = randomBytes(16).toString('hex');
    const pb = await startPocketBase({
      version: options.version,
      port,
      env: {
        AUTHELIA_URL: issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_TOKEN_KEY: tokenKey,
        AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_SWEEP: schedule,
      },
      extraHooks: { 'bench-seed.pb.js': SEED_HOOK },
    });
    servers.push(pb);
    const superuser = await pb.superuser();
    await superuser.collections.create({ name: POSTS, type: 'base', listRule: '', viewRule: '', createRule: '', fields: [{ name: 'title', type: 'text' }] });
    for (let i = 0; i < 20; i++) await superuser.collection(POSTS).create({ title: `post ${i}` });

    log(`sweep at scale: ${LIVE_USERS} users sign in twice, ${seededCount} records written with minted tokens; the sweep (${schedule}) runs at ${new Date(firstFire).toISOString()} and ${new Date(fireAt).toISOString()}`);
    for (let round = 0; round < 2; round++) for (const user of liveUsers) await ssoLogin(pb.url, user, { scopes: WITH_OFFLINE_ACCESS });
    const bytesBefore = await tableBytes(pb);
    await seed(pb, idp, seededCount, firstFire);
    const bytesAfter = await tableBytes(pb);
    const databaseBytesPer1000 = ((bytesAfter - bytesBefore) / seededCount) * 1000;

    // The same two loads before, during and after the run: one unrelated request every 100 ms, one login every second.
    const loads = new Loads(pb, issuer, liveUsers);
    loads.start();
    await sleepUntil(firstFire - 2_000);
    const firstBefore = rssKb(pb);
    const first = await nextRun(pb, firstFire - 1_000);
    const firstAfter = rssKb(pb);
    const firstEnd = Date.parse(first.at) + first.durationMs;
    log(`sweep at scale: the first run took ${(first.durationMs / 1000).toFixed(1)} s (checked ${first.checked}, updated ${first.updated}); PocketBase RSS ${firstBefore} → ${firstAfter} kB; idle until the second`);
    await sleepUntil(fireAt - 2_000);
    const rssBefore = rssKb(pb);
    log(`sweep at scale: idle measure done (${loads.unrelated.length} unrelated requests, ${loads.logins.length} logins so far); the second run starts, PocketBase RSS ${rssBefore} kB`);
    const report = await nextRun(pb, fireAt - 1_000);
    const rssAfter = rssKb(pb);
    const runStart = Date.parse(report.at);
    const runEnd = runStart + report.durationMs;
    log(`sweep at scale: the run took ${(report.durationMs / 1000).toFixed(1)} s (checked ${report.checked}, updated ${report.updated}); PocketBase RSS ${rssAfter} kB; measuring idle again`);
    await sleepUntil(runEnd + (options.idleAfterMs ?? IDLE_AFTER_MS));
    await loads.stop();

    const inRun = (sample: Sample) => sample.at >= runStart && sample.at <= runEnd;
    const firstStart = Date.parse(first.at);
    const idle = (sample: Sample) =>
      sample.at < firstStart - 1_000 || (sample.at > firstEnd + 1_000 && sample.at < runStart - 1_000) || sample.at > runEnd + 1_000;
    const requests = await idp.requests();
    const loginStarts = loads.logins.map((sample) => sample.at);
    const sweepRequests = sweepTraffic(requests, runStart, runEnd);
    return {
      version: options.version,
      linked: options.records,
      schedule,
      run: report,
      requests: {
        total: sweepRequests.refresh.length + sweepRequests.userinfo.length - countBetween(loginStarts, runStart, runEnd),
        refresh: sweepRequests.refresh.length,
        userinfo: sweepRequests.userinfo.length - countBetween(loginStarts, runStart, runEnd),
      },
      rate: rate(sweepRequests, loginStarts, runStart, runEnd),
      unrelated: figures(loads.unrelated.filter(idle), loads.unrelated.filter(inRun)),
      login: figures(loads.logins.filter(idle), loads.logins.filter(inRun)),
      rssKb: { before: rssBefore, after: rssAfter, growth: rssAfter / rssBefore },
      failedLogins: loads.failedLogins,
      firstRun: { durationMs: first.durationMs, checked: first.checked, rssKb: { before: firstBefore, after: firstAfter, growth: firstAfter / firstBefore } },
      databaseBytesPer1000,
      load: { before: loadBefore, after: loadAverage() },
    };
  } finally {
    await Promise.all(servers.map((server) => server.destroy()));
    await idp.close();
  }
}

/** Records written straight into PocketBase's database by a route of the benchmark's own (SEED_HOOK), 500 per transaction. */
export async function seed(pb: PocketBaseServer, idp: ScaleIdp, count: number, fireAt: number): Promise<void> {
  const superuser = await pb.superuser();
  const now = Date.now();
  const previousRun = fireAt - 600_000;
  const spacing = 300_000 / count;
  for (let start = 0; start < count; start += 500) {
    const numbers = Array.from({ length: Math.min(500, count - start) }, (_, i) => start + i);
    const grants = await idp.mint(numbers.map((n) => seededUsername(SEEDED, n)), WITH_OFFLINE_ACCESS);
    const rows = numbers.map((n, i) => ({
      id: `sc${String(n).padStart(13, '0')}`,
      email: `${seededUsername(SEEDED, n)}@example.test`,
      name: seededUsername(SEEDED, n),
      sub: seededSubject(SEEDED, n),
      access: grants[i]!.accessToken,
      refresh: grants[i]!.refreshToken,
      // Access tokens of an hour, renewed at every hour since the login: a sixth of them run out
      // before this ten-minute run reaches them, as in a steady state with offline_access.
      accessExpiresAt: now + Math.floor(((n * 7919) % 3600) * 1000) - 600_000,
      // The last run checked them in this order, evenly over its first half.
      attemptedAt: Math.floor(previousRun + n * spacing),
      // Signed in within the day: PocketBase's tokens (7 days) are alive.
      sessionUntil: now + 6 * 86_400_000,
    }));
    await superuser.send('/api/bench/seed', { method: 'POST', body: { rows } });
  }
}

/** A route for the benchmark only: writes users, their Authelia links and the extension's token rows (sealed as it seals them). */
export const SEED_HOOK = `
routerAdd('POST', '/api/bench/seed', (e) => {
  const rows = e.requestInfo().body['rows'];
  const key = $os.getenv('AUTHELIA_TOKEN_KEY');
  const users = e.app.findCollectionByNameOrId('users');
  const stamp = new Date().toISOString().replace('T', ' ');
  e.app.runInTransaction((tx) => {
    for (const row of rows) {
      // As a login leaves it: no group (the stand-in gives these users none), so a check changes nothing.
      tx.db().newQuery('INSERT INTO {{users}} ([[id]], [[email]], [[password]], [[tokenKey]], [[verified]], [[emailVisibility]], [[name]], [[groups]], [[created]], [[updated]]) ' +
        "VALUES ({:id}, {:email}, {:password}, {:tokenKey}, 1, 0, {:name}, '[]', {:stamp}, {:stamp})")
        .bind({ id: row.id, email: row.email, password: '$2a$10$' + $security.randomString(53), tokenKey: $security.randomString(50), name: row.name, stamp }).execute();
      tx.db().newQuery('INSERT INTO {{_externalAuths}} ([[id]], [[collectionRef]], [[recordRef]], [[provider]], [[providerId]], [[created]], [[updated]]) ' +
        "VALUES ({:id}, {:collection}, {:record}, 'oidc', {:sub}, {:stamp}, {:stamp})")
        .bind({ id: 'ea' + row.id.slice(2), collection: users.id, record: row.id, sub: row.sub, stamp }).execute();
      tx.db().newQuery('INSERT INTO {{_authelia_tokens}} ([[recordId]], [[accessToken]], [[refreshToken]], [[accessExpiresAt]], [[checkedAt]], [[attemptedAt]], [[sessionsEnded]], [[lastOutcome]], [[sessionUntil]]) ' +
        "VALUES ({:id}, {:access}, {:refresh}, {:expires}, {:attempted}, {:attempted}, 0, 'current', {:sessionUntil})")
        .bind({ id: row.id, access: $security.encrypt(row.access, key), refresh: $security.encrypt(row.refresh, key), expires: row.accessExpiresAt, attempted: row.attemptedAt, sessionUntil: row.sessionUntil }).execute();
    }
  });
  e.json(200, { written: rows.length });
}, $apis.requireSuperuserAuth());
`;

/** Bytes the three tables a linked record lives in (and their indexes) take, read with Debian's sqlite3 (dbstat). */
async function tableBytes(pb: PocketBaseServer): Promise<number> {
  const sql = "SELECT SUM(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name IN ('users', '_externalAuths', '_authelia_tokens'));";
  const { stdout } = await run('sqlite3', [join(pb.dataDir, 'pb_data', 'data.db'), sql]);
  return Number(stdout.trim());
}

class Loads {
  readonly unrelated: Sample[] = [];
  readonly logins: Sample[] = [];
  /** Logins PocketBase refused, with when and what it answered (kept out of the samples, reported). */
  readonly failedLogins: Array<{ at: number; status: number; body: string }> = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly pb: PocketBaseServer,
    private readonly issuer: string,
    private readonly users: readonly BenchUser[],
  ) {}

  start(): void {
    this.running = true;
    this.loops = [this.unrelatedLoop(), this.loginLoop()];
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async unrelatedLoop(): Promise<void> {
    while (this.running) {
      const at = Date.now();
      const started = performance.now();
      const response = await fetch(`${this.pb.url}/api/collections/${POSTS}/records?perPage=20`);
      await response.text();
      if (response.status !== 200) throw new Error(`the unrelated request answered ${response.status}`);
      this.unrelated.push({ at, ms: performance.now() - started });
      await sleepUntil(at + UNRELATED_EVERY_MS);
    }
  }

  private async loginLoop(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const begin = Date.now();
      const code = await obtainCode(this.issuer, this.pb.url, this.users[i % this.users.length]!);
      const at = Date.now();
      const body = JSON.stringify({ provider: 'oidc', code: code.code, codeVerifier: code.codeVerifier, redirectURL: code.redirectURL, createData: {} });
      const started = performance.now();
      const response = await fetch(`${this.pb.url}/api/collections/users/auth-with-oauth2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const text = await response.text();
      const ms = performance.now() - started;
      if (response.status === 200) this.logins.push({ at, ms });
      else {
        this.failedLogins.push({ at, status: response.status, body: text.slice(0, 300) });
        process.stderr.write(`[bench:authelia] an interactive login answered ${response.status} at ${new Date(at).toISOString()}: ${text.slice(0, 300)}\n`);
      }
      await sleepUntil(begin + LOGIN_EVERY_MS);
    }
  }
}

function figures(idle: readonly Sample[], during: readonly Sample[]): LoadFigures {
  const of = (samples: readonly Sample[]) => ({ n: samples.length, p50: median(samples.map((s) => s.ms)), p95: p95(samples.map((s) => s.ms)) });
  const a = of(idle);
  const b = of(during);
  return { idle: a, during: b, p95Ratio: b.p95 / a.p95 };
}

function sweepTraffic(requests: readonly IdpRequest[], from: number, to: number): { refresh: number[]; userinfo: number[] } {
  const within = requests.filter((request) => request.at >= from && request.at <= to);
  return {
    refresh: within.filter((request) => request.path === '/api/oidc/token' && request.grant_type === 'refresh_token').map((request) => request.at),
    userinfo: within.filter((request) => request.path === '/api/oidc/userinfo').map((request) => request.at),
  };
}

/** Requests of the run per 10-second bin (whole bins only): peak over mean. A login's userinfo call is taken out of its bin. */
function rate(traffic: { refresh: number[]; userinfo: number[] }, loginStarts: readonly number[], from: number, to: number): ScaleResult['rate'] {
  const bins = Math.floor((to - from) / BIN_MS);
  const counts = Array.from({ length: Math.max(bins, 1) }, () => 0);
  const add = (at: number, by: number) => {
    const bin = Math.floor((at - from) / BIN_MS);
    if (bin >= 0 && bin < counts.length) counts[bin]! += by;
  };
  for (const at of [...traffic.refresh, ...traffic.userinfo]) add(at, 1);
  for (const at of loginStarts) add(at, -1);
  const mean = counts.reduce((sum, count) => sum + count, 0) / counts.length;
  const peak = Math.max(...counts);
  return { binSeconds: BIN_MS / 1000, peak: peak / (BIN_MS / 1000), mean: mean / (BIN_MS / 1000), peakToMean: peak / mean };
}

const countBetween = (times: readonly number[], from: number, to: number) => times.filter((at) => at >= from && at <= to).length;

/** The first run whose start is at or after `after`, once it has ended (its report). */
async function nextRun(pb: PocketBaseServer, after: number): Promise<SweepRunReport> {
  const superuser = await pb.superuser();
  for (;;) {
    await sleep(5_000);
    const report = (await superuser.send('/api/authelia/status', {})).revalidation.lastSweep as SweepRunReport | null;
    if (report && Date.parse(report.at) >= after) return report;
  }
}

/** The start of the first whole minute at or after `at`. */
function firstFireAfter(at: number): number {
  return Math.ceil(at / 60_000) * 60_000;
}

export function rssKb(pb: PocketBaseServer): number {
  return procRssKb(pb.pid!);
}

export function procRssKb(pid: number): number {
  const status = readProc(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

function readProc(path: string): string {
  return readFileSync(path, 'utf8');
}

export function loadAverage(): string {
  return readProc('/proc/loadavg').split(' ').slice(0, 3).join(' ');
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

/** The stand-in in its own process, spoken to over IPC. */
export class ScaleIdp {
  private nextId = 0;
  private readonly waiting = new Map<number, (reply: ScaleIdpReply) => void>();
  private started: ((issuer: string) => void) | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ScaleIdpReply) => {
      if (reply.kind === 'started') this.started?.(reply.issuer);
      else this.waiting.get(reply.id)?.(reply);
    });
  }

  static async start(): Promise<ScaleIdp> {
    const child = fork('bench/run.mjs', ['scale-idp.ts'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new ScaleIdp(child);
  }

  begin(users: readonly BenchUser[], count: number, redirectUris: readonly string[]): Promise<string> {
    return new Promise((done) => {
      this.started = done;
      this.send({ kind: 'start', users, seeded: { prefix: SEEDED, count }, redirectUris });
    });
  }

  async mint(usernames: readonly string[], scope: string) {
    const reply = await this.ask({ kind: 'mint', id: ++this.nextId, usernames, scope });
    if (reply.kind !== 'minted') throw new Error('the stand-in did not mint');
    return reply.grants;
  }

  async requests(): Promise<readonly IdpRequest[]> {
    const reply = await this.ask({ kind: 'requests', id: ++this.nextId, from: 0 });
    if (reply.kind !== 'requests') throw new Error('the stand-in did not list its requests');
    return reply.requests;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((done) => this.child.once('exit', done));
    this.send({ kind: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  private ask(message: ScaleIdpMessage & { id: number }): Promise<ScaleIdpReply> {
    return new Promise((done) => {
      this.waiting.set(message.id, (reply) => {
        this.waiting.delete(message.id);
        done(reply);
      });
      this.send(message);
    });
  }

  private send(message: ScaleIdpMessage): void {
    this.child.send(message);
  }
}

