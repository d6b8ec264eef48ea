// Proves the Authelia-like IdP (testkit/idp.ts) behaves like Authelia after the login, as the end-to-end
// tests of revalidation assume: refresh tokens (offline_access, rotation, reuse revokes the grant),
// lifespans, removed and disabled users at userinfo, the request log, outages, the admin page.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIdp, type Idp, type IdpOptions } from '../../../testkit/idp.js';
import { loginAtIdp } from '../../../testkit/headless-login.js';

const REDIRECT = 'http://127.0.0.1:9/api/oauth2-redirect';
const OFFLINE = { clientId: 'pocketbase', clientSecret: 'offline-secret', redirectUris: [REDIRECT], offlineAccess: true };
const PLAIN = { clientId: 'plain', clientSecret: 'plain-secret', redirectUris: [REDIRECT] };
const alice = { username: 'alice', password: 'alice-pw', name: 'Alice A', email: 'alice@example.com', groups: ['admins', 'dev'] };
const bob = { username: 'bob', password: 'bob-pw', name: 'Bob B', email: 'bob@example.com', groups: ['dev'] };
const WITH_OFFLINE = 'openid profile email groups offline_access';

function options(extra: Partial<IdpOptions> = {}): IdpOptions {
  return { users: [alice, bob], clients: [OFFLINE, PLAIN], ...extra };
}

type Json = Record<string, any>;
type Client = { clientId: string; clientSecret: string; tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' };

function authUrl(idp: Idp, challenge: string, scope: string, clientId = OFFLINE.clientId): string {
  const query = new URLSearchParams({ client_id: clientId, response_type: 'code', scope, state: 'st', code_challenge: challenge, code_challenge_method: 'S256' });
  return `${idp.issuer}/api/oidc/authorization?${query}`;
}

/** POST to an endpoint that takes client authentication (basic, like PocketBase). */
async function clientPost(idp: Idp, path: string, form: Record<string, string>, client: Client = OFFLINE, signal?: AbortSignal) {
  // The token endpoint takes the client's registered style; the others Basic (Authelia's default).
  const inBody = path === '/api/oidc/token' && client.tokenEndpointAuthMethod === 'client_secret_post';
  const res = await fetch(`${idp.issuer}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(inBody ? {} : { authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}` }),
    },
    body: new URLSearchParams(inBody ? { ...form, client_id: client.clientId, client_secret: client.clientSecret } : form),
    ...(signal ? { signal } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: (text.startsWith('{') ? JSON.parse(text) : {}) as Json };
}

async function login(idp: Idp, username: string, password: string, scope = WITH_OFFLINE, client: Client = OFFLINE): Promise<Json> {
  const verifier = randomBytes(32).toString('base64url');
  const { code } = await loginAtIdp(authUrl(idp, createHash('sha256').update(verifier).digest('base64url'), scope, client.clientId), REDIRECT, username, password);
  const { status, json } = await clientPost(idp, '/api/oidc/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, client);
  expect(status).toBe(200);
  return json;
}

const refresh = (idp: Idp, refreshToken: string, signal?: AbortSignal) => clientPost(idp, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, OFFLINE, signal);

/** Userinfo's answer; a 401's error, which Authelia names only in WWW-Authenticate, as `json.error`. */
async function userinfo(idp: Idp, accessToken: string) {
  const res = await fetch(`${idp.issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
  const text = await res.text();
  const json = (text.startsWith('{') ? JSON.parse(text) : {}) as Json;
  const challenged = /error="([^"]*)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
  return { status: res.status, json: challenged && json['error'] === undefined ? { ...json, error: challenged } : json };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** The claims of Authelia's fallback answer (a lookup that failed), in key order. */
const FALLBACK_KEYS = ['amr', 'aud', 'auth_time', 'azp', 'iat', 'iss', 'sub'];

/**
 * Userinfo's answer for a token whose user cannot be looked up: 200 with the standard claims
 * only. Returns its `sub` once the shape is checked.
 */
async function fallback(idp: Idp, accessToken: string): Promise<string> {
  const { status, json } = await userinfo(idp, accessToken);
  expect(status).toBe(200);
  expect(Object.keys(json).sort()).toEqual(FALLBACK_KEYS);
  expect(json.iss).toBe(idp.issuer);
  return json.sub as string;
}

function pkceChallenge(): string {
  return createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
}

describe('refresh tokens (explicit consent, default lifespans)', () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp(options());
  });
  afterAll(() => idp.close());

  it('issues one with offline_access and rotates it on every refresh, twice in a row', async () => {
    const first = await login(idp, 'alice', 'alice-pw');
    expect(first.scope.split(' ')).toContain('offline_access');
    expect(first.refresh_token).toEqual(expect.any(String));

    const second = await refresh(idp, first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.json.refresh_token).toEqual(expect.any(String));
    expect(second.json.refresh_token).not.toBe(first.refresh_token);
    const third = await refresh(idp, second.json.refresh_token);
    expect(third.status).toBe(200);
    expect(third.json.refresh_token).not.toBe(second.json.refresh_token);
    expect((await userinfo(idp, third.json.access_token)).json).toMatchObject({ preferred_username: 'alice', groups: ['admins', 'dev'] });
  });

  it('answers a reused refresh token with invalid_grant and revokes the whole grant', async () => {
    const first = await login(idp, 'alice', 'alice-pw');
    const rotated = await refresh(idp, first.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await userinfo(idp, rotated.json.access_token)).status).toBe(200);

    expect(await refresh(idp, first.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    // The newest tokens of that login stop working too: revoked, so unknown to userinfo.
    expect(await userinfo(idp, rotated.json.access_token)).toMatchObject({ status: 401, json: { error: 'request_unauthorized' } });
    expect(await refresh(idp, rotated.json.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    // Another login of the same user is a different grant and is untouched.
    const other = await login(idp, 'alice', 'alice-pw');
    expect((await refresh(idp, other.refresh_token)).status).toBe(200);
  });

  it('issues none without offline_access, and refuses offline_access to a client not registered for it', async () => {
    expect(await login(idp, 'alice', 'alice-pw', 'openid profile email groups')).not.toHaveProperty('refresh_token');
    const challenge = createHash('sha256').update('x').digest('base64url');
    await expect(loginAtIdp(authUrl(idp, challenge, WITH_OFFLINE, PLAIN.clientId), REDIRECT, 'alice', 'alice-pw')).rejects.toMatchObject({ code: 'invalid_scope' });
  });

  it('uses Authelia lifespans by default: access token 1 h, refresh token 90 min', async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    expect(tokens.expires_in).toBeGreaterThan(3590);
    expect(tokens.expires_in).toBeLessThanOrEqual(3600);
    const { json } = await clientPost(idp, '/api/oidc/introspection', { token: tokens.refresh_token });
    expect(json.active).toBe(true);
    expect(json.exp - json.iat).toBe(5400);
  });
});

describe('offline_access and consent modes', () => {
  it('shows the consent page for offline_access even with implicit consent, and grants it there', async () => {
    const idp = await startIdp(options({ consent: 'implicit' }));
    try {
      // Refusing the consent page fails the login: the page was shown.
      await expect(loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' })).rejects.toMatchObject({ code: 'access_denied' });
      const tokens = await login(idp, 'alice', 'alice-pw');
      expect(tokens.scope.split(' ')).toContain('offline_access');
      expect(typeof tokens.refresh_token).toBe('string');
      // Without offline_access, implicit consent asks nothing (deny has nothing to refuse).
      await expect(loginAtIdp(authUrl(idp, pkceChallenge(), 'openid profile email groups'), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' })).resolves.toHaveProperty('code');
    } finally {
      await idp.close();
    }
  });

  it('skips the consent page for offline_access only under a remembered pre-configured consent', async () => {
    const idp = await startIdp(options({ consent: 'pre-configured' }));
    try {
      await expect(loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' })).rejects.toMatchObject({ code: 'access_denied' });
      // Accepted without "remember": asked again next time.
      await loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'alice', 'alice-pw');
      await expect(loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' })).rejects.toMatchObject({ code: 'access_denied' });
      // Remembered: the page is not shown again (deny has nothing to refuse), for this user only.
      await loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'alice', 'alice-pw', { rememberConsent: true });
      await expect(loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' })).resolves.toHaveProperty('code');
      await expect(loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'bob', 'bob-pw', { consent: 'deny' })).rejects.toMatchObject({ code: 'access_denied' });
      // Remembered consents live in Authelia's storage: an empty one asks again, identifiers kept or not.
      idp.resetStorage('kept');
      await expect(loginAtIdp(authUrl(idp, pkceChallenge(), WITH_OFFLINE), REDIRECT, 'alice', 'alice-pw', { consent: 'deny' })).rejects.toMatchObject({ code: 'access_denied' });
    } finally {
      await idp.close();
    }
  });
});

describe('configured lifespans', () => {
  it('expires access tokens and refresh tokens, and gives each rotated refresh token a fresh lifespan', async () => {
    // Lifespans in whole seconds with an issue time rounded down: a token lives between ttl-1 and
    // ttl seconds, so every wait below keeps at least a second of margin either way.
    const idp = await startIdp(options({ accessTokenTtl: 2, refreshTokenTtl: 4 }));
    try {
      const first = await login(idp, 'alice', 'alice-pw');
      const spare = await login(idp, 'bob', 'bob-pw'); // never refreshed
      expect(first.expires_in).toBeLessThanOrEqual(2);
      expect((await userinfo(idp, first.access_token)).status).toBe(200);

      await sleep(2100);
      expect((await userinfo(idp, first.access_token)).status).toBe(401);
      const second = await refresh(idp, first.refresh_token);
      expect(second.status).toBe(200);
      expect((await userinfo(idp, second.json.access_token)).status).toBe(200);

      await sleep(2100); // more than 4 s after the logins, less than 3 s after the rotation
      expect(await refresh(idp, spare.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
      expect((await refresh(idp, second.json.refresh_token)).status).toBe(200);
    } finally {
      await idp.close();
    }
  });

  it('rejects a lifespan that is not a positive whole number of seconds', async () => {
    await expect(startIdp(options({ accessTokenTtl: 0 }))).rejects.toThrow(/accessTokenTtl must be a positive whole number/);
    await expect(startIdp(options({ refreshTokenTtl: 1.5 }))).rejects.toThrow(/refreshTokenTtl must be a positive whole number/);
  });
});

describe('removed and disabled users', () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp(options());
  });
  afterAll(() => idp.close());

  it('a disabled user: refresh still works, userinfo has sub only, the sign-in form refuses them', async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    const sub = (await userinfo(idp, tokens.access_token)).json.sub as string;
    idp.setUser({ ...alice, disabled: true });

    expect(await fallback(idp, tokens.access_token)).toEqual(sub);
    const refreshed = await refresh(idp, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    expect(await fallback(idp, refreshed.json.access_token)).toEqual(sub);
    await expect(login(idp, 'alice', 'alice-pw')).rejects.toThrow(/Incorrect username or password/);

    idp.setUser(alice); // enabled again: the same tokens see the identity again
    expect((await userinfo(idp, refreshed.json.access_token)).json).toMatchObject({ sub, preferred_username: 'alice', groups: ['admins', 'dev'] });
  });

  it('a removed user: refresh still works, userinfo has sub only, sign-in fails; re-adding keeps the sub', async () => {
    const tokens = await login(idp, 'bob', 'bob-pw');
    const sub = (await userinfo(idp, tokens.access_token)).json.sub as string;
    expect(idp.removeUser('bob')).toBe(true);
    expect(idp.removeUser('bob')).toBe(false);

    const refreshed = await refresh(idp, tokens.refresh_token);
    expect(refreshed.status).toBe(200);
    expect(await fallback(idp, refreshed.json.access_token)).toEqual(sub);
    await expect(login(idp, 'bob', 'bob-pw')).rejects.toThrow(/Incorrect username or password/);

    idp.setUser(bob);
    expect((await userinfo(idp, refreshed.json.access_token)).json).toMatchObject({ sub, preferred_username: 'bob' });
  });

  it('shows group changes at userinfo at once', async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    idp.setUser({ ...alice, groups: ['dev'] });
    expect((await userinfo(idp, tokens.access_token)).json.groups).toEqual(['dev']);
    idp.setUser(alice);
  });
});

describe("userinfo, rotation, revocation auth and outages as Authelia answers them", () => {
  const POSTER = { clientId: 'poster', clientSecret: 'poster-secret', redirectUris: [REDIRECT], offlineAccess: true, tokenEndpointAuthMethod: 'client_secret_post' as const };
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp(options({ clients: [OFFLINE, PLAIN, POSTER] }));
  });
  afterAll(() => idp.close());

  it('answers a live user as 4.39.20 does: sub, rat, updated_at and the current scope claims', async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    const { status, json } = await userinfo(idp, tokens.access_token);
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(['email', 'email_verified', 'groups', 'name', 'preferred_username', 'rat', 'sub', 'updated_at']);
    expect(json).toMatchObject({ preferred_username: 'alice', groups: ['admins', 'dev'] });
  });

  it('gives the same fallback answer when the user backend is down, lets no one sign in, and keeps refresh working', async () => {
    const tokens = await login(idp, 'bob', 'bob-pw');
    const sub = (await userinfo(idp, tokens.access_token)).json.sub as string;
    idp.setUserBackend('down');
    try {
      expect(await fallback(idp, tokens.access_token)).toBe(sub);
      const refreshed = await refresh(idp, tokens.refresh_token);
      expect(refreshed.status).toBe(200);
      expect(await fallback(idp, refreshed.json.access_token)).toBe(sub);
      await expect(login(idp, 'alice', 'alice-pw')).rejects.toThrow(/Incorrect username or password/);
    } finally {
      idp.setUserBackend('up');
    }
    expect((await userinfo(idp, (await refresh(idp, (await login(idp, 'bob', 'bob-pw')).refresh_token)).json.access_token)).json.preferred_username).toBe('bob');
  });

  it('revokes the earlier access tokens of a grant at each refresh (request_unauthorized), and answers an expired one request_unauthorized too', async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    const other = await login(idp, 'alice', 'alice-pw');
    const rotated = await refresh(idp, tokens.refresh_token);
    expect(await userinfo(idp, tokens.access_token)).toMatchObject({ status: 401, json: { error: 'request_unauthorized' } });
    expect((await userinfo(idp, rotated.json.access_token)).status).toBe(200);
    expect((await userinfo(idp, other.access_token)).status).toBe(200); // another grant is untouched
    expect(await userinfo(idp, 'never-issued')).toMatchObject({ status: 401, json: { error: 'request_unauthorized' } });

    const short = await startIdp(options({ accessTokenTtl: 1 }));
    try {
      const expiring = await login(short, 'alice', 'alice-pw');
      await sleep(1_100);
      // Authelia 4.38.19 and 4.39.20 name no other error for an expired token (test/authelia/fidelity.test.ts).
      expect(await userinfo(short, expiring.access_token)).toMatchObject({ status: 401, json: { error: 'request_unauthorized' } });
    } finally {
      await short.close();
    }
  });

  it('forgets every token on a storage reset with the identifiers kept (exported and imported): 401 at userinfo, invalid_grant at refresh; users sign in again with the same sub', async () => {
    const tokens = await login(idp, 'bob', 'bob-pw');
    const sub = (await userinfo(idp, tokens.access_token)).json.sub;
    idp.resetStorage('kept');
    expect(await userinfo(idp, tokens.access_token)).toMatchObject({ status: 401, json: { error: 'request_unauthorized' } });
    expect(await refresh(idp, tokens.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    expect((await userinfo(idp, (await login(idp, 'bob', 'bob-pw')).access_token)).json.sub).toBe(sub);
  });

  it('a storage reset that lost the identifiers forgets every token too, and every user signs in again with a new sub, username and email unchanged', async () => {
    const tokens = await login(idp, 'bob', 'bob-pw');
    const before = (await userinfo(idp, tokens.access_token)).json;
    idp.resetStorage('lost');
    expect(await userinfo(idp, tokens.access_token)).toMatchObject({ status: 401, json: { error: 'request_unauthorized' } });
    expect(await refresh(idp, tokens.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    const after = (await userinfo(idp, (await login(idp, 'bob', 'bob-pw')).access_token)).json;
    expect(after.sub).toEqual(expect.any(String));
    expect(after.sub).not.toBe(before.sub);
    expect([after.preferred_username, after.email]).toEqual([before.preferred_username, before.email]);
  });

  it('authenticates revocation and introspection with Basic by default, whatever the token endpoint uses', async () => {
    const tokens = await login(idp, 'alice', 'alice-pw', WITH_OFFLINE, POSTER);
    const asPost = await fetch(`${idp.issuer}/api/oidc/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: POSTER.clientId, client_secret: POSTER.clientSecret }),
    });
    expect(asPost.status).toBe(401);
    expect(((await asPost.json()) as Json).error).toBe('invalid_client');
    expect((await clientPost(idp, '/api/oidc/introspection', { token: tokens.access_token }, POSTER)).json.active).toBe(true);
    expect((await clientPost(idp, '/api/oidc/revocation', { token: tokens.refresh_token }, POSTER)).status).toBe(200);
    // Revoking the refresh token revoked the grant: its access token is unknown now.
    expect(await userinfo(idp, tokens.access_token)).toMatchObject({ status: 401, json: { error: 'request_unauthorized' } });
  });

  it("'late' performs a refresh but answers after the client gave up: the old refresh token is spent", async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    idp.setDown('late', 1_500);
    try {
      const abort = AbortSignal.timeout(300);
      await expect(refresh(idp, tokens.refresh_token, abort)).rejects.toThrow();
      await sleep(1_500);
    } finally {
      idp.setDown('up');
    }
    expect(await refresh(idp, tokens.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
  });
});

describe('request log and outages', () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp(options());
  });
  afterAll(() => idp.close());

  it('logs token (with grant_type), userinfo and revocation requests, and nothing else', async () => {
    idp.requests.length = 0;
    const tokens = await login(idp, 'alice', 'alice-pw');
    const before = Date.now();
    await userinfo(idp, tokens.access_token);
    const refreshed = await refresh(idp, tokens.refresh_token);
    await clientPost(idp, '/api/oidc/revocation', { token: refreshed.json.refresh_token });
    await fetch(`${idp.issuer}/.well-known/openid-configuration`);

    expect(idp.requests.map(({ method, path, grant_type, status }) => ({ method, path, grant_type, status }))).toEqual([
      { method: 'POST', path: '/api/oidc/token', grant_type: 'authorization_code', status: 200 },
      { method: 'GET', path: '/api/oidc/userinfo', grant_type: undefined, status: 200 },
      { method: 'POST', path: '/api/oidc/token', grant_type: 'refresh_token', status: 200 },
      { method: 'POST', path: '/api/oidc/revocation', grant_type: undefined, status: 200 },
    ]);
    expect(idp.requests[1]!.at).toBeGreaterThanOrEqual(before);
    // Revoking the refresh token ended the grant.
    expect((await refresh(idp, refreshed.json.refresh_token)).json.error).toBe('invalid_grant');
  });

  it("'unavailable' answers 503 to everything until set up again", async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    idp.requests.length = 0;
    idp.setDown('unavailable');
    try {
      expect((await userinfo(idp, tokens.access_token)).status).toBe(503);
      expect((await refresh(idp, tokens.refresh_token)).status).toBe(503);
      expect((await fetch(`${idp.issuer}/.well-known/openid-configuration`)).status).toBe(503);
    } finally {
      idp.setDown('up');
    }
    expect(idp.requests.map((r) => [r.path, r.status])).toEqual([['/api/oidc/userinfo', 503], ['/api/oidc/token', 503]]);
    // Nothing was processed while down: the refresh token is still unused.
    expect((await refresh(idp, tokens.refresh_token)).status).toBe(200);
  });

  it("'hang' holds requests unanswered; going up drops them unprocessed", async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    idp.requests.length = 0;
    idp.setDown('hang');
    const held = refresh(idp, tokens.refresh_token).then(() => 'answered', () => 'dropped');
    await expect.poll(() => idp.requests.length).toBe(1);
    idp.setDown('up');
    expect(await held).toBe('dropped');
    expect(idp.requests[0]!.path).toBe('/api/oidc/token');
    expect(idp.requests[0]!.status).toBeUndefined(); // never answered
    // The held request consumed nothing: the same refresh token still works.
    expect((await refresh(idp, tokens.refresh_token)).status).toBe(200);
  });

  it('close() works while requests hang', async () => {
    const other = await startIdp(options());
    other.setDown('hang');
    const held = userinfo(other, 'any').then(() => 'answered', () => 'dropped');
    await expect.poll(() => other.requests.length).toBe(1); // the request is in, and held
    await other.close();
    expect(await held).toBe('dropped');
  });
});

/** A browser that keeps its IdP cookies between sign-ins (by name: enough for one IdP). */
class Browser {
  readonly #cookies = new Map<string, string>();

  /** Follows redirects; stops at the client's redirect_uri or at a page. */
  async go(url: string, form?: Record<string, string>): Promise<{ page?: string; redirect?: URL; status: number }> {
    let next: { url: URL; form?: Record<string, string> } = { url: new URL(url), ...(form ? { form } : {}) };
    for (let step = 0; step < 20; step++) {
      const res = await fetch(next.url, {
        method: next.form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(next.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(next.form ? { body: new URLSearchParams(next.form) } : {}),
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.#cookies.delete(pair.slice(0, eq));
        else this.#cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const location = res.headers.get('location');
      if (!location) return { page: await res.text(), status: res.status };
      const target = new URL(location, next.url);
      if (target.href.startsWith(REDIRECT)) return { redirect: target, status: res.status };
      next = { url: target };
    }
    throw new Error('too many redirects');
  }
}

const formAction = (html: string, base: string) => new URL(/<form[^>]*action="([^"]*)"/.exec(html)?.[1]?.replace(/&#38;/g, '&') ?? '', base).href;

describe('a browser still signed in at the IdP', () => {
  it('must sign in again once its user is disabled', async () => {
    const idp = await startIdp(options());
    try {
      const browser = new Browser();
      const start = authUrl(idp, createHash('sha256').update('v').digest('base64url'), 'openid groups') + `&redirect_uri=${encodeURIComponent(REDIRECT)}`;
      const loginForm = await browser.go(start);
      const consent = await browser.go(formAction(loginForm.page!, idp.issuer), { username: 'alice', password: 'alice-pw' });
      expect(consent.page).toContain('name="decision"');
      expect((await browser.go(formAction(consent.page!, idp.issuer), { decision: 'accept' })).redirect?.searchParams.get('code')).toBeTruthy();

      // Still signed in: the next authorization skips the sign-in form (explicit consent asks again).
      expect((await browser.go(start)).page).toContain('name="decision"');
      idp.setUser({ ...alice, disabled: true });
      const again = await browser.go(start);
      expect(again.page).toContain('name="password"');
    } finally {
      await idp.close();
    }
  });
});

describe("Authelia's portal sign-out page", () => {
  it('ends the browser session (the next authorization asks for the password), keeps issued tokens valid, and redirects only inside its cookie domain', async () => {
    const idp = await startIdp(options());
    try {
      const browser = new Browser();
      const verifier = randomBytes(32).toString('base64url');
      const start = authUrl(idp, createHash('sha256').update(verifier).digest('base64url'), 'openid groups') + `&redirect_uri=${encodeURIComponent(REDIRECT)}`;
      const loginForm = await browser.go(start);
      const consent = await browser.go(formAction(loginForm.page!, idp.issuer), { username: 'alice', password: 'alice-pw' });
      const code = (await browser.go(formAction(consent.page!, idp.issuer), { decision: 'accept' })).redirect?.searchParams.get('code') ?? '';
      const { json: tokens } = await clientPost(idp, '/api/oidc/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier });
      expect((await browser.go(start)).page).toContain('name="decision"'); // still signed in

      const back = await browser.go(`${idp.issuer}/logout?rd=${encodeURIComponent(`${REDIRECT}?bye=1`)}`);
      expect(back.redirect?.href).toBe(`${REDIRECT}?bye=1`);
      expect((await browser.go(start)).page).toContain('name="password"');
      expect((await userinfo(idp, tokens.access_token)).json.preferred_username).toBeUndefined(); // openid groups only: no profile
      expect((await userinfo(idp, tokens.access_token)).status).toBe(200);

      const elsewhere = await browser.go(`${idp.issuer}/logout?rd=${encodeURIComponent('https://evil.example.net/')}`);
      expect(elsewhere.redirect).toBeUndefined();
      expect(elsewhere.page).toContain('You are signed out of Authelia.');
    } finally {
      await idp.close();
    }
  });

  it('revoking an access token also ends its grant\'s refresh token, as in Authelia', async () => {
    const idp = await startIdp(options());
    try {
      const tokens = await login(idp, 'alice', 'alice-pw');
      expect((await clientPost(idp, '/api/oidc/revocation', { token: tokens.access_token, token_type_hint: 'access_token' })).status).toBe(200);
      expect(await refresh(idp, tokens.refresh_token)).toMatchObject({ status: 400, json: { error: 'invalid_grant' } });
    } finally {
      await idp.close();
    }
  });
});

describe('demo users admin page', () => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp(options({ adminPage: true, users: [alice, bob, { ...bob, username: 'eve<script>', email: 'eve@example.com', name: '"Eve" & <b>co</b>' }] }));
  });
  afterAll(() => idp.close());

  const page = async () => {
    const res = await fetch(idp.adminUrl!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    return res.text();
  };
  const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const post = (form: Record<string, string>) =>
    fetch(idp.adminUrl!, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });

  it('lists users with their groups, escaped', async () => {
    expect(idp.adminUrl).toBe(`${idp.issuer}/demo/users`);
    const html = await page();
    expect(html).toContain('value="admins, dev"');
    expect(html).toContain('eve&#60;script&#62;');
    expect(html).toContain('&#34;Eve&#34; &#38; &#60;b&#62;co&#60;/b&#62;');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>co');
  });

  it('changes groups and disables a user over HTTP, visible at userinfo at once', async () => {
    const tokens = await login(idp, 'alice', 'alice-pw');
    const csrf = csrfOf(await page());
    const saved = await post({ csrf, username: 'alice', groups: ' ops, dev,, ops ' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/demo/users?saved=alice');
    expect((await userinfo(idp, tokens.access_token)).json.groups).toEqual(['ops', 'dev']);
    expect(await page()).toContain('value="ops, dev"');

    expect((await post({ csrf, username: 'alice', groups: 'ops', disabled: 'on' })).status).toBe(303);
    expect(Object.keys((await userinfo(idp, tokens.access_token)).json).sort()).toEqual(['amr', 'aud', 'auth_time', 'azp', 'iat', 'iss', 'sub']);
    await expect(login(idp, 'alice', 'alice-pw')).rejects.toThrow(/Incorrect username or password/);
    expect(await page()).toMatch(/name="disabled" value="on" checked/);

    expect((await post({ csrf, username: 'alice', groups: 'admins, dev' })).status).toBe(303); // enabled again
    expect((await userinfo(idp, tokens.access_token)).json).toMatchObject({ preferred_username: 'alice', groups: ['admins', 'dev'] });
  });

  it('takes the user backend down and back: every check gets the fallback answer, nobody signs in; a form without the token changes nothing', async () => {
    const tokens = await login(idp, 'bob', 'bob-pw');
    expect(await page()).toContain('User backend: up');
    expect((await post({ backend: 'down' })).status).toBe(403);
    expect((await userinfo(idp, tokens.access_token)).json.preferred_username).toBe('bob');
    const down = await post({ csrf: csrfOf(await page()), backend: 'down' });
    expect(down.status).toBe(303);
    expect(await page()).toMatch(/User backend: <span class="error">down/);
    expect(await fallback(idp, tokens.access_token)).toBeTruthy();
    await expect(login(idp, 'bob', 'bob-pw')).rejects.toThrow(/Incorrect username or password/);
    expect((await post({ csrf: csrfOf(await page()), backend: 'up' })).status).toBe(303);
    expect((await userinfo(idp, tokens.access_token)).json.preferred_username).toBe('bob');
  });

  it('refuses a form without the right token (CSRF) and unknown users', async () => {
    expect((await post({ username: 'bob', groups: 'admins' })).status).toBe(403);
    expect((await post({ csrf: 'guess', username: 'bob', groups: 'admins' })).status).toBe(403);
    expect((await post({ csrf: csrfOf(await page()), username: 'nobody', groups: 'admins' })).status).toBe(404);
    expect(await page()).toContain('id="groups-bob" name="groups" value="dev"');
  });

  it('is not served unless enabled', async () => {
    const plain = await startIdp(options());
    try {
      expect(plain.adminUrl).toBeUndefined();
      expect((await fetch(`${plain.issuer}/demo/users`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
