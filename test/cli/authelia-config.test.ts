import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  clientScopes, normalizePocketBaseUrl, redirectUri, renderClientYaml, renderPocketBaseLines, type ClientSettings,
} from '../../src/cli/authelia-config.js';
import { yamlScalar } from '../../src/cli/yaml.js';
import { parseYaml, printedSecret, pythonVerifiesDigest, run, runCli, splitConfigOutput } from './cli.js';
import { verifyDigest } from './digest.js';

const SETTINGS: ClientSettings = {
  pocketbaseUrl: 'https://pb.example.com',
  autheliaUrl: 'https://auth.example.com',
  clientId: 'pocketbase',
  clientName: 'PocketBase',
  policy: 'two_factor',
  consent: 'explicit',
  scopes: ['openid', 'email', 'profile', 'groups'],
  scopesNote: [],
  pkce: true,
};
const DIGEST = '$pbkdf2-sha512$310000$c2FsdA$a2V5';

type Client = Record<string, unknown>;
const clientOf = (yaml: string): Client => {
  const doc = parseYaml(yaml) as { identity_providers: { oidc: { clients: Client[] } } };
  expect(doc.identity_providers.oidc.clients).toHaveLength(1);
  return doc.identity_providers.oidc.clients[0]!;
};

describe('renderClientYaml', () => {
  it('is YAML that parses (PyYAML) to the Authelia client', () => {
    expect(clientOf(renderClientYaml(SETTINGS, DIGEST))).toEqual({
      client_id: 'pocketbase',
      client_name: 'PocketBase',
      client_secret: DIGEST,
      public: false,
      authorization_policy: 'two_factor',
      require_pkce: true,
      pkce_challenge_method: 'S256',
      redirect_uris: ['https://pb.example.com/api/oauth2-redirect'],
      scopes: ['openid', 'email', 'profile', 'groups'],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      userinfo_signed_response_alg: 'none',
      consent_mode: 'explicit',
    });
  });

  it('keeps strings strings: quotes, YAML keywords and numbers', () => {
    const client = clientOf(renderClientYaml({ ...SETTINGS, clientId: 'no', clientName: "Bob's app: #1", policy: '123' }, DIGEST));
    expect(client['client_id']).toBe('no');
    expect(client['client_name']).toBe("Bob's app: #1");
    expect(client['authorization_policy']).toBe('123');
    expect(() => yamlScalar('a\nb')).toThrow(/control character/);
  });

  it('explains the consent mode in a comment', () => {
    const yaml = renderClientYaml(SETTINGS, DIGEST);
    expect(yaml).toMatch(/# explicit: Authelia asks for consent at every login[^\n]*\n(#[^\n]*\n|\s+#[^\n]*\n)*\s+consent_mode: 'explicit'/);
    const remembered = clientOf(renderClientYaml({ ...SETTINGS, consent: 'pre-configured' }, DIGEST));
    expect(remembered['consent_mode']).toBe('pre-configured');
    expect(remembered['pre_configured_consent_duration']).toBe('1w');
  });

  it('follows AUTHELIA_PKCE=false and offline_access', () => {
    const client = clientOf(renderClientYaml({ ...SETTINGS, pkce: false, scopes: [...SETTINGS.scopes, 'offline_access'] }, DIGEST));
    expect(client['require_pkce']).toBe(false);
    expect(client).not.toHaveProperty('pkce_challenge_method');
    expect(client['grant_types']).toEqual(['authorization_code', 'refresh_token']);
  });

  it('prints the consent caveat with offline_access, and only then', () => {
    const caveat = /# offline_access: Authelia issues a refresh token only after a consent the user gave, and shows its\n\s+# consent page for it whatever consent_mode says \(implicit too\); pre-configured lets users remember it\.\n\s+consent_mode: 'explicit'/;
    expect(renderClientYaml({ ...SETTINGS, scopes: [...SETTINGS.scopes, 'offline_access'] }, DIGEST)).toMatch(caveat);
    expect(renderClientYaml(SETTINGS, DIGEST)).not.toContain('offline_access');
  });

  it('says, like the README and check, that basic is preferred and post works', () => {
    const yaml = renderClientYaml(SETTINGS, DIGEST);
    expect(yaml).toMatch(/# Preferred: PocketBase sends the secret with HTTP Basic first\. client_secret_post works too[^\n]*\n[^\n]*refused request per login\.\n\s+token_endpoint_auth_method: 'client_secret_basic'/);
    expect(yaml).not.toContain('refuses other methods');
  });
});

describe('clientScopes', () => {
  it('keeps AUTHELIA_SCOPES when it lists groups', () => {
    expect(clientScopes(['openid', 'groups', 'email'], { withoutGroups: false, offlineAccess: false })).toEqual({ scopes: ['openid', 'groups', 'email'], note: [] });
  });

  it('adds groups, and says so', () => {
    const { scopes, note } = clientScopes(['openid', 'email'], { withoutGroups: false, offlineAccess: false });
    expect(scopes).toEqual(['openid', 'email', 'groups']);
    expect(note.join(' ')).toMatch(/"groups" was added.*--no-groups/);
  });

  it('leaves groups out on --no-groups, and says what that means', () => {
    const { scopes, note } = clientScopes(['openid', 'email', 'groups'], { withoutGroups: true, offlineAccess: false });
    expect(scopes).toEqual(['openid', 'email']);
    expect(note.join(' ')).toMatch(/no groups/);
  });

  it('adds offline_access by default, and says so', () => {
    const { scopes, note } = clientScopes(['openid', 'email', 'groups'], { withoutGroups: false, offlineAccess: true });
    expect(scopes).toEqual(['openid', 'email', 'groups', 'offline_access']);
    expect(note).toEqual([
      '"offline_access" was added (the default; --no-offline-access leaves it out): PocketBase asks for a refresh token to',
      're-check users with Authelia for the whole session, not only while the login\'s access token lives.',
      'Set AUTHELIA_SCOPES as printed below.',
    ]);
  });

  it('takes offline_access out of AUTHELIA_SCOPES on --no-offline-access, and says what that means', () => {
    const { scopes, note } = clientScopes(['openid', 'offline_access', 'groups'], { withoutGroups: false, offlineAccess: false });
    expect(scopes).toEqual(['openid', 'groups']);
    expect(note.join(' ')).toMatch(/No "offline_access" \(--no-offline-access\).*Set AUTHELIA_SCOPES as printed below/);
  });

  it('keeps offline_access once when AUTHELIA_SCOPES already lists it', () => {
    const { scopes, note } = clientScopes(['openid', 'offline_access', 'groups'], { withoutGroups: false, offlineAccess: true });
    expect(scopes).toEqual(['openid', 'offline_access', 'groups']);
    expect(note).toEqual([]);
  });
});

describe('normalizePocketBaseUrl and redirectUri', () => {
  it('strips trailing slashes and keeps a base path', () => {
    expect(normalizePocketBaseUrl('https://pb.example.com/')).toBe('https://pb.example.com');
    expect(normalizePocketBaseUrl('https://example.com/pb//')).toBe('https://example.com/pb');
    expect(redirectUri('https://pb.example.com')).toBe('https://pb.example.com/api/oauth2-redirect');
  });

  it('lower-cases scheme and host and drops the default port', () => {
    expect(normalizePocketBaseUrl(' HTTPS://PB.Example.com:443/ ')).toBe('https://pb.example.com');
    expect(normalizePocketBaseUrl('http://127.0.0.1:8090')).toBe('http://127.0.0.1:8090');
  });

  it('refuses what is not an http(s) URL without query', () => {
    for (const bad of ['pb.example.com', 'ftp://pb.example.com', 'https://pb.example.com/?x=1', 'https://pb.example.com/#x', 'https://u:p@pb.example.com']) {
      expect(normalizePocketBaseUrl(bad)).toHaveProperty('problem');
    }
  });

  it('never quotes credentials back', () => {
    for (const bad of ['https://admin:hunter2@pb.example.com', 'ftp://admin:hunter2@pb.example.com', 'admin:hunter2@pb.example.com']) {
      const result = normalizePocketBaseUrl(bad);
      expect(result).toHaveProperty('problem', expect.stringContaining('***@pb.example.com'));
      expect(JSON.stringify(result)).not.toContain('hunter2');
    }
  });
});

describe('renderPocketBaseLines', () => {
  it('prints a generated secret once, between markers, and points at a secret file', () => {
    const text = renderPocketBaseLines(SETTINGS, 'THE-SECRET', { kind: 'generated', suggestedFile: '/run/secrets/x', replaces: undefined }, 'K'.repeat(32));
    expect(text.split('THE-SECRET')).toHaveLength(2);
    expect(printedSecret(text)).toBe('THE-SECRET');
    expect(text).toContain('AUTHELIA_CLIENT_SECRET_FILE=/run/secrets/x\n');
    expect(text).not.toContain('AUTHELIA_SCOPES=');
  });

  it('does not repeat a secret read from a file', () => {
    const text = renderPocketBaseLines(SETTINGS, 'THE-SECRET', { kind: 'file', path: '/etc/pb/secret' }, 'K'.repeat(32));
    expect(text).not.toContain('THE-SECRET');
    expect(text).toContain('AUTHELIA_CLIENT_SECRET_FILE=/etc/pb/secret\n');
  });

  it('prints AUTHELIA_SCOPES and AUTHELIA_PKCE when they differ from the defaults', () => {
    const text = renderPocketBaseLines({ ...SETTINGS, scopes: ['openid', 'groups'], pkce: false }, 's', { kind: 'file', path: '/f' }, 'K'.repeat(32));
    expect(text).toContain('AUTHELIA_SCOPES=openid groups\n');
    expect(text).toContain('AUTHELIA_PKCE=false\n');
  });
});

describe('pocketbase-authelia authelia-config (the bundled CLI)', () => {
  it('prints a client whose digest verifies against the printed secret', async () => {
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com/']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    const client = clientOf(yaml);
    const secret = printedSecret(pocketbase);
    expect(secret.length).toBeGreaterThanOrEqual(64);
    expect(secret).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyDigest(secret, client['client_secret'] as string)).toBe(true);
    expect(pythonVerifiesDigest(secret, client['client_secret'] as string)).toBe(true);
    expect(client['redirect_uris']).toEqual(['https://pb.example.com/api/oauth2-redirect']);
    // The strongest bound the README documents: offline_access, consent remembered after the first time.
    expect(client['scopes']).toEqual(['openid', 'email', 'profile', 'groups', 'offline_access']);
    expect(client['grant_types']).toEqual(['authorization_code', 'refresh_token']);
    expect(client['consent_mode']).toBe('pre-configured');
    expect(client['pre_configured_consent_duration']).toBe('1w');
    expect(pocketbase).toContain('AUTHELIA_SCOPES=openid email profile groups offline_access\n');
    // The README's secret path, and a token key PocketBase accepts (32 characters).
    expect(pocketbase).toContain('AUTHELIA_CLIENT_SECRET_FILE=/run/secrets/pocketbase_oidc\n');
    expect(readFileSync('README.md', 'utf8')).toContain('AUTHELIA_CLIENT_SECRET_FILE=/run/secrets/pocketbase_oidc');
    const tokenKey = /^AUTHELIA_TOKEN_KEY=(.*)$/m.exec(pocketbase)?.[1];
    expect(tokenKey).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(pocketbase).toContain('AUTHELIA_URL=https://auth.example.com\n');
    expect(pocketbase).toMatch(/# Placeholder: set Authelia's root URL/);
    expect(pocketbase).toContain('AUTHELIA_CLIENT_ID=pocketbase\n');
    expect(run.stdout.split(secret)).toHaveLength(2); // printed once
  });

  it('reads AUTHELIA_* from the environment, flags win', async () => {
    const run = await runCli(
      ['authelia-config', '--pocketbase-url', 'http://127.0.0.1:8090', '--client-id', 'pb-prod', '--policy', 'one_factor', '--consent', 'implicit', '--no-offline-access'],
      { AUTHELIA_URL: 'https://sso.example.org/authelia/', AUTHELIA_CLIENT_ID: 'ignored', AUTHELIA_SCOPES: 'openid,profile' },
    );
    expect(run.code).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    const client = clientOf(yaml);
    expect(client).toMatchObject({ client_id: 'pb-prod', authorization_policy: 'one_factor', consent_mode: 'implicit', scopes: ['openid', 'profile', 'groups'] });
    expect(yaml).toContain('# "groups" was added');
    expect(pocketbase).toContain('AUTHELIA_URL=https://sso.example.org/authelia\n');
    expect(pocketbase).toContain('AUTHELIA_CLIENT_ID=pb-prod\n');
    expect(pocketbase).toContain('AUTHELIA_SCOPES=openid profile groups\n');
  });

  it('--no-groups leaves groups out', async () => {
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--no-groups', '--no-offline-access']);
    expect(run.code).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    expect(clientOf(yaml)['scopes']).toEqual(['openid', 'email', 'profile']);
    expect(pocketbase).toContain('AUTHELIA_SCOPES=openid email profile\n');
  });

  it('offline access by default: offline_access in the scopes, the refresh_token grant, the consent caveat, AUTHELIA_SCOPES to match', async () => {
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--consent', 'explicit']);
    expect(run.code, run.stderr).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    expect(clientOf(yaml)).toMatchObject({
      scopes: ['openid', 'email', 'profile', 'groups', 'offline_access'],
      grant_types: ['authorization_code', 'refresh_token'],
      consent_mode: 'explicit',
    });
    expect(yaml).toContain('# "offline_access" was added (the default; --no-offline-access leaves it out)');
    expect(yaml).toContain('shows its');
    expect(pocketbase).toContain('AUTHELIA_SCOPES=openid email profile groups offline_access\n');
  });

  it('--no-offline-access: neither the scope nor the grant, also when AUTHELIA_SCOPES lists it', async () => {
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--no-offline-access'], { AUTHELIA_SCOPES: 'openid offline_access email profile groups' });
    expect(run.code, run.stderr).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    expect(clientOf(yaml)).toMatchObject({ scopes: ['openid', 'email', 'profile', 'groups'], grant_types: ['authorization_code'] });
    expect(yaml).not.toContain('offline_access: Authelia issues a refresh token');
    expect(pocketbase).not.toContain('AUTHELIA_SCOPES=');
  });

  it('offline access follows AUTHELIA_SCOPES without the flag', async () => {
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--consent', 'pre-configured'],
      { AUTHELIA_SCOPES: 'openid offline_access email profile groups' });
    expect(run.code, run.stderr).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    expect(clientOf(yaml)).toMatchObject({ scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'], grant_types: ['authorization_code', 'refresh_token'] });
    expect(yaml).toContain('shows its');
    expect(yaml).not.toContain('was added');
    expect(pocketbase).toContain('AUTHELIA_SCOPES=openid offline_access email profile groups\n');
  });

  it('implicit consent with offline access is allowed: Authelia still shows its consent page for offline_access, and the comment says so', async () => {
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--consent', 'implicit']);
    expect(run.code, run.stderr).toBe(0);
    const { yaml } = splitConfigOutput(run.stdout);
    expect(clientOf(yaml)).toMatchObject({ consent_mode: 'implicit', grant_types: ['authorization_code', 'refresh_token'] });
    expect(yaml).toContain('consent page for it whatever consent_mode says (implicit too)');
  });

  it('--authelia-url or AUTHELIA_URL with credentials: refused, naming it, without echoing them', async () => {
    const flag = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--authelia-url', 'https://admin:hunter2@auth.example.com']);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain('error: --authelia-url (AUTHELIA_URL): "https://***@auth.example.com" holds a user name or password');
    const env = await runCli(['authelia-config', '--pocketbase-url', 'https://admin:hunter2@pb.example.com'], { AUTHELIA_URL: 'https://admin:hunter2@auth.example.com' });
    expect(env.code).toBe(1);
    expect(env.stderr).toContain('error: AUTHELIA_URL: "https://***@auth.example.com" holds a user name or password');
    expect(env.stderr).toContain('error: --pocketbase-url: "https://***@pb.example.com" must be an http(s) URL without credentials');
    expect(`${flag.stdout}${flag.stderr}${env.stdout}${env.stderr}`).not.toContain('hunter2');
  });

  it('--secret-file reuses the secret: a new digest of the same secret, the secret not printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pba-cli-'));
    const file = join(dir, 'secret');
    const secret = 'k'.repeat(40) + 'reused-secret-with-enough-characters-0123456789';
    writeFileSync(file, `${secret}\n`);
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--secret-file', file]);
    expect(run.code).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    expect(verifyDigest(secret, clientOf(yaml)['client_secret'] as string)).toBe(true);
    expect(run.stdout).not.toContain(secret);
    expect(pocketbase).toContain(`AUTHELIA_CLIENT_SECRET_FILE=${file}\n`);
  });

  it('warns when the reused secret is short', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pba-cli-'));
    const file = join(dir, 'secret');
    writeFileSync(file, 'short-secret');
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--secret-file', file]);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/12 characters; Authelia recommends at least 64/);
  });

  it('rejects bad settings with every problem, exit 1', async () => {
    const run = await runCli(
      ['authelia-config', '--pocketbase-url', 'ftp://pb', '--scopes', 'email profile', '--consent', 'sometimes', '--secret-file', '/nonexistent/secret'],
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--pocketbase-url:');
    expect(run.stderr).toContain('--scopes (AUTHELIA_SCOPES): must include "openid"');
    expect(run.stderr).toContain('--consent: "sometimes" must be one of');
    expect(run.stderr).toContain('--secret-file: cannot read "/nonexistent/secret"');
  });

  it('is a usage error (exit 2) without --pocketbase-url or with an unknown option', async () => {
    expect((await runCli(['authelia-config'])).code).toBe(2);
    const unknown = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/frobnicate/);
    expect((await runCli(['nonsense'])).code).toBe(2);
    expect((await runCli(['--help'])).stdout).toMatch(/authelia-config --pocketbase-url URL/);
  });
});

describe('the README\'s commands in a checkout: npm run authelia-config / authelia-check', () => {
  it('npm run authelia-config -- --pocketbase-url URL builds the CLI and prints a client whose digest verifies', async () => {
    const result = await run('npm', ['run', 'authelia-config', '--', '--pocketbase-url', 'https://pb.example.com']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // npm prints the script's name first; the CLI's output starts at the YAML.
    const { yaml, pocketbase } = splitConfigOutput(result.stdout.slice(result.stdout.indexOf('identity_providers:')));
    expect(verifyDigest(printedSecret(pocketbase), clientOf(yaml)['client_secret'] as string)).toBe(true);
  });

  it('npm run authelia-check reads the environment and fails (exit 1) without AUTHELIA_URL', async () => {
    const result = await run('npm', ['run', 'authelia-check']);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^error AUTHELIA_URL: is not set/m);
  });
});
