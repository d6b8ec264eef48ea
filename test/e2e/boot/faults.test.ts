// What happens when Authelia misbehaves: slow or garbage discovery at boot, Authelia going away in
// the middle of a login, and the client-authentication and consent variants Authelia can be set
// up with. (Authelia being unreachable at boot is covered in config.test.ts.)
import PocketBase, { ClientResponseError } from 'pocketbase';
import { describe, expect, it } from 'vitest';
import { answer, discoveryDocument, slowly, startFakeServer, type FakeServer, type Responder } from '../../support/fake-authelia.js';
import { loginAtIdp } from '../../../testkit/headless-login.js';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { freePort, logEntries, startPocketBase, type LogEntry, type PocketBaseServer } from '../../../testkit/pocketbase.js';
import { CLIENT_SECRET, ssoLogin, startIdpFor, startStack, storedUser, type IdpVariant } from '../../support/stack.js';

const DISCOVERY = '/.well-known/openid-configuration';
const WARN = 4; // slog.LevelWarn, as PocketBase stores it

const erik = { username: 'erik', password: 'erik-password', name: 'Erik', email: 'erik@example.test', groups: ['ops', 'dev', 'ops'] };

function discoveryWarnings(logs: string): LogEntry[] {
  return logEntries(logs).filter((entry) => /discovery/.test(entry.message));
}

async function oidcProvider(pb: PocketBaseServer): Promise<Record<string, unknown>> {
  const users = await (await pb.superuser()).collections.getOne('users');
  const providers = users['oauth2'].providers as Array<Record<string, unknown>>;
  expect(providers.map((p) => p['name'])).toEqual(['oidc']);
  return providers[0]!;
}

function fixedPaths(issuer: string): Record<string, string> {
  return {
    authURL: `${issuer}/api/oidc/authorization`,
    tokenURL: `${issuer}/api/oidc/token`,
    userInfoURL: `${issuer}/api/oidc/userinfo`,
  };
}

/** PocketBase booted against a fake Authelia that answers discovery with `respond`. */
async function bootAgainst(version: string, respond: Responder, timeoutSeconds = '2'): Promise<{ pb: PocketBaseServer; fake: FakeServer; pbPort: number }> {
  const fake = await startFakeServer(respond);
  const pbPort = await freePort();
  try {
    const pb = await startPocketBase({
      version,
      port: pbPort,
      env: { AUTHELIA_URL: fake.url, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_DISCOVERY_TIMEOUT: timeoutSeconds },
    });
    return { pb, fake, pbPort };
  } catch (error) {
    await fake.close();
    throw error;
  }
}

/** Replaces the fake with the real (Authelia-like) IdP on the same port and logs in through the fixed paths. */
async function loginAfterReplacing(fake: FakeServer, pb: PocketBaseServer, pbPort: number): Promise<void> {
  await fake.close();
  const idp = await startIdpFor(pbPort, [erik], { port: fake.port });
  try {
    expect(idp.issuer).toBe(fake.url);
    const { auth } = await ssoLogin(pb.url, erik);
    expect(auth.meta?.['isNew']).toBe(true);
    expect(auth.record['groups']).toEqual(['dev', 'ops']);
    expect((await storedUser(pb, erik.email))['groups']).toEqual(['dev', 'ops']);
  } finally {
    await idp.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<ClientResponseError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClientResponseError) return error;
    throw error;
  }
  throw new Error('expected the request to fail, and it succeeded');
}

describe.each(VERSIONS)('Authelia misbehaving at boot, on PocketBase %s', (version) => {
  it('a discovery document that takes 10 s does not hold up the boot past AUTHELIA_DISCOVERY_TIMEOUT=1', async () => {
    const fake = await startFakeServer(slowly(10_000, answer(200, 'application/json', '{}')));
    const pbPort = await freePort();
    let pb: PocketBaseServer | undefined;
    try {
      const started = Date.now();
      pb = await startPocketBase({
        version,
        port: pbPort,
        env: { AUTHELIA_URL: fake.url, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_DISCOVERY_TIMEOUT: '1' },
      });
      const healthyAt = Date.now();
      expect(fake.requests).toEqual([`GET ${DISCOVERY}`]);
      // From the moment PocketBase asked for discovery to the moment it answered /api/health:
      // the 1 s timeout plus the rest of the boot, nowhere near the 10 s the server takes.
      const waited = healthyAt - fake.arrivals[0]!;
      // Under 3 s also tells the 1 s setting from the 3 s default.
      expect(waited).toBeLessThan(3_000);
      expect(healthyAt - started).toBeLessThan(6_000);

      expect(await oidcProvider(pb)).toMatchObject(fixedPaths(fake.url));
      const warnings = discoveryWarnings(await pb.logs(/discovery failed/));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: WARN, message: `authelia: discovery failed, using Authelia's fixed endpoint paths under ${fake.url}; logins work once Authelia answers` });
      expect(String(warnings[0]!.data['reason'])).toContain(`${fake.url}${DISCOVERY} could not be read`);

      await loginAfterReplacing(fake, pb, pbPort);
    } finally {
      await pb?.destroy();
      await fake.close();
    }
  });

  it('an HTML page answered with 200: one warning naming the problem, fixed paths, login works', async () => {
    const html = '<!doctype html><html><head><title>Login</title></head><body><h1>Welcome</h1></body></html>';
    const { pb, fake, pbPort } = await bootAgainst(version, answer(200, 'text/html; charset=utf-8', html));
    try {
      expect(await oidcProvider(pb)).toMatchObject(fixedPaths(fake.url));
      const warnings = discoveryWarnings(await pb.logs(/discovery failed/));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: WARN, message: expect.stringContaining(`discovery failed, using Authelia's fixed endpoint paths under ${fake.url}`) });
      expect(String(warnings[0]!.data['reason'])).toContain(`${fake.url}${DISCOVERY} could not be read`);
      await loginAfterReplacing(fake, pb, pbPort);
    } finally {
      await pb.destroy();
      await fake.close();
    }
  });

  it('a document naming another issuer: one warning naming both issuers and AUTHELIA_URL; its endpoints are never used', async () => {
    // The lying document points every endpoint at another server, which must never hear from PocketBase.
    const elsewhere = await startFakeServer(answer(500, 'text/plain', 'not Authelia'));
    const lie = JSON.stringify(discoveryDocument(elsewhere.url));
    const { pb, fake, pbPort } = await bootAgainst(version, answer(200, 'application/json', lie));
    try {
      const provider = await oidcProvider(pb);
      expect(provider).toMatchObject(fixedPaths(fake.url));
      expect(JSON.stringify(provider)).not.toContain(elsewhere.url);
      const warnings = discoveryWarnings(await pb.logs(/discovery failed/));
      expect(warnings).toHaveLength(1);
      const line = `${warnings[0]!.message} ${String(warnings[0]!.data['reason'])}`;
      expect(warnings[0]!.level).toBe(WARN);
      expect(line).toContain(`discovery failed, using Authelia's fixed endpoint paths under ${fake.url}`);
      expect(line).toContain(`names the issuer "${elsewhere.url}", not "${fake.url}"`);
      expect(line).toContain('AUTHELIA_URL');
      // The auth URL handed to clients is the fixed one too.
      const methods = await new PocketBase(pb.url).collection('users').listAuthMethods();
      expect(methods.oauth2.providers.map((p) => p.authURL.split('?')[0])).toEqual([`${fake.url}/api/oidc/authorization`]);

      await loginAfterReplacing(fake, pb, pbPort);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await pb.destroy();
      await fake.close();
      await elsewhere.close();
    }
  });

  it('a document without token_endpoint: one warning naming the field, fixed paths, login works', async () => {
    const elsewhere = await startFakeServer(answer(500, 'text/plain', 'not Authelia'));
    const { pb, fake, pbPort } = await bootAgainst(version, (req, res) => {
      // The right issuer, but no token endpoint; the other endpoints point elsewhere and must not be mixed in.
      const { token_endpoint: _dropped, ...document } = discoveryDocument(`http://${req.headers.host}`, elsewhere.url);
      answer(200, 'application/json', JSON.stringify(document))(req, res);
    });
    try {
      const provider = await oidcProvider(pb);
      expect(provider).toMatchObject(fixedPaths(fake.url));
      expect(JSON.stringify(provider)).not.toContain(elsewhere.url);
      const warnings = discoveryWarnings(await pb.logs(/discovery failed/));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.level).toBe(WARN);
      expect(String(warnings[0]!.data['reason'])).toContain(`${fake.url}${DISCOVERY}: the discovery document has no usable "token_endpoint"`);
      await loginAfterReplacing(fake, pb, pbPort);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await pb.destroy();
      await fake.close();
      await elsewhere.close();
    }
  });

  it('a document whose token_endpoint is on another origin: one warning naming it, all fixed paths, login works, the other origin never asked', async () => {
    // The right issuer and Authelia's own authorization and userinfo endpoints: only the token
    // endpoint, which would receive the client secret, points elsewhere.
    const elsewhere = await startFakeServer(answer(500, 'text/plain', 'not Authelia'));
    const { pb, fake, pbPort } = await bootAgainst(version, (req, res) => {
      const document = { ...discoveryDocument(`http://${req.headers.host}`), token_endpoint: `${elsewhere.url}/api/oidc/token` };
      answer(200, 'application/json', JSON.stringify(document))(req, res);
    });
    try {
      const provider = await oidcProvider(pb);
      expect(provider).toMatchObject(fixedPaths(fake.url));
      expect(JSON.stringify(provider)).not.toContain(elsewhere.url);
      const warnings = discoveryWarnings(await pb.logs(/discovery failed/));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.level).toBe(WARN);
      expect(String(warnings[0]!.data['reason'])).toBe(`${fake.url}${DISCOVERY}: the discovery document's "token_endpoint" ` +
        `${elsewhere.url}/api/oidc/token is off the issuer's origin ${fake.url}; Authelia serves every endpoint there, ` +
        'so a proxy may be rewriting the document, or AUTHELIA_URL is not Authelia');
      await loginAfterReplacing(fake, pb, pbPort);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await pb.destroy();
      await fake.close();
      await elsewhere.close();
    }
  });
});

describe.each(VERSIONS)('Authelia going away during a login, on PocketBase %s', (version) => {
  it('the code exchange fails with a clear error and creates nothing; a later login works', async () => {
    const stack = await startStack({ version, users: [erik] });
    try {
      const client = new PocketBase(stack.pb.url);
      client.autoCancellation(false);
      const methods = await client.collection('users').listAuthMethods();
      const provider = methods.oauth2.providers.find((p) => p.name === 'oidc')!;
      const redirectUrl = client.buildURL('/api/oauth2-redirect');
      const { code } = await loginAtIdp(provider.authURL, redirectUrl, erik.username, erik.password);
      await stack.idp.close();

      const error = await failure(client.collection('users').authWithOAuth2Code('oidc', code, provider.codeVerifier, redirectUrl));
      expect(error.status).toBe(400);
      expect(error.response).toEqual({ data: {}, message: 'Failed to fetch OAuth2 token.', status: 400 });

      const superuser = await stack.pb.superuser();
      expect((await superuser.collection('users').getList(1, 10)).totalItems).toBe(0);
      expect((await superuser.collection('_externalAuths').getList(1, 10)).totalItems).toBe(0);
      expect((await superuser.collection('authelia_groups').getList(1, 10)).totalItems).toBe(0);

      // Authelia back on the same address: the next login goes through.
      const idp = await startIdpFor(Number(new URL(stack.pb.url).port), [erik], { port: Number(new URL(stack.idp.issuer).port) });
      try {
        const { auth } = await ssoLogin(stack.pb.url, erik);
        expect(auth.record['groups']).toEqual(['dev', 'ops']);
        expect((await superuser.collection('users').getList(1, 10)).totalItems).toBe(1);
      } finally {
        await idp.close();
      }
    } finally {
      await stack.close();
    }
  });
});

// Authelia enforces the registered token_endpoint_auth_method strictly; consent may be asked every
// time or granted implicitly; 4.38 puts groups in the ID token as well, 4.39 only at userinfo.
const VARIANTS: Array<[string, IdpVariant]> = [
  ['client_secret_basic, explicit consent, Authelia 4.39', { tokenEndpointAuthMethod: 'client_secret_basic', consent: 'explicit', autheliaVersion: '4.39' }],
  ['client_secret_basic, implicit consent, Authelia 4.38', { tokenEndpointAuthMethod: 'client_secret_basic', consent: 'implicit', autheliaVersion: '4.38' }],
  // PocketBase's Go oauth2 client auto-detects the style: it tries HTTP Basic first, and after
  // Authelia's invalid_client retries with the secret in the form body. The strict IdP accepts
  // only the form body for these clients, so a working login proves the fallback.
  ['client_secret_post, explicit consent, Authelia 4.38', { tokenEndpointAuthMethod: 'client_secret_post', consent: 'explicit', autheliaVersion: '4.38' }],
  ['client_secret_post, implicit consent, Authelia 4.39', { tokenEndpointAuthMethod: 'client_secret_post', consent: 'implicit', autheliaVersion: '4.39' }],
];

describe.each(VERSIONS)('Authelia client and consent variants, on PocketBase %s', (version) => {
  it.each(VARIANTS)('%s: logs in with the same groups', async (_name, variant) => {
    const stack = await startStack({ version, users: [erik], idp: variant });
    try {
      const first = await ssoLogin(stack.pb.url, erik);
      expect(first.auth.meta?.['isNew']).toBe(true);
      expect(first.auth.record['groups']).toEqual(['dev', 'ops']);
      // A second login reuses PocketBase's token client: still the same answer.
      stack.idp.setUser({ ...erik, groups: ['dev'] });
      const second = await ssoLogin(stack.pb.url, erik);
      expect(second.auth.meta?.['isNew']).toBe(false);
      expect(second.auth.record['groups']).toEqual(['dev']);
      expect((await storedUser(stack.pb, erik.email))['groups']).toEqual(['dev']);
    } finally {
      await stack.close();
    }
  });
});
