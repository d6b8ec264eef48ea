import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, type Idp } from '../../testkit/idp.js';
import { checkDiscovery, runChecks, type CheckLine } from '../../src/cli/check.js';
import { parseConfig, type Config } from '../../src/core/boot/config.js';
import { answer, discoveryDocument, startFakeServer } from '../support/fake-authelia.js';
import { runCli } from './cli.js';

const SECRET = 'check-test-client-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH';
const ISSUER = 'https://auth.example.com';

function config(env: Record<string, string> = {}): Config {
  const result = parseConfig({ AUTHELIA_URL: ISSUER, AUTHELIA_CLIENT_SECRET: SECRET, ...env }, () => {
    throw new Error('no files');
  });
  if (result.status !== 'valid') throw new Error(JSON.stringify(result));
  return result.config;
}

/** Trimmed from what Authelia 4.38 serves at /.well-known/openid-configuration. */
const AUTHELIA_DOC = {
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/api/oidc/authorization`,
  token_endpoint: `${ISSUER}/api/oidc/token`,
  userinfo_endpoint: `${ISSUER}/api/oidc/userinfo`,
  scopes_supported: ['offline_access', 'openid', 'profile', 'groups', 'email', 'address', 'phone'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
  code_challenge_methods_supported: ['S256', 'plain'],
};

const levels = (lines: readonly CheckLine[]) => Object.fromEntries(lines.map((line) => [line.subject, line.level]));
const find = (lines: readonly CheckLine[], subject: string) => lines.find((line) => line.subject === subject);

describe('checkDiscovery', () => {
  it('passes Authelia\'s document', () => {
    const lines = checkDiscovery(AUTHELIA_DOC, config());
    expect(lines.every((line) => line.level === 'ok')).toBe(true);
    expect(levels(lines)).toEqual({
      issuer: 'ok', authorization_endpoint: 'ok', token_endpoint: 'ok', userinfo_endpoint: 'ok', groups: 'ok', AUTHELIA_SCOPES: 'ok',
      token_endpoint_auth_methods_supported: 'ok', code_challenge_methods_supported: 'ok',
    });
  });

  it('refuses another issuer, naming it', () => {
    const line = find(checkDiscovery({ ...AUTHELIA_DOC, issuer: 'https://auth.example.com/authelia' }, config()), 'issuer')!;
    expect(line.level).toBe('error');
    expect(line.message).toContain('set AUTHELIA_URL=https://auth.example.com/authelia');
  });

  it('errors on missing groups when requested, warns when not', () => {
    const noGroups = { ...AUTHELIA_DOC, scopes_supported: ['openid', 'email', 'profile'] };
    expect(find(checkDiscovery(noGroups, config()), 'groups')!.level).toBe('error');
    expect(find(checkDiscovery(noGroups, config({ AUTHELIA_SCOPES: 'openid email profile' })), 'groups')!.level).toBe('warn');
  });

  it('errors on any other requested scope Authelia does not offer', () => {
    const line = find(checkDiscovery(AUTHELIA_DOC, config({ AUTHELIA_SCOPES: 'openid profile groups custom_scope' })), 'AUTHELIA_SCOPES')!;
    expect(line.level).toBe('error');
    expect(line.message).toMatch(/does not offer custom_scope.*invalid_scope/);
  });

  it('token endpoint authentication: the same verdict as boot (basic preferred, post works through PocketBase\'s fallback)', () => {
    const subject = 'token_endpoint_auth_methods_supported';
    const methods = (list: string[] | undefined) => find(checkDiscovery({ ...AUTHELIA_DOC, [subject]: list }, config()), subject)!;
    expect(methods(['client_secret_basic', 'client_secret_post'])).toMatchObject({ level: 'ok', message: expect.stringContaining('preferred') });
    expect(methods(undefined)).toMatchObject({ level: 'ok', message: expect.stringContaining('client_secret_basic is the default') });
    // Boot gives no warning for this case either (test/unit/boot/discovery.test.ts).
    expect(methods(['client_secret_post'])).toMatchObject({ level: 'ok', message: expect.stringContaining('after Authelia refuses its HTTP Basic try') });
    expect(methods(['private_key_jwt'])).toMatchObject({ level: 'error', message: expect.stringContaining('neither client_secret_basic nor client_secret_post') });
    expect(methods([])).toMatchObject({ level: 'error', message: expect.stringContaining('got an empty list') });
  });

  it('errors without S256 while PKCE is on, says nothing when it is off', () => {
    const doc = { ...AUTHELIA_DOC, code_challenge_methods_supported: ['plain'] };
    expect(find(checkDiscovery(doc, config()), 'code_challenge_methods_supported')!.level).toBe('error');
    expect(find(checkDiscovery(doc, config({ AUTHELIA_PKCE: 'false' })), 'code_challenge_methods_supported')).toBeUndefined();
  });

  it('warns on endpoints off Authelia\'s standard paths, errors on missing ones', () => {
    const doc = { ...AUTHELIA_DOC, token_endpoint: `${ISSUER}/other/token`, userinfo_endpoint: undefined };
    const lines = checkDiscovery(doc, config());
    expect(find(lines, 'token_endpoint')).toMatchObject({ level: 'warn' });
    expect(find(lines, 'token_endpoint')!.message).toContain("not Authelia's standard https://auth.example.com/api/oidc/token");
    expect(find(lines, 'userinfo_endpoint')!.level).toBe('error');
  });

  it.each([
    ['another host', 'https://other.example.com/api/oidc/token', 'https://other.example.com/api/oidc/token'],
    ['another port', 'https://auth.example.com:8443/api/oidc/token', 'https://auth.example.com:8443/api/oidc/token'],
    ['http', 'http://auth.example.com/api/oidc/token', 'http://auth.example.com/api/oidc/token'],
  ])('errors on an endpoint off the issuer\'s origin, as boot refuses it: %s', (_label, url, shown) => {
    const line = find(checkDiscovery({ ...AUTHELIA_DOC, token_endpoint: url }, config()), 'token_endpoint')!;
    expect(line.level).toBe('error');
    expect(line.message).toBe(`${shown} is off AUTHELIA_URL's origin https://auth.example.com, where Authelia serves every endpoint: ` +
      'PocketBase would ignore the whole document and use Authelia\'s standard paths under https://auth.example.com; ' +
      'fix the proxy that rewrites the document, or AUTHELIA_URL if it is not Authelia');
  });

  it('accepts endpoints on the issuer\'s origin written with the default port or in capitals', () => {
    const doc = { ...AUTHELIA_DOC, token_endpoint: 'https://AUTH.example.com:443/api/oidc/token' };
    expect(find(checkDiscovery(doc, config()), 'token_endpoint')!.level).toBe('warn'); // usable, just not the literal standard path
  });

  it('errors on an endpoint with credentials in it, without quoting them', () => {
    const lines = checkDiscovery({ ...AUTHELIA_DOC, token_endpoint: 'https://client:hunter2@auth.example.com/api/oidc/token' }, config());
    expect(find(lines, 'token_endpoint')!.level).toBe('error');
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('quotes another issuer without the credentials in it', () => {
    const lines = checkDiscovery({ ...AUTHELIA_DOC, issuer: 'https://admin:hunter2@auth.example.com' }, config());
    expect(find(lines, 'issuer')!.message).toContain("Authelia's issuer is https://***@auth.example.com,");
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('warns, and only warns, when offline_access is requested but not advertised', () => {
    const withOffline = config({ AUTHELIA_SCOPES: 'openid email profile groups offline_access' });
    const without = { ...AUTHELIA_DOC, scopes_supported: ['openid', 'profile', 'groups', 'email'] };
    const lines = checkDiscovery(without, withOffline);
    expect(find(lines, 'offline_access')).toMatchObject({ level: 'warn', message: expect.stringContaining('does not list it: expect no refresh token') });
    expect(find(lines, 'AUTHELIA_SCOPES')!.level).toBe('ok');
    expect(lines.filter((line) => line.level === 'error')).toEqual([]);
    // Advertised, or not requested: no line about it.
    expect(find(checkDiscovery(AUTHELIA_DOC, withOffline), 'offline_access')).toBeUndefined();
    expect(find(checkDiscovery(without, config()), 'offline_access')).toBeUndefined();
  });

  it('refuses what is not a JSON object', () => {
    expect(checkDiscovery(['x'], config())).toEqual([expect.objectContaining({ level: 'error', subject: 'discovery' })]);
  });
});

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function outputLine(stdout: string, level: string, subject: string): string | undefined {
  return stdout.split('\n').find((line) => line.startsWith(`${level.padEnd(5)} ${subject}:`));
}

describe('pocketbase-authelia check, against the Authelia-like demo IdP', () => {
  let idp: Idp;
  let prefixed: Idp;
  let proxy: Server;
  let proxyUrl: string;

  beforeAll(async () => {
    const clients = [
      { clientId: 'pocketbase', clientSecret: SECRET, redirectUris: ['https://pb.example.com/api/oauth2-redirect'] },
      // Refuses HTTP Basic with invalid_client, as Authelia does for a client_secret_post client.
      { clientId: 'pocketbase-post', clientSecret: SECRET, redirectUris: ['https://pb.example.com/api/oauth2-redirect'], tokenEndpointAuthMethod: 'client_secret_post' as const },
      // Revocation registered for the form body: the check's Basic try is refused, the retry accepted.
      { clientId: 'pocketbase-revoke-post', clientSecret: SECRET, redirectUris: ['https://pb.example.com/api/oauth2-redirect'], revocationEndpointAuthMethod: 'client_secret_post' as const },
    ];
    [idp, prefixed] = await Promise.all([startIdp({ users: [], clients }), startIdp({ users: [], clients, issuerPath: '/authelia' })]);
    // A reverse proxy that serves Authelia under /sso, while Authelia still believes it is at /.
    proxy = createServer((req, res) => {
      const target = new URL(idp.issuer);
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: (req.url ?? '/').replace(/^\/sso/, '') || '/', headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    proxyUrl = `http://127.0.0.1:${await listen(proxy)}/sso`;
  });

  afterAll(async () => {
    await Promise.all([idp?.close(), prefixed?.close(), new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)))]);
  });

  it('a good configuration: exit 0, every check ok, the secret accepted', async () => {
    const run = await runCli(['check', '--pocketbase-url', 'https://pb.example.com/'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: SECRET });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('info  redirect_uris: Authelia\'s client must list https://pb.example.com/api/oauth2-redirect');
    for (const subject of ['config', 'discovery', 'issuer', 'authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'groups',
      'AUTHELIA_SCOPES', 'token_endpoint_auth_methods_supported', 'code_challenge_methods_supported', 'client', 'revocation']) {
      expect(outputLine(run.stdout, 'ok', subject), `${subject} in\n${run.stdout}`).toBeDefined();
    }
    expect(outputLine(run.stdout, 'ok', 'authorization_endpoint')).toContain("(Authelia's standard path)");
    expect(outputLine(run.stdout, 'ok', 'client')).toContain('accepted client "pocketbase" and its secret with client_secret_basic, PocketBase\'s first try');
    expect(outputLine(run.stdout, 'ok', 'client')).toContain('got invalid_grant');
    expect(outputLine(run.stdout, 'ok', 'revocation')).toContain('accepts client "pocketbase" at its revocation endpoint (HTTP Basic)');
    // The demo speaks http, which real Authelia does not: a warning, not an error.
    expect(outputLine(run.stdout, 'warn', 'AUTHELIA_URL')).toBeDefined();
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('0 errors, 1 warning: PocketBase can use this Authelia');
    expect(run.stdout).not.toContain(SECRET);
  });

  it('reads the secret from AUTHELIA_CLIENT_SECRET_FILE and accepts a base path', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pba-check-')), 'secret');
    writeFileSync(file, `${SECRET}\n`);
    const run = await runCli(['check'], { AUTHELIA_URL: `${prefixed.issuer}/`, AUTHELIA_CLIENT_SECRET_FILE: file });
    expect(run.code, run.stdout).toBe(0);
    expect(outputLine(run.stdout, 'ok', 'issuer')).toContain(prefixed.issuer);
  });

  it('checks the revocation endpoint with its own auth method: Basic for a client_secret_post token endpoint, the body for a post-only revocation endpoint', async () => {
    const post = await runCli(['check'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_ID: 'pocketbase-post', AUTHELIA_CLIENT_SECRET: SECRET });
    expect(outputLine(post.stdout, 'ok', 'revocation'), post.stdout).toContain('(HTTP Basic)');
    const revokePost = await runCli(['check'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_ID: 'pocketbase-revoke-post', AUTHELIA_CLIENT_SECRET: SECRET });
    expect(outputLine(revokePost.stdout, 'ok', 'revocation'), revokePost.stdout).toContain('(secret in the request body)');
  });

  it('warns when Authelia refuses the client at its revocation endpoint: sign-out could not revoke grants', async () => {
    // Authelia answering invalid_client at revocation only (a client registered with another revocation secret or method).
    const refusingRevocation: typeof fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.endsWith('/api/oidc/revocation')) return new Response('{"error":"invalid_client"}', { status: 401, headers: { 'content-type': 'application/json' } });
      return fetch(input, init);
    };
    const lines = await runChecks({ env: { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: SECRET }, readFile: () => '', fetch: refusingRevocation });
    const revocation = lines.find((item) => item.subject === 'revocation');
    expect(revocation?.level).toBe('warn');
    expect(revocation?.message).toMatch(/did not accept client "pocketbase" at its revocation endpoint \(HTTP 401, invalid_client\): sign-out still ends PocketBase sessions/);
    expect(lines.filter((item) => item.level === 'error')).toEqual([]);
  });

  it('a wrong secret: exit 1, invalid_client', async () => {
    const run = await runCli(['check'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: 'not-the-registered-secret' });
    expect(run.code).toBe(1);
    expect(outputLine(run.stdout, 'error', 'client')).toContain('refused client "pocketbase" and its secret with HTTP Basic and in the request body (invalid_client)');
  });

  it('a client_secret_post client: accepted through the same fallback PocketBase uses, exit 0, basic recommended', async () => {
    const run = await runCli(['check'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_ID: 'pocketbase-post', AUTHELIA_CLIENT_SECRET: SECRET });
    expect(run.code, run.stdout).toBe(0);
    const client = outputLine(run.stdout, 'ok', 'client');
    expect(client, run.stdout).toContain('accepted client "pocketbase-post" and its secret with client_secret_post, after refusing HTTP Basic');
    expect(client).toContain('token_endpoint_auth_method: client_secret_basic saves the refused request');
  });

  it('a token endpoint off the issuer\'s origin: exit 1, and the client secret is sent nowhere', async () => {
    const elsewhere = await startFakeServer(answer(400, 'application/json', '{"error":"invalid_grant"}'));
    const fake = await startFakeServer((req, res) => {
      const document = { ...discoveryDocument(`http://${req.headers.host}`), token_endpoint: `${elsewhere.url}/api/oidc/token` };
      answer(200, 'application/json', JSON.stringify(document))(req, res);
    });
    try {
      const run = await runCli(['check'], { AUTHELIA_URL: fake.url, AUTHELIA_CLIENT_SECRET: SECRET });
      expect(run.code).toBe(1);
      expect(outputLine(run.stdout, 'error', 'token_endpoint'), run.stdout).toContain(`${elsewhere.url}/api/oidc/token is off AUTHELIA_URL's origin ${fake.url}`);
      expect(outputLine(run.stdout, 'error', 'client'), run.stdout).toBe(`error client: not tried: the client secret is sent only to AUTHELIA_URL's origin ${fake.url}, ` +
        `and the discovery document's token_endpoint ${elsewhere.url}/api/oidc/token is off it`);
      expect(fake.requests).toEqual(['GET /.well-known/openid-configuration']);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await Promise.all([fake.close(), elsewhere.close()]);
    }
  });

  it('a token endpoint that redirects elsewhere: the redirect is not followed, so the secret stays at Authelia\'s origin', async () => {
    const elsewhere = await startFakeServer(answer(400, 'application/json', '{"error":"invalid_grant"}'));
    const fake = await startFakeServer((req, res) => {
      if (req.method === 'POST') {
        res.writeHead(307, { location: `${elsewhere.url}/api/oidc/token` }).end();
        return;
      }
      answer(200, 'application/json', JSON.stringify(discoveryDocument(`http://${req.headers.host}`)))(req, res);
    });
    try {
      const run = await runCli(['check'], { AUTHELIA_URL: fake.url, AUTHELIA_CLIENT_SECRET: SECRET });
      expect(outputLine(run.stdout, 'warn', 'client'), run.stdout).toContain('could not tell whether Authelia accepts the client id and secret (HTTP 307)');
      expect(fake.requests).toEqual(['GET /.well-known/openid-configuration', 'POST /api/oidc/token']);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await Promise.all([fake.close(), elsewhere.close()]);
    }
  });

  it('AUTHELIA_URL with a user and password: exit 1, naming AUTHELIA_URL, credentials neither printed nor used', async () => {
    const fake = await startFakeServer(answer(500, 'text/plain', 'must not be asked'));
    try {
      const url = `http://admin:hunter2-pw@127.0.0.1:${fake.port}`;
      const run = await runCli(['check'], { AUTHELIA_URL: url, AUTHELIA_CLIENT_SECRET: SECRET });
      expect(run.code).toBe(1);
      expect(outputLine(run.stdout, 'error', 'AUTHELIA_URL')).toContain(`"http://***@127.0.0.1:${fake.port}" holds a user name or password`);
      expect(`${run.stdout}${run.stderr}`).not.toContain('hunter2');
      expect(fake.requests).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('offline_access requested but not in scopes_supported: a warning, exit 0', async () => {
    const fake = await startFakeServer((req, res) => {
      if (req.method === 'POST') return answer(400, 'application/json', '{"error":"invalid_grant"}')(req, res);
      const document = discoveryDocument(`http://${req.headers.host}`);
      document['scopes_supported'] = ['openid', 'groups', 'email', 'profile'];
      return answer(200, 'application/json', JSON.stringify(document))(req, res);
    });
    try {
      const run = await runCli(['check'], { AUTHELIA_URL: fake.url, AUTHELIA_CLIENT_SECRET: SECRET, AUTHELIA_SCOPES: 'openid email profile groups offline_access' });
      expect(run.code, run.stdout).toBe(0);
      expect(outputLine(run.stdout, 'warn', 'offline_access')).toContain('AUTHELIA_SCOPES requests offline_access but the discovery document does not list it');
      expect(outputLine(run.stdout, 'ok', 'client')).toBeDefined();
    } finally {
      await fake.close();
    }
  });

  it('AUTHELIA_URL on another path than Authelia\'s issuer: exit 1, naming the issuer', async () => {
    const run = await runCli(['check'], { AUTHELIA_URL: proxyUrl, AUTHELIA_CLIENT_SECRET: SECRET });
    expect(run.code).toBe(1);
    const line = outputLine(run.stdout, 'error', 'issuer');
    expect(line, run.stdout).toBe(`error issuer: Authelia's issuer is ${idp.issuer}, not AUTHELIA_URL=${proxyUrl}; set AUTHELIA_URL=${idp.issuer} (exactly), or fix Authelia's URL behind your proxy`);
    expect(run.stdout).not.toMatch(/ client:/); // no secret sent to a server we do not trust
  });

  it('AUTHELIA_URL without Authelia\'s base path: exit 1, HTTP 404', async () => {
    const root = prefixed.issuer.replace(/\/authelia$/, '');
    const run = await runCli(['check'], { AUTHELIA_URL: root, AUTHELIA_CLIENT_SECRET: SECRET });
    expect(run.code).toBe(1);
    expect(outputLine(run.stdout, 'error', 'discovery')).toContain(`${root}/.well-known/openid-configuration answered HTTP 404; AUTHELIA_URL must be Authelia's root URL`);
  });

  it('Authelia unreachable: exit 1, says so', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const run = await runCli(['check'], { AUTHELIA_URL: url, AUTHELIA_CLIENT_SECRET: SECRET });
    expect(run.code).toBe(1);
    expect(outputLine(run.stdout, 'error', 'discovery')).toMatch(new RegExp(`cannot reach Authelia at ${url}/\\.well-known/openid-configuration \\(.*ECONNREFUSED.*\\); start Authelia or fix AUTHELIA_URL`));
  });

  it('Authelia not answering within AUTHELIA_DISCOVERY_TIMEOUT: exit 1', async () => {
    const silent = createServer(() => undefined);
    const port = await listen(silent);
    try {
      const run = await runCli(['check'], { AUTHELIA_URL: `http://127.0.0.1:${port}`, AUTHELIA_CLIENT_SECRET: SECRET, AUTHELIA_DISCOVERY_TIMEOUT: '1' });
      expect(run.code).toBe(1);
      expect(outputLine(run.stdout, 'error', 'discovery')).toContain('no answer within AUTHELIA_DISCOVERY_TIMEOUT=1s');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a scope the IdP does not advertise: an error (Authelia refuses it with invalid_scope), exit 1', async () => {
    const run = await runCli(['check'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: SECRET, AUTHELIA_SCOPES: 'openid email profile groups address' });
    expect(run.code).toBe(1);
    expect(outputLine(run.stdout, 'error', 'AUTHELIA_SCOPES')).toContain('Authelia does not offer address; it would refuse every login with invalid_scope');
  });

  it('groups left out of AUTHELIA_SCOPES: a warning, exit 0', async () => {
    const run = await runCli(['check'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: SECRET, AUTHELIA_SCOPES: 'openid email profile' });
    expect(run.code).toBe(0);
    expect(outputLine(run.stdout, 'warn', 'config')).toContain('AUTHELIA_SCOPES lacks "groups"');
  });

  it('an invalid configuration: parseConfig\'s issues verbatim, exit 1, nothing fetched', async () => {
    const env = { AUTHELIA_URL: 'auth.example.com', AUTHELIA_PKCE: 'maybe', AUTHELIA_CLIENT_SECRET_FILE: '/nonexistent/secret' };
    const run = await runCli(['check'], env);
    expect(run.code).toBe(1);
    const expected = parseConfig(env, () => {
      throw new Error('ENOENT');
    });
    if (expected.status !== 'invalid') throw new Error('expected invalid');
    expect(expected.issues.length).toBe(3);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, -1)).toEqual(expected.issues.map((issue) => `error ${issue.variable}: ${issue.message}`));
    expect(lines.at(-1)).toBe('3 errors, 0 warnings: fix the errors before restarting PocketBase');
  });

  it('no AUTHELIA_URL: the extension would stay disabled, exit 1', async () => {
    const run = await runCli(['check']);
    expect(run.code).toBe(1);
    expect(outputLine(run.stdout, 'error', 'AUTHELIA_URL')).toContain('is not set, so the extension stays disabled');
  });
});
