// Authelia access tokens that live 10 s or less, on the stand-in: PocketBase's OAuth2 client treats
// a token that expires within 10 s as expired and refreshes it before it reads userinfo, so the
// refresh token a login hands the hooks is already spent, and presenting it later would make
// Authelia revoke the whole grant. Such a login keeps no token, the operator is told (once in the
// log, on the status page until a login with a longer token), and AUTHELIA_STRICT refuses it.
// Tokens of 15 s rotate at every due check with the groups exact.
import { describe, expect, it } from 'vitest';
import { TIMED_VERSIONS } from '../../../testkit/pocketbase-versions.js';
import type { Idp } from '../../../testkit/idp.js';
import { afterLogin, person, refresh, until, withStack, WITH_OFFLINE_ACCESS } from '../../support/revalidation.js';
import { ssoLogin, startIdpFor, storedUser, type Stack, type StackOptions } from '../../support/stack.js';

const SCENARIO_TIMEOUT = 150_000;
const SHORT_TTL = 5;
const LONG_TTL = 15;
const WARNING = /authelia: Authelia's access tokens are too short-lived for PocketBase/g;
const SETTING = "identity_providers.oidc.lifespans.access_token (or the client's lifespan)";

function offline(version: string, users: StackOptions['users'], accessTokenTtl: number, env: Record<string, string> = {}): StackOptions {
  return {
    version,
    users,
    idp: { offlineAccess: true, accessTokenTtl },
    env: { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off', ...env },
  };
}

function calls(idp: Idp): string[] {
  return idp.requests.map((request) => `${request.method} ${request.path}${request.grant_type ? ` ${request.grant_type}` : ''} ${request.status ?? '-'}`);
}

async function problems(stack: Pick<Stack, 'pb'>): Promise<unknown> {
  return (await (await stack.pb.superuser()).send('/api/authelia/status', {}))['autheliaConfigurationProblems'];
}

describe.concurrent.each(TIMED_VERSIONS)('Authelia access tokens of 10 s or less on PocketBase %s', (version) => {
  it(`keeps nothing from a login whose ${SHORT_TTL} s access token PocketBase refreshed inside the login, says so once and until a login with a longer token`, { timeout: SCENARIO_TIMEOUT }, async () => {
    // A fixed subject: the IdP is swapped for one with longer tokens later, and the account stays the same.
    const lea = { ...person('lea', ['dev']), sub: 'b1d3f0a6-5d0e-4c55-9a51-1e0f2f1c9a01' };
    await withStack(offline(version, [lea], SHORT_TTL), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, lea);
      expect(auth.record['groups']).toEqual(['dev']);
      // The login itself works: PocketBase traded the refresh token before it read userinfo.
      expect(calls(stack.idp)).toEqual(['POST /api/oidc/token authorization_code 200', 'POST /api/oidc/token refresh_token 200', 'GET /api/oidc/userinfo 200']);

      const idp = afterLogin(stack);
      const changedAt = Date.now();
      stack.idp.setUser({ ...lea, groups: ['ops'] });
      await until(changedAt, (SHORT_TTL + 1) * 1_000);
      const due = await refresh(stack, auth.token);
      // Nothing usable was kept: cannot tell, nothing changes until AUTHELIA_MAX_SESSION, and the
      // spent refresh token never reaches Authelia (a refresh, a revocation).
      expect(due.status).toBe(200);
      expect(due.record['groups']).toEqual(['dev']);
      expect(idp.calls()).toEqual([]);

      await ssoLogin(stack.pb.url, lea);
      expect(idp.calls().filter((call) => !/authorization_code|refresh_token 200|userinfo/.test(call))).toEqual([]);
      const logs = await stack.pb.logs(WARNING);
      expect(logs.match(WARNING)).toHaveLength(1);
      expect(logs).toMatch(/had [0-9.]+ s left after PocketBase read userinfo/);
      expect(await problems(stack)).toEqual([expect.objectContaining({ setting: SETTING, minimum: '15s', secondsLeftAtSignIn: expect.any(Number) })]);

      // Authelia's operator lengthens the lifespan (here: the same IdP, restarted with longer tokens).
      const { port } = new URL(stack.idp.issuer);
      const pbPort = Number(new URL(stack.pb.url).port);
      await stack.idp.close();
      let longer: Idp | undefined;
      try {
        longer = await startIdpFor(pbPort, [{ ...lea, groups: ['ops'] }], { port: Number(port), offlineAccess: true, accessTokenTtl: LONG_TTL });
        const fixed = await ssoLogin(stack.pb.url, lea);
        expect(fixed.auth.record['groups']).toEqual(['ops']);
        expect(calls(longer)).toEqual(['POST /api/oidc/token authorization_code 200', 'GET /api/oidc/userinfo 200']);
        expect(await problems(stack)).toEqual([]);
        longer.requests.length = 0;
        const loggedInAt = Date.now();
        longer.setUser({ ...lea, groups: ['admins'] });
        await until(loggedInAt, (LONG_TTL - 10) * 1_000 + 500);
        const rotated = await refresh(stack, fixed.auth.token);
        expect(rotated.status).toBe(200);
        expect(rotated.record['groups']).toEqual(['admins']);
        expect(calls(longer)).toEqual(['POST /api/oidc/token refresh_token 200', 'GET /api/oidc/userinfo 200']);
      } finally {
        await longer?.close();
      }
    });
  });

  it(`AUTHELIA_STRICT refuses a login whose ${SHORT_TTL} s access token PocketBase refreshed inside the login, and presents none of its tokens`, { timeout: SCENARIO_TIMEOUT }, async () => {
    const max = person('max', ['dev']);
    await withStack(offline(version, [max], SHORT_TTL, { AUTHELIA_STRICT: 'true' }), async (stack) => {
      const refused = await ssoLogin(stack.pb.url, max).then(() => undefined, (error: { status?: number; message?: string }) => error);
      expect(refused?.status).toBe(500);
      expect(refused?.message).toMatch(/Authelia's access tokens expire too soon for PocketBase.*at least 15s/);
      await expect(storedUser(stack.pb, max.email)).rejects.toThrow();
      expect(await problems(stack)).toEqual([expect.objectContaining({ setting: SETTING, minimum: '15s' })]);
      expect(calls(stack.idp).filter((call) => call.includes('revocation'))).toEqual([]);
      expect(await stack.pb.logs(WARNING)).toMatch(/AUTHELIA_STRICT is on: such sign-ins are refused/);
    });
  });

  it(`trades the refresh token at three due checks in a row with access tokens of ${LONG_TTL} s, the groups exact`, { timeout: SCENARIO_TIMEOUT }, async () => {
    const ned = person('ned', ['dev']);
    await withStack(offline(version, [ned], LONG_TTL), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, ned);
      expect(calls(stack.idp)).toEqual(['POST /api/oidc/token authorization_code 200', 'GET /api/oidc/userinfo 200']);
      // Tokens kept: the login is not taken for one whose token PocketBase refreshed.
      expect(await problems(stack)).toEqual([]);
      const idp = afterLogin(stack);
      let token = auth.token;
      for (const [round, groups] of [['dev', 'ops'], ['ops'], ['admins', 'ops']].entries()) {
        const issuedAt = Date.now();
        stack.idp.setUser({ ...ned, groups });
        // A check treats a token as expired 10 s early, as PocketBase's client does: the refresh token is due.
        await until(issuedAt, (LONG_TTL - 10) * 1_000 + 500);
        const due = await refresh(stack, token);
        expect(due.status, `round ${round + 1}`).toBe(200);
        expect(due.record['groups'], `round ${round + 1}`).toEqual(groups);
        token = due.token;
      }
      expect(idp.calls()).toEqual(Array(3).fill(['POST /api/oidc/token refresh_token 200', 'GET /api/oidc/userinfo 200']).flat());
      expect(await problems(stack)).toEqual([]);
    });
  });
});
