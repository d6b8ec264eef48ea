// The real Authelia (built by npm run build:real into .cache/authelia/<version>/) for one test: its
// own folder, configuration, users file or LDAP backend, SQLite storage and TLS certificate from
// the test's private CA. Authelia serves OIDC over HTTPS only, and its cookie domain may be an IP.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { realBinary } from '../real/builds.js';
import type { PrivateCa } from '../private-ca.js';
import { freePort } from '../pocketbase.js';
import { autheliaConfig, newSecrets, pbkdf2Digest, usersFile, type ClientOptions, type ConfigSecrets, type LdapBackend, type RealUser } from './config.js';
import { HttpsClient } from './https-client.js';
import { TotpDevice, totpSecretFor } from './totp.js';

const run = promisify(execFile);

// Authelia reads every AUTHELIA_* variable of its environment as configuration (and warns about the
// ones it does not know): it gets none of the test process's, whose AUTHELIA_* are PocketBase's.
const autheliaEnv = (): NodeJS.ProcessEnv => Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(X_)?AUTHELIA_/.test(name)));

export interface AutheliaOptions {
  readonly version: string;
  readonly ca: PrivateCa;
  readonly client: ClientOptions;
  readonly clientSecret: string;
  /** A client written elsewhere (authelia-config's output), instead of the guide's from `client`. */
  readonly rawClient?: Readonly<Record<string, unknown>>;
  /** A port chosen beforehand (authelia-config needs Authelia's URL). */
  readonly port?: number;
  /** false: write the configuration without starting Authelia (for `validate-config`). */
  readonly start?: boolean;
  /** File backend users (ignored with `ldap`, whose users live in the directory). */
  readonly users?: readonly RealUser[];
  /** Users who get a TOTP device seeded (with `ldap`: the directory's users). Default: every file user. */
  readonly totpUsers?: readonly string[];
  readonly ldap?: LdapBackend;
  readonly lifespans?: Readonly<Record<string, string>>;
  /** Authelia's log level; the tests' default is debug (what a failing test wants to read). */
  readonly logLevel?: 'debug' | 'info' | 'trace';
  /** pbkdf2-sha512 iterations of the client secret's digest; default the guide's 310000. */
  readonly clientSecretIterations?: number;
}

export interface RealAuthelia {
  readonly version: string;
  /** The issuer: https://127.0.0.1:<port> */
  readonly url: string;
  readonly configFile: string;
  readonly totp: TotpDevice;
  /** Everything Authelia printed since it started (all starts). */
  output(): string;
  /** Rewrites the users file; resolves once Authelia has reloaded it. */
  setUsers(users: readonly RealUser[]): Promise<void>;
  /** `authelia <args> --config <file>`, e.g. `storage user identifiers export`. */
  cli(args: readonly string[]): Promise<string>;
  /**
   * Counts of the OAuth 2.0 token sessions Authelia still honours (active, not revoked), read from
   * its own storage with Debian's sqlite3: the truth behind its introspection, without the tokens,
   * which PocketBase never hands out.
   */
  liveTokens(): Promise<{ access: number; refresh: number }>;
  /** Access tokens Authelia has issued since it started on this storage (a code exchange or a refresh grant each), revoked ones included. */
  issuedAccessTokens(): Promise<number>;
  /** An HTTPS client that trusts the test CA (and keeps its own cookies). */
  client(): HttpsClient;
  /** The running process's id (for its CPU time in /proc), or undefined while stopped. */
  pid(): number | undefined;
  stop(): Promise<void>;
  /**
   * Starts again on the same port; `fresh` first deletes its storage (tokens, consents, subjects,
   * TOTP), then runs `prepare` against the empty storage before anything else (an operator
   * restoring it, e.g. `storage migrate up` and `storage user identifiers import`).
   */
  start(storage?: 'same' | 'fresh', prepare?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export async function startAuthelia(options: AutheliaOptions): Promise<RealAuthelia> {
  const binary = realBinary('authelia', options.version);
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run npm run build:real (npm test does it first)`);
  const dir = await mkdtemp(join(tmpdir(), `authelia-${options.version}-`));
  const port = options.port ?? (await freePort());
  const url = `https://127.0.0.1:${port}`;
  const cert = await options.ca.issue(`authelia-${port}`, ['127.0.0.1']);
  const configFile = join(dir, 'configuration.yml');
  const secrets: ConfigSecrets = newSecrets();
  const cli = async (args: readonly string[]) => (await run(binary, [...args, '--config', configFile], { cwd: dir, env: autheliaEnv() })).stdout;
  const clientSecretDigest = await secretDigest(binary, options.clientSecret, options.clientSecretIterations ?? 310_000);
  await writeFile(configFile, JSON.stringify(autheliaConfig({
    port, dir, certFile: cert.certFile, keyFile: cert.keyFile, clientSecretDigest, client: options.client, secrets,
    ...(options.rawClient ? { rawClient: options.rawClient } : {}),
    ...(options.ldap ? { ldap: options.ldap } : {}),
    ...(options.lifespans ? { lifespans: options.lifespans } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
  }), null, 2));
  if (!options.ldap) await writeFile(join(dir, 'users.yml'), JSON.stringify(usersFile(options.users ?? []), null, 2));
  const totpUsers = options.totpUsers ?? (options.users ?? []).map((u) => u.username);

  let output = '';
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  const totp = new TotpDevice();

  const database = join(dir, 'db.sqlite3');
  const seed = async () => {
    // Unless `prepare` migrated it already: a second `migrate up` fails ("schema already up to date").
    if (!existsSync(database)) await cli(['storage', 'migrate', 'up']);
    for (const username of totpUsers) await cli(['storage', 'user', 'totp', 'generate', username, '--secret', totpSecretFor(username)]);
  };
  const start = async (storage: 'same' | 'fresh' = 'same', prepare?: () => Promise<void>) => {
    if (storage === 'fresh') {
      await rm(database, { force: true });
      totp.reset();
      await prepare?.();
      await seed();
    } else if (!existsSync(database)) {
      await seed();
    }
    const proc = spawn(binary, ['--config', configFile], { cwd: dir, env: autheliaEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    exited = new Promise((done) => proc.once('exit', done));
    await waitForHealth(url, options.ca, proc, () => output);
  };
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child?.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  if (options.start !== false) await start();
  return {
    version: options.version,
    url,
    configFile,
    totp,
    output: () => output,
    setUsers: async (users) => {
      // Authelia's watcher reloads on each write event but skips one that comes within its
      // cooldown of the last reload, and a plain rewrite makes two events (truncate, then data):
      // the data could be skipped and the old users kept. So the file is replaced in one rename,
      // and replaced again until Authelia says it reloaded ("Reloaded successfully", not "skipped").
      const reloaded = () => (output.match(/Reloaded successfully/g) ?? []).length;
      const before = reloaded();
      const file = join(dir, 'users.yml');
      const deadline = Date.now() + 10_000;
      for (;;) {
        await writeFile(`${file}.next`, JSON.stringify(usersFile(users), null, 2));
        await rename(`${file}.next`, file);
        const attemptEnds = Date.now() + 1_500;
        while (reloaded() === before && Date.now() < attemptEnds) await new Promise((done) => setTimeout(done, 50));
        if (reloaded() > before) return;
        if (Date.now() > deadline) throw new Error(`Authelia ${options.version} did not reload its users file within 10 s:\n${output.slice(-2000)}`);
      }
    },
    cli,
    liveTokens: async () => ({
      access: await countRows(join(dir, 'db.sqlite3'), 'oauth2_access_token_session', 'active = 1 AND revoked = 0'),
      refresh: await countRows(join(dir, 'db.sqlite3'), 'oauth2_refresh_token_session', 'active = 1 AND revoked = 0'),
    }),
    issuedAccessTokens: () => countRows(join(dir, 'db.sqlite3'), 'oauth2_access_token_session', '1 = 1'),
    client: () => new HttpsClient(readCa(options.ca)),
    pid: () => (child && child.exitCode === null ? child.pid : undefined),
    stop,
    start,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of one of Authelia's tables, read from its storage with Debian's sqlite3. */
async function countRows(database: string, table: string, where: string): Promise<number> {
  const { stdout } = await run('sqlite3', [database, `SELECT COUNT(*) FROM ${table} WHERE ${where};`]).catch((error: NodeJS.ErrnoException) => {
    throw new Error(error.code === 'ENOENT' ? 'sqlite3 is not installed: apt-get install sqlite3 (npm test installs it when run as root)' : String(error));
  });
  return Number(stdout.trim());
}

const digestCache = new Map<string, string>();

/** The client secret as the guide registers it: `authelia crypto hash generate pbkdf2 --variant sha512 --iterations 310000`. */
async function secretDigest(binary: string, secret: string, iterations: number): Promise<string> {
  const key = `${binary}\n${secret}\n${iterations}`;
  const known = digestCache.get(key);
  if (known) return known;
  // Authelia's own tool makes no digest under 100,000 iterations; Authelia reads one all the same.
  if (iterations < 100_000) return pbkdf2Digest(secret, iterations);
  const { stdout } = await run(binary, ['crypto', 'hash', 'generate', 'pbkdf2', '--variant', 'sha512', '--iterations', String(iterations), '--password', secret], { env: autheliaEnv() });
  const digest = /Digest: (\S+)/.exec(stdout)?.[1];
  if (!digest) throw new Error(`authelia crypto hash generate printed no digest: ${stdout}`);
  digestCache.set(key, digest);
  return digest;
}

function readCa(ca: PrivateCa): string {
  return readFileSync(ca.caFile, 'utf8');
}

async function waitForHealth(url: string, ca: PrivateCa, proc: ChildProcess, output: () => string): Promise<void> {
  const client = new HttpsClient(readCa(ca));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`Authelia exited with ${proc.exitCode} at start:\n${output().slice(-4000)}`);
    const answer = await client.send(`${url}/api/health`).catch(() => undefined);
    if (answer?.status === 200) return;
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`Authelia did not answer /api/health within 30 s:\n${output().slice(-4000)}`);
}
