// Proves the Authelia-like IdP (testkit/idp.ts) behaves as the end-to-end tests assume.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, type Idp, type IdpOptions } from '../../../testkit/idp.js';
import { loginAtIdp } from '../../../testkit/headless-login.js';

const REDIRECT = 'http://127.0.0.1:9/api/oauth2-redirect';
const BASIC = { clientId: 'pocketbase', clientSecret: 's3cret with spaces & symbols', redirectUris: [REDIRECT] };
const POST = { clientId: 'poster', clientSecret: 'post-secret', redirectUris: [REDIRECT], tokenEndpointAuthMethod: 'client_secret_post' as const };
const alice = { username: 'alice', password: 'alice-pw', name: 'Alice A', email: 'alice@example.com', groups: ['admins', 'dev'] };
const bob = { username: 'bob', password: 'bob-pw', name: 'Bob B', email: 'bob@example.com', groups: undefined };

function options(extra: Partial<IdpOptions> = {}): IdpOptions {
  return { users: [alice, bob], clients: [BASIC, POST], ...extra };
}

interface Pkce { verifier: string; challenge: string }
function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authUrl(idp: Idp, p: Pkce, clientId = BASIC.clientId, scope = 'openid profile email groups'): string {
  const u = new URL(`${idp.issuer}/api/oidc/authorization`);
  u.search = new URLSearchParams({ client_id: clientId, response_type: 'code', scope, state: 'st-1', code_challenge: p.challenge, code_challenge_method: 'S256' }).toString();
  return u.href;
}

// RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret).replace(/%20/g, '+')}`).toString('base64')}`;

async function exchange(idp: Idp, code: string, verifier: string, auth: 'basic' | 'post' = 'basic', client: { clientId: string; clientSecret: string } = BASIC) {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth === 'basic') headers.authorization = basicAuth(client.clientId, client.clientSecret);
  else {
    body.set('client_id', client.clientId);
    body.set('client_secret', client.clientSecret);
  }
  const res = await fetch(`${idp.issuer}/api/oidc/token`, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const jwtPayload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

async function userinfo(idp: Idp, accessToken: string) {
  const res = await fetch(`${idp.issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return (await res.json()) as Record<string, unknown>;
}

async function loginAndExchange(idp: Idp, username: string, password: string) {
  const p = pkce();
  const { code } = await loginAtIdp(authUrl(idp, p), REDIRECT, username, password);
  const { status, json } = await exchange(idp, code, p.verifier);
  expect(status).toBe(200);
  return json;
}

describe('demo IdP (Authelia 4.39, explicit consent, base path)', () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp(options({ issuerPath: '/authelia/' }));
  });
  afterAll(() => idp.close());

  it('publishes Authelia-shaped discovery with the exact issuer', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authelia$/);
    for (const name of ['openid-configuration', 'oauth-authorization-server']) {
      const res = await fetch(`${idp.issuer}/.well-known/${name}`);
      expect(res.status).toBe(200);
      const d = (await res.json()) as Record<string, any>;
      expect(d.issuer).toBe(idp.issuer);
      expect(d.authorization_endpoint).toBe(`${idp.issuer}/api/oidc/authorization`);
      expect(d.token_endpoint).toBe(`${idp.issuer}/api/oidc/token`);
      expect(d.userinfo_endpoint).toBe(`${idp.issuer}/api/oidc/userinfo`);
      expect(d.jwks_uri).toBe(`${idp.issuer}/jwks.json`);
      expect(d.introspection_endpoint).toBe(`${idp.issuer}/api/oidc/introspection`);
      expect(d.revocation_endpoint).toBe(`${idp.issuer}/api/oidc/revocation`);
      expect(d.pushed_authorization_request_endpoint).toBe(`${idp.issuer}/api/oidc/pushed-authorization-request`);
      expect(d.end_session_endpoint).toBeUndefined();
      expect(d.code_challenge_methods_supported).toEqual(['S256']);
      expect(d.authorization_response_iss_parameter_supported).toBe(true);
      expect(d.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'groups', 'offline_access']));
      expect(d.claims_supported).toEqual(expect.arrayContaining(['sub', 'groups', 'email', 'email_verified', 'name', 'preferred_username']));
    }
    const jwks = (await (await fetch(`${idp.issuer}/jwks.json`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d'); // public part only
  });

  it('logs in headlessly, exchanges the code with PKCE + basic auth, serves groups at userinfo only', async () => {
    const p = pkce();
    const login = await loginAtIdp(authUrl(idp, p), REDIRECT, 'alice', 'alice-pw');
    expect(login.state).toBe('st-1');
    expect(login.iss).toBe(idp.issuer);
    const { status, json } = await exchange(idp, login.code, p.verifier);
    expect(status).toBe(200);
    expect(json.token_type).toBe('Bearer');

    const claims = jwtPayload(json.id_token);
    expect(claims.iss).toBe(idp.issuer);
    expect(claims.aud).toBe(BASIC.clientId);
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.amr).toEqual(['pwd']);
    expect(typeof claims.auth_time).toBe('number');
    for (const c of ['groups', 'email', 'email_verified', 'name', 'preferred_username']) expect(claims).not.toHaveProperty(c);

    // 4.39.20's userinfo for a live user: sub, rat, updated_at and the scope claims, no token claims.
    const info = await userinfo(idp, json.access_token);
    expect(info).toMatchObject({ sub: claims.sub, name: 'Alice A', preferred_username: 'alice', email: 'alice@example.com', email_verified: true, groups: ['admins', 'dev'] });
    expect(Object.keys(info).sort()).toEqual(['email', 'email_verified', 'groups', 'name', 'preferred_username', 'rat', 'sub', 'updated_at']);
    // The code is single use, like everywhere.
    expect((await exchange(idp, login.code, p.verifier)).json.error).toBe('invalid_grant');
  });

  it('keeps sub stable per user and reflects setUser at the next userinfo', async () => {
    const first = await loginAndExchange(idp, 'alice', 'alice-pw');
    idp.setUser({ ...alice, groups: null });
    const second = await loginAndExchange(idp, 'alice', 'alice-pw');
    expect(jwtPayload(second.id_token).sub).toBe(jwtPayload(first.id_token).sub);
    expect((await userinfo(idp, second.access_token)).groups).toBeNull();
    // Userinfo is looked up at request time, so even the earlier token now sees the change.
    expect((await userinfo(idp, first.access_token)).groups).toBeNull();

    idp.setUser({ ...alice, groups: { evil: true } });
    expect((await userinfo(idp, second.access_token)).groups).toEqual({ evil: true });
    idp.setUser({ ...alice, groups: 'admins' });
    expect((await userinfo(idp, second.access_token)).groups).toBe('admins');
    idp.setUser(alice);
  });

  it('omits the groups claim for a user whose groups are undefined', async () => {
    const tokens = await loginAndExchange(idp, 'bob', 'bob-pw');
    const info = await userinfo(idp, tokens.access_token);
    expect(info).not.toHaveProperty('groups');
    expect(info.preferred_username).toBe('bob');
  });

  it('honours an explicit sub (renamed account keeps its identity)', async () => {
    const before = jwtPayload((await loginAndExchange(idp, 'bob', 'bob-pw')).id_token).sub as string;
    idp.setUser({ ...bob, username: 'robert', sub: before });
    const after = await loginAndExchange(idp, 'robert', 'bob-pw');
    expect(jwtPayload(after.id_token).sub).toBe(before);
    expect((await userinfo(idp, after.access_token)).preferred_username).toBe('robert');
    await expect(loginAtIdp(authUrl(idp, pkce()), REDIRECT, 'bob', 'bob-pw')).rejects.toThrow(/rejected/);
  });

  it('rejects a wrong password with a clear error', async () => {
    await expect(loginAtIdp(authUrl(idp, pkce()), REDIRECT, 'alice', 'nope')).rejects.toThrow(/login as alice rejected.*Incorrect username or password/);
  });

  it('redirects access_denied when consent is refused', async () => {
    const err = await loginAtIdp(authUrl(idp, pkce()), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('access_denied');
    expect((err as Error).message).toMatch(/error=access_denied error_description=/);
  });

  it('requires PKCE and an exact redirect_uri', async () => {
    const noPkce = new URL(authUrl(idp, pkce()));
    noPkce.searchParams.delete('code_challenge');
    noPkce.searchParams.delete('code_challenge_method');
    await expect(loginAtIdp(noPkce.href, REDIRECT, 'alice', 'alice-pw')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(loginAtIdp(authUrl(idp, pkce()), `${REDIRECT}/x`, 'alice', 'alice-pw')).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/redirect_uri/) });

    const p = pkce();
    const { code } = await loginAtIdp(authUrl(idp, p), REDIRECT, 'alice', 'alice-pw');
    expect((await exchange(idp, code, pkce().verifier)).json.error).toBe('invalid_grant');
  });

  it('enforces the registered client authentication method (invalid_client, 401)', async () => {
    const p = pkce();
    const { code } = await loginAtIdp(authUrl(idp, p), REDIRECT, 'alice', 'alice-pw');
    const wrongStyle = await exchange(idp, code, p.verifier, 'post');
    expect(wrongStyle).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    const wrongSecret = await exchange(idp, code, p.verifier, 'basic', { ...BASIC, clientSecret: 'bad' });
    expect(wrongSecret).toMatchObject({ status: 401, json: { error: 'invalid_client' } });

    // And the other way round for a client_secret_post client.
    const q = pkce();
    const { code: code2 } = await loginAtIdp(authUrl(idp, q, POST.clientId), REDIRECT, 'alice', 'alice-pw');
    expect(await exchange(idp, code2, q.verifier, 'basic', POST)).toMatchObject({ status: 401, json: { error: 'invalid_client' } });
    expect((await exchange(idp, code2, q.verifier, 'post', POST)).status).toBe(200);
  });
});

describe('demo IdP (Authelia 4.38, implicit consent)', () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp(options({ autheliaVersion: '4.38', consent: 'implicit' }));
  });
  afterAll(() => idp.close());

  it('puts scope claims in the ID token too', async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const tokens = await loginAndExchange(idp, 'alice', 'alice-pw');
    expect(jwtPayload(tokens.id_token)).toMatchObject({ groups: ['admins', 'dev'], email: 'alice@example.com', email_verified: true, name: 'Alice A', preferred_username: 'alice' });
    expect((await userinfo(idp, tokens.access_token)).groups).toEqual(['admins', 'dev']);
  });

  it('skips the consent page (deny has nothing to refuse)', async () => {
    // With implicit consent there is no consent form, so asking to deny still yields a code.
    const result = await loginAtIdp(authUrl(idp, pkce()), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' });
    expect(result.code).toBeTruthy();
  });
});

describe('demo IdP lifecycle', () => {
  it('starts several instances in parallel and frees the port on close', async () => {
    const idps = await Promise.all([1, 2, 3].map(() => startIdp(options())));
    expect(new Set(idps.map((i) => i.issuer)).size).toBe(3);
    await Promise.all(idps.map(async (i) => expect((await fetch(`${i.issuer}/.well-known/openid-configuration`)).status).toBe(200)));
    const port = Number(new URL(idps[0]!.issuer).port);
    await Promise.all(idps.map((i) => i.close()));
    const again = await startIdp(options({ port }));
    expect(again.issuer).toBe(`http://127.0.0.1:${port}`);
    await again.close();
  });
});
