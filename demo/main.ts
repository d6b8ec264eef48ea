// `npm start`: a real PocketBase with the built pb_hooks/, an Authelia stand-in it trusts (unless
// AUTHELIA_URL points at a real one) and a one-button page that signs in through the official SDK.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { startIdp, type Idp } from '../testkit/idp.js';
import { servePage } from '../testkit/page-server.js';
import { fieldNames, prepareDemoData, type FieldNames } from './demo-data.js';
import { DEMO_USERS } from './demo-users.js';
import { demoPage } from './page.js';

// demo/main.ts and its bundle .demo/main.mjs both sit one folder below the project root.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLIENT_ID = 'pocketbase';
// Roles for the demo users' groups, so that the page shows the roles field at work too.
const DEMO_ROLES = 'admin=admins;developer=dev';
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

interface Settings {
  host: string;
  port: number;
  idpPort: number;
  pagePort: number;
  dataDir: string;
  admin: { email: string; password: string };
  /** The operator's own Authelia: no demo IdP, their AUTHELIA_* reach PocketBase untouched. */
  externalAuthelia: string | undefined;
  names: FieldNames;
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
  const port = portFrom(env, 'PORT', 8090);
  return {
    host: env['HOST'] || '127.0.0.1',
    port,
    idpPort: portFrom(env, 'IDP_PORT', 9091),
    pagePort: portFrom(env, 'DEMO_PAGE_PORT', port + 1),
    dataDir: resolve(env['PB_DATA'] || '.demo/pb_data'),
    admin: { email: env['PB_ADMIN_EMAIL'] || 'admin@example.test', password: env['PB_ADMIN_PASSWORD'] || 'demo-password-1' },
    // The extension accepts a _FILE form of every variable, so either one means "configured".
    externalAuthelia: env['AUTHELIA_URL'] || (env['AUTHELIA_URL_FILE'] && `(from ${env['AUTHELIA_URL_FILE']})`) || undefined,
    names: fieldNames(env),
  };
}

function portFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

// A bundled copy of pocketbase-versions.js would resolve the binary from .demo/, so load the
// original at run time where its import.meta.url is right.
async function pocketbaseBinary(): Promise<string> {
  const versions = (await import(pathToFileURL(join(ROOT, 'testkit/pocketbase-versions.js')).href)) as {
    NEWEST: string;
    pocketbaseBinary(version: string): string;
  };
  return versions.pocketbaseBinary(versions.NEWEST);
}

async function upsertSuperuser(binary: string, s: Settings): Promise<void> {
  await promisify(execFile)(binary, ['superuser', 'upsert', s.admin.email, s.admin.password, '--dir', s.dataDir]);
}

function startDemoIdp(s: Settings, clientSecret: string): Promise<Idp> {
  return startIdp({
    host: s.host,
    port: s.idpPort,
    consent: 'explicit',
    adminPage: true,
    adminPageNote: whenChangesArrive({ ...DEMO_REVALIDATION, ...process.env }),
    users: [...DEMO_USERS],
    // offline_access: PocketBase keeps a refresh token and can check the user with the IdP for the whole session.
    clients: [{ clientId: CLIENT_ID, clientSecret, redirectUris: [`http://${hostPort(s.host, s.port)}/api/oauth2-redirect`], offlineAccess: true }],
  });
}

/**
 * The demo IdP's settings override any AUTHELIA_* left in the shell, which would not match it.
 * AUTHELIA_ROLES defaults to roles for the demo users' groups.
 */
function envForDemoIdp(issuer: string, clientSecret: string, pageUrl: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ['AUTHELIA_URL', 'AUTHELIA_CLIENT_ID', 'AUTHELIA_CLIENT_SECRET']) delete env[`${name}_FILE`];
  const roles = env['AUTHELIA_ROLES'] || env['AUTHELIA_ROLES_FILE'] ? {} : { AUTHELIA_ROLES: DEMO_ROLES };
  // After signing out, the IdP's portal sign-out page sends the browser back to the demo page (same host: its "cookie domain").
  const signOut = env['AUTHELIA_SIGN_OUT_REDIRECT'] || env['AUTHELIA_SIGN_OUT_REDIRECT_FILE'] ? {} : { AUTHELIA_SIGN_OUT_REDIRECT: pageUrl };
  return { ...DEMO_REVALIDATION, ...env, ...roles, ...signOut, AUTHELIA_URL: issuer, AUTHELIA_CLIENT_ID: CLIENT_ID, AUTHELIA_CLIENT_SECRET: clientSecret };
}

/**
 * Short intervals so a change on the demo users page reaches PocketBase while you watch: a
 * refresh asks the IdP after 30 s, and the sweep runs every minute. Variables set in the shell win.
 */
const DEMO_REVALIDATION = {
  AUTHELIA_SCOPES: 'openid email profile groups offline_access',
  AUTHELIA_REVALIDATE_AFTER: '30s',
  AUTHELIA_SWEEP: '* * * * *',
};

/** What the IdP's users page says about when an edit reaches PocketBase, from the demo's effective settings. */
export function whenChangesArrive(env: NodeJS.ProcessEnv): string {
  const setting = (name: string) => env[name] || (env[`${name}_FILE`] ? `(from ${env[`${name}_FILE`]})` : '');
  const after = setting('AUTHELIA_REVALIDATE_AFTER') || '5m';
  const sweep = setting('AUTHELIA_SWEEP') || '*/10 * * * *';
  const refresh = after === 'off' || after === '0'
    ? 'A Refresh on the demo page does not ask (AUTHELIA_REVALIDATE_AFTER=off)'
    : `A Refresh on the demo page asks once ${after} have passed since that user's last check (AUTHELIA_REVALIDATE_AFTER=${after})`;
  const background = sweep === 'off'
    ? 'there is no background sweep (AUTHELIA_SWEEP=off)'
    : `the background sweep asks for every signed-in user ${sweep === '* * * * *' ? 'every minute, on the minute' : `on the schedule ${sweep} (UTC)`} (AUTHELIA_SWEEP=${sweep})`;
  return `PocketBase sees a change here only when it next asks. ${refresh}; ${background}. Whichever comes first brings the change; the demo page's Refresh says whether it checked, or when it will.`;
}

interface PocketBaseProcess {
  child: ChildProcess;
  exited: Promise<number>;
}

function startPocketBase(binary: string, s: Settings, env: NodeJS.ProcessEnv): PocketBaseProcess {
  const args = ['serve', '--dev=false', '--http', hostPort(s.host, s.port), '--dir', s.dataDir, '--hooksDir', join(ROOT, 'pb_hooks'), '--hooksWatch=false'];
  const child = spawn(binary, args, { env, stdio: 'inherit' });
  // A signal death has no code; report it the way a shell would.
  const exited = new Promise<number>((done) => child.once('exit', (code, signal) => done(code ?? (signal ? 128 + signalNumber(signal) : 1))));
  return { child, exited };
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[signal] ?? 0;
}

async function stopPocketBase(pb: PocketBaseProcess): Promise<void> {
  if (pb.child.exitCode === null && pb.child.signalCode === null) pb.child.kill('SIGTERM');
  const timer = setTimeout(() => pb.child.kill('SIGKILL'), STOP_GRACE_MS);
  await pb.exited;
  clearTimeout(timer);
}

/** Resolves true once healthy, false if PocketBase exited first (it then says why itself). */
async function waitForHealth(origin: string, pb: PocketBaseProcess): Promise<boolean> {
  let exited = false;
  void pb.exited.then(() => (exited = true));
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (!exited) {
    if (Date.now() > deadline) throw new Error(`PocketBase did not answer ${origin}/api/health within ${HEALTH_TIMEOUT_MS / 1000} s`);
    const ok = await fetch(`${origin}/api/health`).then((r) => r.ok, () => false);
    if (ok) return true;
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}

function banner(s: Settings, idp: Idp | undefined, env: NodeJS.ProcessEnv): string {
  const pbUrl = `http://${hostPort(s.host, s.port)}`;
  const lines = [
    '',
    'PocketBase + Authelia demo is running',
    `  Dashboard:   ${pbUrl}/_/   superuser ${s.admin.email} / ${s.admin.password}`,
    `  Demo page:   http://${hostPort(s.host, s.pagePort)}/   click "Login with Authelia"; only members of admins read the note`,
  ];
  if (idp) {
    lines.push(`  Demo IdP:    ${idp.issuer}   sign in as:`);
    const width = Math.max(...DEMO_USERS.map((u) => `${u.username} / ${u.password}`.length));
    for (const u of DEMO_USERS) {
      lines.push(`    ${`${u.username} / ${u.password}`.padEnd(width)}   groups: ${u.groups.length ? u.groups.join(', ') : '(none)'}`);
    }
    lines.push(`  Roles:       AUTHELIA_ROLES=${env['AUTHELIA_ROLES'] ?? `(from ${env['AUTHELIA_ROLES_FILE']})`}`);
    if (idp.adminUrl) {
      lines.push(`  Demo users:  ${idp.adminUrl}   change groups or disable a user`);
      lines.push(`               ${whenChangesArrive(env)}`);
    }
  } else {
    lines.push(`  Authelia:    ${s.externalAuthelia}   (its client must allow redirect URI ${pbUrl}/api/oauth2-redirect)`);
  }
  lines.push('  Ctrl-C stops everything.', '');
  return lines.join('\n');
}

/** Closers run newest first, once, whichever of Ctrl-C, SIGTERM or PocketBase's exit comes first. */
function shutdownWith(closers: Array<() => Promise<void>>): (code: number) => void {
  let started = false;
  return (code) => {
    if (started) return;
    started = true;
    void (async () => {
      for (const close of closers.reverse()) await close().catch((err: unknown) => console.error('demo: stopping failed:', err));
      process.exit(code);
    })();
  };
}

async function main(): Promise<void> {
  const closers: Array<() => Promise<void>> = [];
  const shutdown = shutdownWith(closers);
  process.once('SIGINT', () => shutdown(0));
  process.once('SIGTERM', () => shutdown(0));

  try {
    const s = readSettings(process.env);
    const binary = await pocketbaseBinary();
    await upsertSuperuser(binary, s);

    let idp: Idp | undefined;
    let env = process.env;
    if (!s.externalAuthelia) {
      const clientSecret = randomBytes(32).toString('base64url');
      const started = await startDemoIdp(s, clientSecret);
      closers.push(() => started.close());
      idp = started;
      env = envForDemoIdp(started.issuer, clientSecret, `http://${hostPort(s.host, s.pagePort)}/`);
    }

    const pb = startPocketBase(binary, s, env);
    closers.push(() => stopPocketBase(pb));
    // Strict mode refuses a bad configuration by exiting; the demo then exits the same way.
    void pb.exited.then((code) => shutdown(code));
    if (!(await waitForHealth(`http://${hostPort(s.host, s.port)}`, pb))) return;

    const pbUrl = `http://${hostPort(s.host, s.port)}`;
    await prepareDemoData(pbUrl, s.admin, s.names);
    const page = await servePage(demoPage(pbUrl, s.names), s.host, s.pagePort);
    closers.push(() => page.close());
    console.log(banner(s, idp, env));
  } catch (err) {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    shutdown(1);
  }
}

await main();
