// Revalidation after the login: `auth-refresh` with the extension (not due: no request to
// Authelia; due: one userinfo call first) against PocketBase's built-in refresh, interleaved
// request by request, and the sweep's records per second against the demo IdP (userinfo only,
// and refresh grant + userinfo). Servers of its own, so the login figures stay untouched.
import { startIdp, type Idp } from '../testkit/idp.js';
import { freePort, startPocketBase, type PocketBaseServer } from '../testkit/pocketbase.js';
import { CLIENT_ID, CLIENT_SECRET } from '../testkit/client.js';
import { ssoLogin } from '../testkit/sso-login.js';
import { benchUser, type BenchUser } from './codes.js';
import { median, summarize, type Comparison, type Summary } from './stats.js';

/** A schedule that never fires during a bench: the sweep is run on demand through PocketBase's cron API. */
const NEVER_DURING_THE_BENCH = '0 0 1 1 *';
const SWEEP_JOB = 'authelia-sweep';

export interface RevalidationResult {
  readonly notDue: Summary;
  readonly due: Summary;
  /** userinfo calls the `due` samples made: one per sample when every one was really due. */
  readonly dueChecks: number;
  readonly sweepUserinfo: SweepFigure;
  readonly sweepRefresh: SweepFigure;
}

export interface SweepFigure {
  readonly records: number;
  /** The run, paced (src/core/checks/sweep-pacing.ts): a quarter second between checks for this few records. */
  readonly durationMs: number;
  /** Time spent in checks, without the pauses between them: what one unpaced run would take. */
  readonly busyMs: number;
  /** Records per second of that time. */
  readonly perSecond: number;
}

export interface RevalidationPlan {
  readonly users: number;
  readonly notDueRounds: number;
  readonly dueRounds: number;
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

export async function revalidationBench(version: string, plan: RevalidationPlan): Promise<RevalidationResult> {
  const users = Array.from({ length: plan.users }, (_, i) => benchUser(`reval${i}`));
  const ports = { ext: await freePort(), due: await freePort(), base: await freePort(), rotating: await freePort() };
  const idp = await idpFor(users, [ports.ext, ports.due, ports.base], {});
  const rotatingIdp = await idpFor(users, [ports.rotating], { offlineAccess: true, accessTokenTtl: 12 });
  const servers: PocketBaseServer[] = [];
  try {
    const env = { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET };
    const ext = await started(servers, { version, port: ports.ext, env: { ...env, AUTHELIA_SWEEP: 'off' } });
    const due = await started(servers, { version, port: ports.due, env: { ...env, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: NEVER_DURING_THE_BENCH } });
    const base = await started(servers, { version, port: ports.base, hooksDir: null });
    await configureBuiltIn(base, idp.issuer);
    const rotating = await started(servers, {
      version,
      port: ports.rotating,
      env: {
        AUTHELIA_URL: rotatingIdp.issuer,
        AUTHELIA_CLIENT_SECRET: CLIENT_SECRET,
        AUTHELIA_SCOPES: 'openid email profile groups offline_access',
        AUTHELIA_REVALIDATE_AFTER: 'off',
        AUTHELIA_SWEEP: NEVER_DURING_THE_BENCH,
      },
    });

    log(`auth-refresh: signing ${users.length} users in on four servers`);
    const tokens = {
      ext: await signIn(ext, users),
      due: await signIn(due, users),
      base: await signIn(base, users),
    };
    await signIn(rotating, users);

    log(`auth-refresh, not due (${plan.notDueRounds} x ${users.length} per server)`);
    const notDue = await interleaved(plan.notDueRounds, users.length, { ext: [ext, tokens.ext], base: [base, tokens.base] }, async () => {});
    log(`auth-refresh, due (${plan.dueRounds} x ${users.length} per server, a second apart)`);
    idp.requests.length = 0;
    const due_ = await interleaved(plan.dueRounds, users.length, { ext: [due, tokens.due], base: [base, tokens.base] }, async () => {
      // Called when the previous round has ended: every user's last check becomes a full AUTHELIA_REVALIDATE_AFTER old.
      await sleep(1_100);
    });
    const dueChecks = idp.requests.filter((request) => request.path === '/api/oidc/userinfo').length;

    log(`sweep over ${users.length} records: userinfo only`);
    const sweepUserinfo = await sweep(due);
    log(`sweep over ${users.length} records: refresh grant + userinfo (12 s access tokens)`);
    await sweep(rotating); // renews every token once; some were already fresh
    await sleep(3_000); // now every access token counts as expired
    const sweepRefresh = await sweep(rotating);
    return { notDue: summarize(notDue), due: summarize(due_), dueChecks, sweepUserinfo, sweepRefresh };
  } finally {
    await Promise.all(servers.map((server) => server.destroy()));
    await idp.close();
    await rotatingIdp.close();
  }
}

async function idpFor(users: BenchUser[], ports: number[], client: { offlineAccess?: boolean; accessTokenTtl?: number }): Promise<Idp> {
  return startIdp({
    users,
    ...(client.accessTokenTtl ? { accessTokenTtl: client.accessTokenTtl } : {}),
    clients: [{
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: ports.map((port) => `http://127.0.0.1:${port}/api/oauth2-redirect`),
      ...(client.offlineAccess ? { offlineAccess: true } : {}),
    }],
  });
}

async function started(servers: PocketBaseServer[], options: Parameters<typeof startPocketBase>[0]): Promise<PocketBaseServer> {
  const server = await startPocketBase(options);
  servers.push(server);
  return server;
}

/** PocketBase's built-in OIDC, configured by hand as an operator without the extension would. */
async function configureBuiltIn(base: PocketBaseServer, issuer: string): Promise<void> {
  const superuser = await base.superuser();
  await superuser.collections.update('users', {
    oauth2: {
      enabled: true,
      providers: [{
        name: 'oidc', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, displayName: 'Authelia', pkce: true,
        authURL: `${issuer}/api/oidc/authorization`, tokenURL: `${issuer}/api/oidc/token`, userInfoURL: `${issuer}/api/oidc/userinfo`,
      }],
    },
  });
}

async function signIn(server: PocketBaseServer, users: BenchUser[]): Promise<string[]> {
  const tokens: string[] = [];
  for (const user of users) tokens.push((await ssoLogin(server.url, user)).auth.token);
  return tokens;
}

type Side = readonly [PocketBaseServer, string[]];

/** Refreshes every user on both servers, alternating which goes first; the tokens are replaced by the renewed ones. */
async function interleaved(rounds: number, count: number, sides: { ext: Side; base: Side }, beforeRound: () => Promise<void>): Promise<Comparison> {
  const all = { ext: [] as number[], base: [] as number[] };
  const repeats = [];
  for (let round = 0; round < rounds; round++) {
    await beforeRound();
    const samples = { ext: [] as number[], base: [] as number[] };
    for (let i = 0; i < count; i++) {
      const order = (i + round) % 2 === 0 ? (['ext', 'base'] as const) : (['base', 'ext'] as const);
      for (const side of order) {
        const [server, tokens] = sides[side];
        const { ms, token } = await timedRefresh(server.url, tokens[i]!);
        tokens[i] = token;
        samples[side].push(ms);
      }
    }
    repeats.push({ ext: median(samples.ext), base: median(samples.base) });
    all.ext.push(...samples.ext);
    all.base.push(...samples.base);
  }
  return { ext: all.ext, base: all.base, repeats };
}

async function timedRefresh(url: string, token: string): Promise<{ ms: number; token: string }> {
  const startedAt = performance.now();
  const response = await fetch(`${url}/api/collections/users/auth-refresh`, { method: 'POST', headers: { authorization: token } });
  const text = await response.text();
  const ms = performance.now() - startedAt;
  if (response.status !== 200) throw new Error(`auth-refresh at ${url} answered ${response.status}: ${text}`);
  return { ms, token: (JSON.parse(text) as { token: string }).token };
}

/** Runs the sweep now (PocketBase's cron API) and reads its own report from the status endpoint. */
async function sweep(server: PocketBaseServer): Promise<SweepFigure> {
  const superuser = await server.superuser();
  const before = (await superuser.send('/api/authelia/status', {})).revalidation.lastSweep?.at ?? '';
  await superuser.send(`/api/crons/${SWEEP_JOB}`, { method: 'POST' });
  for (;;) {
    await sleep(200);
    const report = (await superuser.send('/api/authelia/status', {})).revalidation.lastSweep;
    if (report && report.at !== before) {
      if (report.undecided > 0 || report.ended > 0) throw new Error(`the bench sweep could not check every record: ${JSON.stringify(report)}`);
      const busyMs = report.pacing?.busyMs ?? report.durationMs;
      return { records: report.checked, durationMs: report.durationMs, busyMs, perSecond: report.checked / (busyMs / 1000) };
    }
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The section bench/results.md and the console get. */
export function renderRevalidation(version: string, result: RevalidationResult): string {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const row = (label: string, s: Summary) =>
    `| ${label} | ${ms(s.ext.p50)} (p95 ${ms(s.ext.p95)}) | ${ms(s.base.p50)} (p95 ${ms(s.base.p95)}) | ${s.diffMs >= 0 ? '+' : ''}${s.diffMs.toFixed(2)} ms | ${s.ratio.toFixed(2)} | ${s.n} |`;
  const sweepRow = (label: string, f: SweepFigure) => `| ${label} | ${f.records} | ${f.durationMs} ms | ${f.busyMs} ms | ${f.perSecond.toFixed(0)} |`;
  return [
    `### Revalidation after the login, PocketBase ${version}`,
    '',
    '`auth-refresh` of an Authelia-linked user against PocketBase\'s built-in refresh (no hooks), interleaved; medians.',
    '',
    '| case | extension | built-in | difference | ratio | samples |',
    '|---|---|---|---|---|---|',
    row('not due (within AUTHELIA_REVALIDATE_AFTER)', result.notDue),
    row('due (one userinfo call to the demo IdP)', result.due),
    '',
    `Userinfo calls during the due samples: ${result.dueChecks} for ${result.due.n} samples.`,
    '',
    'The sweep, run on demand, one record after another against the demo IdP on loopback (its own timing). The run is paced',
    '(a quarter second between checks for this few records); "in checks" leaves the pauses out, and the records per second are of that time.',
    '',
    '| sweep | records | run, paced | in checks | records per second |',
    '|---|---|---|---|---|',
    sweepRow('userinfo only', result.sweepUserinfo),
    sweepRow('refresh grant + userinfo', result.sweepRefresh),
    '',
  ].join('\n');
}
