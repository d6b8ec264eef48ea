// The table and the summary line of `npm run bench:authelia`, from its two halves' figures.
import { AUTHELIA_VERSION, type CostResult, type DigestCost } from './authelia-cost.js';
import type { Machine } from './report.js';
import type { ScaleResult } from './sweep-scale.js';

/** The default schedule and access-token lifetime a deployment runs with. */
const CHECKS_PER_HOUR = 6; // AUTHELIA_SWEEP */10 * * * *
const ACCESS_LIFETIMES_PER_HOUR = 1; // Authelia's access_token lifespan, 1 h

export const TARGETS = { R: 1.02, T: 1.05, S: 300, P: 2, U: 1.2, L: 1.2, G: 1.1 } as const;

/**
 * Authelia CPU seconds per hour per 1,000 linked users with offline_access, at the defaults: six
 * checks an hour per user (the sweep every ten minutes), of which T per access-token lifetime (an
 * hour) come with a refresh grant. CPU milliseconds per user-hour times 1,000 users, in seconds, is
 * that number of milliseconds.
 */
export function perThousandPerHour(digest: DigestCost, tokenCallsPerLifetime: number): number {
  const refreshes = Math.min(tokenCallsPerLifetime * ACCESS_LIFETIMES_PER_HOUR, CHECKS_PER_HOUR);
  return (CHECKS_PER_HOUR - refreshes) * digest.cpuMs.userinfoCheck + refreshes * digest.cpuMs.refreshCheck;
}

export interface BenchFigures {
  readonly cost: CostResult;
  readonly scale: ScaleResult;
  readonly version: string;
  readonly before: Machine;
  readonly after: Machine;
  readonly seconds: number;
}

export function renderAutheliaBench({ cost, scale, version, before, after, seconds }: BenchFigures): { markdown: string; line: string } {
  const summary = {
    R: cost.login.ratio,
    T: cost.tokenCalls.perUserPerLifetime,
    C: perThousandPerHour(cost.digests[0]!, cost.tokenCalls.perUserPerLifetime),
    S: scale.run.durationMs / 1000,
    P: scale.rate.peakToMean,
    U: scale.unrelated.p95Ratio,
    L: scale.login.p95Ratio,
    G: scale.rssKb.growth,
  };
  const line =
    `authelia cost: login ratio ${summary.R.toFixed(3)}, token calls per user per access lifetime ${summary.T.toFixed(2)}, ` +
    `authelia cpu per 1000 users per hour ${summary.C.toFixed(0)} s, sweep ${scale.linked} records ${summary.S.toFixed(0)} s, ` +
    `sweep peak/mean rate ${summary.P.toFixed(2)}, unrelated p95 during sweep ratio ${summary.U.toFixed(2)}, ` +
    `login p95 during sweep ratio ${summary.L.toFixed(2)}, rss growth ${summary.G.toFixed(2)}`;

  const ms = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(value < 10 ? 1 : 0)} ms`);
  const pass = (ok: boolean) => (ok ? 'pass' : '**MISS**');
  const guide = cost.digests[0]!;
  const calls = cost.tokenCalls;
  const run = scale.run;
  const rows = [
    ['R', "Existing user's login through the real Authelia (PocketBase's code exchange), extension / built-in OIDC, p50", `${cost.login.ext.p50.toFixed(1)} / ${cost.login.base.p50.toFixed(1)} ms = **${summary.R.toFixed(3)}** (p95 ${cost.login.ext.p95.toFixed(1)} / ${cost.login.base.p95.toFixed(1)} ms; n=${cost.login.ext.n} each; per round ${cost.login.repeatRatios.map((r) => r.toFixed(3)).join(', ')})`, `≤ ${TARGETS.R}`, pass(summary.R <= TARGETS.R)],
    ['T', 'Token-endpoint calls (revocations included) per linked user per access-token lifetime', `**${summary.T.toFixed(2)}** (${calls.tokenEndpoint} token + ${calls.revocations} revocation calls; ${calls.users} users, ${calls.windowSeconds} s, ${calls.accessLifetimeSeconds} s access tokens, sweep \`${calls.sweep}\`; ${calls.userinfo} userinfo calls)`, `≤ ${TARGETS.T}`, pass(summary.T <= TARGETS.T)],
    ['C', "Authelia CPU per hour per 1,000 linked users (offline_access, defaults), guide's digest", `**${summary.C.toFixed(0)} s** (${((summary.C / 3600) * 100).toFixed(1)} % of one core)`, 'reported', '–'],
    ['S', `One sweep run over ${scale.linked} linked records (default schedule, stand-in; the second after the start)`, `**${summary.S.toFixed(1)} s** (window ${(run.pacing.windowMs / 1000).toFixed(0)} s, checks ${run.pacing.gapMs} ms apart, ${(run.pacing.busyMs / 1000).toFixed(1)} s of it in checks; checked ${run.checked}, updated ${run.updated}, undecided ${run.undecided}, failed ${run.failed}${run.unfinished ? `; **unfinished: ${run.remaining} left**` : ''})`, `≤ ${TARGETS.S} s`, pass(summary.S <= TARGETS.S && !run.unfinished)],
    ['P', `Sweep request rate at the stand-in, peak / mean of ${scale.rate.binSeconds} s bins`, `**${summary.P.toFixed(2)}** (peak ${scale.rate.peak.toFixed(1)}/s, mean ${scale.rate.mean.toFixed(1)}/s; ${scale.requests.total} requests: ${scale.requests.refresh} refresh grants, ${scale.requests.userinfo} userinfo)`, `≤ ${TARGETS.P}`, pass(summary.P <= TARGETS.P)],
    ['U', 'Unrelated request (list 20 records) p95, during the sweep / idle', `${scale.unrelated.during.p95.toFixed(2)} / ${scale.unrelated.idle.p95.toFixed(2)} ms = **${summary.U.toFixed(2)}** (p50 ${scale.unrelated.during.p50.toFixed(2)} / ${scale.unrelated.idle.p50.toFixed(2)} ms; n=${scale.unrelated.during.n} / ${scale.unrelated.idle.n})`, `≤ ${TARGETS.U}`, pass(summary.U <= TARGETS.U)],
    ['L', "Interactive login (an existing user's code exchange) p95, during the sweep / idle", `${scale.login.during.p95.toFixed(2)} / ${scale.login.idle.p95.toFixed(2)} ms = **${summary.L.toFixed(2)}** (p50 ${scale.login.during.p50.toFixed(2)} / ${scale.login.idle.p50.toFixed(2)} ms; n=${scale.login.during.n} / ${scale.login.idle.n})`, `≤ ${TARGETS.L}`, pass(summary.L <= TARGETS.L)],
    ['G', 'PocketBase RSS right after the run / right before it', `${(scale.rssKb.after / 1024).toFixed(1)} / ${(scale.rssKb.before / 1024).toFixed(1)} MiB = **${summary.G.toFixed(2)}** (the first run after the start: ${(scale.firstRun.rssKb.after / 1024).toFixed(1)} / ${(scale.firstRun.rssKb.before / 1024).toFixed(1)} MiB = ${scale.firstRun.rssKb.growth.toFixed(2)}, see below)`, `≤ ${TARGETS.G}`, pass(summary.G <= TARGETS.G)],
    ['', 'Interactive logins PocketBase refused during the scale measure', `${scale.failedLogins.length}${scale.failedLogins.length > 0 ? ` (${scale.failedLogins.slice(0, 3).map((f) => `${new Date(f.at).toISOString()} ${f.status} ${f.body.replaceAll('|', '/').slice(0, 120)}`).join('; ')})` : ''}`, '0', pass(scale.failedLogins.length === 0)],
    ['', 'Database per 1,000 linked users (user record, Authelia link, token row, their indexes)', `${(scale.databaseBytesPer1000 / 1024).toFixed(0)} KiB`, '–', '–'],
  ];
  const cpuRows = cost.digests.map((digest) => {
    const c = perThousandPerHour(digest, summary.T);
    return `| ${digest.label} | ${ms(digest.cpuMs.signIn)} | ${ms(digest.cpuMs.login)} | ${ms(digest.cpuMs.userinfoCheck)} | ${ms(digest.cpuMs.refreshCheck)} | ${ms(digest.cpuMs.revocation)} | ${c.toFixed(0)} s (${((c / 3600) * 100).toFixed(1)} % of one core) |`;
  });
  const markdown = [
    `## What the checks cost Authelia, and the sweep at ${scale.linked} records`,
    '',
    `Generated by \`npm run bench:authelia\` (bench/authelia.ts). Real Authelia ${AUTHELIA_VERSION} (built by \`npm run build:real\`) over HTTPS, the client as the guide registers it (pbkdf2-sha512 digest, client_secret_basic, PKCE S256, offline_access); PocketBase ${version}; the sweep at scale against the stand-in (testkit/idp.ts, in a process of its own) on loopback.`,
    '',
    `- Machine: ${before.cpus}, ${before.os}, Node ${before.node}; load average ${before.load} at start, ${after.load} at end (shared machine). Authelia half: ${cost.load.before} → ${cost.load.after}; scale half: ${scale.load.before} → ${scale.load.after}.`,
    `- Date ${before.date}; commit ${before.commit}; took ${seconds.toFixed(0)} s.`,
    '',
    '| | Measure | Figure | Target | Result |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
    '',
    `Authelia's CPU time (utime + stime of its process from /proc, in 10 ms clock ticks), medians. Sign-in: a first sign-in (password, TOTP, consent for offline_access, code exchange, userinfo; the test users' password digest is a cheap pbkdf2, a production one adds its own cost), ${guide.samples.signIn} samples. Login: an existing user with a portal session (authorization, code exchange, userinfo), ${guide.samples.login} samples. Checks are the sweep's own, through PocketBase: per check, ${guide.samples.userinfoCheck} samples of two runs of ${calls.users} checks by userinfo alone, ${guide.samples.refreshCheck} of one run of ${calls.users} checks with a refresh grant (refresh + userinfo). Revocation: a sign-out, which revokes the grant (one request), ${guide.samples.revocation} samples. Per hour per 1,000 users: ${CHECKS_PER_HOUR} checks per user (the sweep every ten minutes), T of them with a refresh grant (one access-token lifetime of an hour); logins and sign-outs not included (one login plus one revocation of the grant it replaces per sign-in with offline_access).`,
    '',
    `The sweep at scale: two runs of the default schedule ten minutes apart over ${scale.linked} linked records, a sixth of whose access tokens have run out (hour-long tokens, a ten-minute interval), every one with a live PocketBase session; one unrelated request every 100 ms and one login every second from before the first run to ${'2½'} minutes after the second; "idle" is that load outside both runs. The figures are the second run's, which every later run is like. The first after PocketBase started took ${(scale.firstRun.durationMs / 1000).toFixed(1)} s over ${scale.firstRun.checked} records and grew PocketBase's RSS by ${((scale.firstRun.rssKb.after - scale.firstRun.rssKb.before) / 1024).toFixed(1)} MiB (${scale.firstRun.rssKb.growth.toFixed(2)}), once: what a first pass over every record loads and keeps (SQLite's page cache of the pages it read, the sweep's code in a JavaScript runtime, each record's last check time in PocketBase's memory store, which spares auth-refresh a query; not measured apart); the second run adds what the G row says.`,
    '',
    '| Client secret digest | sign-in | login | userinfo check | refresh check | revocation | checks per hour per 1,000 users |',
    '|---|---|---|---|---|---|---|',
    ...cpuRows,
  ].join('\n');
  return { markdown, line };
}
