// What the checks after the login cost the real Authelia (4.39.20, built by npm run build:real), with
// the client registered as the guide registers it (secret as a pbkdf2-sha512 digest of 310,000
// iterations, client_secret_basic, PKCE S256), and with a cheaper digest for comparison:
// - an existing user's login, the extension against PocketBase's built-in OIDC, interleaved;
// - Authelia's CPU time (utime + stime of its process, /proc/<pid>/stat) per login, per check by
//   userinfo alone, per check with a refresh grant, per revocation, each a median of repeats;
// - token-endpoint calls per linked user per access-token lifetime, counted from Authelia's own log
//   over ten minutes of two-minute access tokens and a sweep every minute.
// Everything goes through PocketBase and the extension as shipped: the checks are the sweep's.
import { readFileSync } from 'node:fs';
import { startAuthelia, type RealAuthelia } from '../testkit/authelia/launcher.js';
import { HttpsClient } from '../testkit/authelia/https-client.js';
import { loginAtAuthelia } from '../testkit/authelia/portal-login.js';
import type { RealUser } from '../testkit/authelia/config.js';
import { CLIENT_ID, CLIENT_SECRET } from '../testkit/client.js';
import { createPrivateCa, type PrivateCa } from '../testkit/private-ca.js';
import { freePort, startPocketBase, type PocketBaseServer } from '../testkit/pocketbase.js';
import { ssoLogin } from '../testkit/sso-login.js';
import { median, p95 } from './stats.js';

export const AUTHELIA_VERSION = '4.39.20';
const WITH_OFFLINE_ACCESS = 'openid email profile groups offline_access';
/** Never on its own during the measure: the runs are started by hand (PocketBase's cron API). */
const SWEEP_BY_HAND = '0 0 1 1 *';
const CLOCK_TICK_MS = 1000 / 100; // getconf CLK_TCK: 100 on Linux

export interface DigestCost {
  readonly label: string;
  readonly iterations: number;
  /** Authelia CPU milliseconds, medians; `samples` of each. */
  readonly cpuMs: {
    /** A first sign-in: password, TOTP, consent for offline_access, code exchange, userinfo. */
    readonly signIn: number;
    /** An existing user's login with a portal session: authorization, code exchange, userinfo (guide digest only). */
    readonly login: number | undefined;
    readonly userinfoCheck: number;
    readonly refreshCheck: number;
    readonly revocation: number;
  };
  readonly samples: { readonly signIn: number; readonly login: number; readonly userinfoCheck: number; readonly refreshCheck: number; readonly revocation: number };
}

export interface LoginComparison {
  readonly ext: { readonly n: number; readonly p50: number; readonly p95: number };
  readonly base: { readonly n: number; readonly p50: number; readonly p95: number };
  readonly ratio: number;
  readonly repeatRatios: readonly number[];
}

export interface TokenCalls {
  readonly users: number;
  readonly windowSeconds: number;
  readonly accessLifetimeSeconds: number;
  readonly sweep: string;
  readonly tokenEndpoint: number;
  readonly revocations: number;
  readonly userinfo: number;
  readonly perUserPerLifetime: number;
}

export interface CostResult {
  readonly login: LoginComparison;
  readonly digests: readonly DigestCost[];
  readonly tokenCalls: TokenCalls;
  readonly load: { readonly before: string; readonly after: string };
}

export interface CostOptions {
  readonly pocketbaseVersion: string;
  readonly users: number;
  readonly cycles: number;
  readonly loginRounds: number;
  readonly tokenWindowSeconds: number;
  readonly log: (line: string) => void;
}

export async function autheliaCost(options: CostOptions): Promise<CostResult> {
  const before = loadAverage();
  const ca = await createPrivateCa();
  try {
    const users = Array.from({ length: options.users }, (_, i): RealUser => ({
      username: `cost${i}`, password: `cost${i}-password-1`, email: `cost${i}@example.test`, displayname: `Cost ${i}`, groups: ['staff'],
    }));
    const guide = await digestCost(ca, users, options, { label: "the guide's pbkdf2-sha512, 310,000 iterations", iterations: 310_000, compareLogins: true });
    // The least `authelia crypto hash generate pbkdf2` makes, and a digest made elsewhere: a client
    // secret of 64 random characters needs no key stretching (nobody can guess it offline).
    const cliMinimum = await digestCost(ca, users, options, { label: 'pbkdf2-sha512, 100,000 iterations (the CLI\'s least)', iterations: 100_000, compareLogins: false });
    const cheap = await digestCost(ca, users, options, { label: 'pbkdf2-sha512, 1,000 iterations', iterations: 1_000, compareLogins: false });
    const tokenCalls = await countTokenCalls(ca, users, options);
    return { login: guide.login!, digests: [guide.cost, cliMinimum.cost, cheap.cost], tokenCalls, load: { before, after: loadAverage() } };
  } finally {
    await ca.close();
  }
}

/** One Authelia with the given client digest; access tokens of 30 s so that a cycle sees them expire. */
async function digestCost(
  ca: PrivateCa, users: readonly RealUser[], options: CostOptions, digest: { label: string; iterations: number; compareLogins: boolean },
): Promise<{ cost: DigestCost; login: LoginComparison | undefined }> {
  const { log } = options;
  const ports = { chk: await freePort(), ext: await freePort(), base: await freePort() };
  const authelia = await startAuthelia({
    version: AUTHELIA_VERSION,
    ca,
    clientSecret: CLIENT_SECRET,
    clientSecretIterations: digest.iterations,
    client: { redirectUris: Object.values(ports).map((port) => `http://127.0.0.1:${port}/api/oauth2-redirect`), offlineAccess: true, consentMode: 'implicit' },
    users,
    lifespans: { access_token: '30s' },
    // Production's level: debug logging costs CPU of its own.
    logLevel: 'info',
  });
  const servers: PocketBaseServer[] = [];
  try {
    const trust = { AUTHELIA_URL: authelia.url, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, SSL_CERT_FILE: ca.caFile };
    const chk = await startPocketBase({
      version: options.pocketbaseVersion, port: ports.chk,
      env: { ...trust, AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_SWEEP: SWEEP_BY_HAND, AUTHELIA_REVALIDATE_AFTER: 'off' },
    });
    servers.push(chk);
    const cpu = cpuClock(authelia);
    const sessions = new Map(users.map((user) => [user.username, authelia.client()]));
    const login = (pb: PocketBaseServer, user: RealUser, scopes?: string, onExchange?: () => void) =>
      ssoLogin(pb.url, user, {
        ...(scopes ? { scopes } : {}),
        signIn: (authUrl, redirectUrl) => loginAtAuthelia(authelia, authUrl, redirectUrl, user, { session: sessions.get(user.username)! }),
        ...(onExchange ? { beforeExchange: onExchange } : {}),
      });

    log(`Authelia ${AUTHELIA_VERSION}, client secret ${digest.label}: ${users.length} users sign in (password, TOTP, consent)`);
    const signIn: number[] = [];
    const tokens = new Map<string, string>();
    for (const user of users) {
      const start = cpu();
      tokens.set(user.username, (await login(chk, user, WITH_OFFLINE_ACCESS)).auth.token);
      signIn.push(cpu() - start);
    }

    log(`checks: ${options.cycles} cycles of a sweep once the access tokens ran out (refresh grant + userinfo each), then two while they live (userinfo alone)`);
    const refreshCheck: number[] = [];
    const userinfoCheck: number[] = [];
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      // Tokens of 30 s count as expired 10 s early: 21 s after the last refresh every one is due.
      await sleep(21_000);
      const issued = await authelia.issuedAccessTokens();
      const refreshed = await sweepCpu(chk, cpu);
      if ((await authelia.issuedAccessTokens()) - issued !== refreshed.checked) throw new Error(`a refresh run renewed ${(await authelia.issuedAccessTokens()) - issued} grants for ${refreshed.checked} checks`);
      refreshCheck.push(refreshed.cpuMs / refreshed.checked);
      let asked = 0;
      let spent = 0;
      for (let run = 0; run < 2; run++) {
        const plain = await sweepCpu(chk, cpu);
        asked += plain.checked;
        spent += plain.cpuMs;
      }
      if ((await authelia.issuedAccessTokens()) - issued !== refreshed.checked) throw new Error('a userinfo run refreshed a grant: the access tokens ran out before it');
      userinfoCheck.push(spent / asked);
    }

    let loginComparison: LoginComparison | undefined;
    const loginCpu: number[] = [];
    if (digest.compareLogins) {
      loginComparison = await compareLogins(options, authelia, ca, ports, users, login, cpu, loginCpu, servers);
    }

    log('revocations: every user signs out (the extension revokes the grant at Authelia)');
    const revocation: number[] = [];
    for (const user of users) {
      const start = cpu();
      const answer = await fetch(`${chk.url}/api/authelia/sign-out`, { method: 'POST', headers: { authorization: tokens.get(user.username)! } });
      if (answer.status !== 200) throw new Error(`sign-out answered ${answer.status}: ${await answer.text()}`);
      revocation.push(cpu() - start);
    }
    const counts = (await (await chk.superuser()).send('/api/authelia/status', {})).signOut;
    if (counts && counts.revocationsDone !== users.length) throw new Error(`${counts.revocationsDone} revocations done for ${users.length} sign-outs`);

    return {
      cost: {
        label: digest.label,
        iterations: digest.iterations,
        cpuMs: {
          signIn: median(signIn),
          login: loginCpu.length > 0 ? median(loginCpu) : undefined,
          userinfoCheck: median(userinfoCheck),
          refreshCheck: median(refreshCheck),
          revocation: median(revocation),
        },
        samples: { signIn: signIn.length, login: loginCpu.length, userinfoCheck: userinfoCheck.length, refreshCheck: refreshCheck.length, revocation: revocation.length },
      },
      login: loginComparison,
    };
  } finally {
    await Promise.all(servers.map((server) => server.destroy()));
    await authelia.close();
  }
}

type Login = (pb: PocketBaseServer, user: RealUser, scopes?: string, onExchange?: () => void) => Promise<unknown>;

/**
 * An existing user's login through the real Authelia: the extension (default scopes) against
 * PocketBase's built-in OIDC (its own scopes), the same client, users signed in at the portal
 * already. Timed: PocketBase's code exchange (auth-with-oauth2), which includes Authelia's token
 * endpoint (the digest) and userinfo. Logins alternate between the two servers.
 */
async function compareLogins(
  options: CostOptions, authelia: RealAuthelia, ca: PrivateCa, ports: { ext: number; base: number }, users: readonly RealUser[],
  login: Login, cpu: () => number, loginCpu: number[], servers: PocketBaseServer[],
): Promise<LoginComparison> {
  const trust = { AUTHELIA_URL: authelia.url, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, SSL_CERT_FILE: ca.caFile };
  const ext = await startPocketBase({ version: options.pocketbaseVersion, port: ports.ext, env: { ...trust, AUTHELIA_SWEEP: 'off' } });
  servers.push(ext);
  const base = await startPocketBase({ version: options.pocketbaseVersion, port: ports.base, hooksDir: null, env: { SSL_CERT_FILE: ca.caFile } });
  servers.push(base);
  await (await base.superuser()).collections.update('users', {
    oauth2: {
      enabled: true,
      providers: [{
        name: 'oidc', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, displayName: 'Authelia', pkce: true,
        authURL: `${authelia.url}/api/oidc/authorization`, tokenURL: `${authelia.url}/api/oidc/token`, userInfoURL: `${authelia.url}/api/oidc/userinfo`,
      }],
    },
  });
  options.log(`login: the extension against PocketBase's built-in OIDC, ${options.loginRounds} rounds of ${users.length} users on each, interleaved`);
  for (let warm = 0; warm < 2; warm++) for (const user of users) for (const pb of [ext, base]) await login(pb, user);
  const samples = { ext: [] as number[], base: [] as number[] };
  const repeatRatios: number[] = [];
  for (let round = 0; round < options.loginRounds; round++) {
    const roundSamples = { ext: [] as number[], base: [] as number[] };
    for (const [i, user] of users.entries()) {
      const order = (i + round) % 2 === 0 ? (['ext', 'base'] as const) : (['base', 'ext'] as const);
      for (const side of order) {
        let exchangeStart = 0;
        const cpuStart = cpu();
        await login(side === 'ext' ? ext : base, user, undefined, () => {
          exchangeStart = performance.now();
        });
        roundSamples[side].push(performance.now() - exchangeStart);
        if (side === 'ext') loginCpu.push(cpu() - cpuStart);
      }
    }
    repeatRatios.push(median(roundSamples.ext) / median(roundSamples.base));
    samples.ext.push(...roundSamples.ext);
    samples.base.push(...roundSamples.base);
  }
  const of = (values: number[]) => ({ n: values.length, p50: median(values), p95: p95(values) });
  return { ext: of(samples.ext), base: of(samples.base), ratio: median(samples.ext) / median(samples.base), repeatRatios };
}

/**
 * Token-endpoint calls per linked user per access-token lifetime: access tokens of 2 minutes, a
 * sweep every minute, `users` linked users with offline_access, counted from Authelia's debug log
 * (one "Access Request ... is being processed" line per token-endpoint call, one "Revocation
 * Request ..." per revocation) over the window after the sign-ins.
 */
async function countTokenCalls(ca: PrivateCa, users: readonly RealUser[], options: CostOptions): Promise<TokenCalls> {
  const port = await freePort();
  const accessLifetimeSeconds = 120;
  const sweep = '* * * * *';
  const authelia = await startAuthelia({
    version: AUTHELIA_VERSION,
    ca,
    clientSecret: CLIENT_SECRET,
    client: { redirectUris: [`http://127.0.0.1:${port}/api/oauth2-redirect`], offlineAccess: true, consentMode: 'implicit' },
    users,
    lifespans: { access_token: `${accessLifetimeSeconds}s` },
    logLevel: 'debug',
  });
  let pb: PocketBaseServer | undefined;
  try {
    pb = await startPocketBase({
      version: options.pocketbaseVersion,
      port,
      env: {
        AUTHELIA_URL: authelia.url, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, SSL_CERT_FILE: ca.caFile,
        AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_SWEEP: sweep, AUTHELIA_REVALIDATE_AFTER: 'off',
      },
    });
    options.log(`token-endpoint calls: ${users.length} users sign in, then ${options.tokenWindowSeconds} s of ${accessLifetimeSeconds} s access tokens and a sweep every minute`);
    for (const user of users) await ssoLogin(pb.url, user, { scopes: WITH_OFFLINE_ACCESS, signIn: (authUrl, redirectUrl) => loginAtAuthelia(authelia, authUrl, redirectUrl, user) });
    const from = authelia.output().length;
    await sleep(options.tokenWindowSeconds * 1000);
    const window = authelia.output().slice(from);
    const count = (pattern: RegExp) => (window.match(pattern) ?? []).length;
    const tokenEndpoint = count(/msg="Access Request with id '[^']+' is being processed"/g);
    const revocations = count(/msg="Revocation Request with id '[^']+' is being processed"/g);
    const userinfo = count(/msg="User Info Request with id '[^']+' is being processed"/g);
    const lifetimes = (users.length * options.tokenWindowSeconds) / accessLifetimeSeconds;
    return {
      users: users.length, windowSeconds: options.tokenWindowSeconds, accessLifetimeSeconds, sweep,
      tokenEndpoint, revocations, userinfo, perUserPerLifetime: (tokenEndpoint + revocations) / lifetimes,
    };
  } finally {
    await pb?.destroy();
    await authelia.close();
  }
}

/** Runs the sweep by hand and waits for its report; Authelia's CPU time over the run. */
async function sweepCpu(pb: PocketBaseServer, cpu: () => number): Promise<{ checked: number; cpuMs: number }> {
  const superuser = await pb.superuser();
  const before = (await superuser.send('/api/authelia/status', {})).revalidation.lastSweep?.at ?? '';
  const start = cpu();
  await superuser.send('/api/crons/authelia-sweep', { method: 'POST' });
  for (;;) {
    await sleep(100);
    const report = (await superuser.send('/api/authelia/status', {})).revalidation.lastSweep;
    if (report && report.at !== before) {
      const cpuMs = cpu() - start;
      if (report.undecided > 0 || report.ended > 0 || report.failed > 0) throw new Error(`the sweep could not check every record: ${JSON.stringify(report)}`);
      return { checked: report.checked, cpuMs };
    }
  }
}

/** Authelia's CPU time so far (user + system, all its threads), in milliseconds, at the clock tick's 10 ms. */
function cpuClock(authelia: RealAuthelia): () => number {
  const pid = authelia.pid();
  if (!pid) throw new Error('Authelia is not running');
  return () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  };
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export { HttpsClient };
