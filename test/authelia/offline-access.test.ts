// offline_access on the real Authelia: each due check trades the refresh token (rotation), the groups
// stay exact and Authelia keeps one live grant; signing out revokes that grant at Authelia's
// revocation endpoint and hands the browser Authelia's own sign-out, which follows
// AUTHELIA_SIGN_OUT_REDIRECT inside Authelia's cookie domain. Access tokens of 10 s or less:
// PocketBase refreshes them inside the login, so the login's refresh token is spent; it is never
// presented (Authelia would revoke the grant), and the operator is told.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { refresh, sleep, until } from '../support/revalidation.js';
import { storedUser } from '../support/stack.js';
import type { RealUser } from '../../testkit/authelia/config.js';
import { gridPairs } from './grid.js';
import { withRealStack, WITH_OFFLINE_ACCESS, type RealStack } from './real-stack.js';

const SCENARIO_TIMEOUT = 180_000;
const ACCESS_TOKEN_S = 15;
const SIGNED_OUT_PAGE = 'https://127.0.0.1/signed-out';
const SHORT_ACCESS_TOKEN_S = 5;
const REFUSED_TOKEN = /Token is inactive because it is malformed, expired or otherwise invalid/;
const SHORT_TOKEN_WARNING = /authelia: Authelia's access tokens are too short-lived for PocketBase/g;

async function statusOf(stack: RealStack): Promise<Record<string, unknown>> {
  return (await stack.pb.superuser()).send('/api/authelia/status', {});
}

/** What an operator does: another access-token lifespan in Authelia's configuration, then a restart (same storage, same subjects). */
async function setAccessTokenLifespan(stack: RealStack, lifespan: string): Promise<void> {
  const config = JSON.parse(await readFile(stack.authelia.configFile, 'utf8')) as { identity_providers: { oidc: { lifespans?: Record<string, string> } } };
  config.identity_providers.oidc.lifespans = { ...config.identity_providers.oidc.lifespans, access_token: lifespan };
  await writeFile(stack.authelia.configFile, JSON.stringify(config, null, 2));
  await stack.authelia.stop();
  await stack.authelia.start('same');
}

async function liveTokensOnceRevoked(stack: RealStack): Promise<{ access: number; refresh: number }> {
  let live = await stack.authelia.liveTokens();
  for (let attempt = 0; attempt < 100 && live.access + live.refresh > 0; attempt++) {
    await sleep(100);
    live = await stack.authelia.liveTokens();
  }
  return live;
}

describe.concurrent.each(gridPairs().filter(([a]) => !a.startsWith('4.38.0')))('offline_access on Authelia %s with PocketBase %s', (autheliaVersion, pocketbaseVersion) => {
  it(`trades the refresh token at three due checks in a row (access tokens of ${ACCESS_TOKEN_S} s) with the groups exact; sign-out revokes the grant and Authelia's sign-out follows AUTHELIA_SIGN_OUT_REDIRECT`, { timeout: SCENARIO_TIMEOUT }, async () => {
    const john: RealUser = { username: 'john', password: 'john-password-1', displayname: 'John', email: 'john@example.test', groups: ['dev'] };
    const env = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off', AUTHELIA_SIGN_OUT_REDIRECT: SIGNED_OUT_PAGE };
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [john], offlineAccess: true, lifespans: { access_token: `${ACCESS_TOKEN_S}s` }, env }, async (stack) => {
      const portal = stack.authelia.client();
      let { auth } = await stack.login(john, { session: portal });
      expect(await stack.authelia.liveTokens()).toEqual({ access: 1, refresh: 1 });
      expect((await statusOf(stack))['autheliaConfigurationProblems']).toEqual([]);
      let token = auth.token;
      for (const [round, groups] of [['dev', 'ops'], ['ops'], ['admins', 'ops']].entries()) {
        const issuedAt = Date.now();
        await stack.authelia.setUsers([{ ...john, groups }]);
        await until(issuedAt, (ACCESS_TOKEN_S + 1) * 1_000);
        const due = await refresh(stack, token);
        expect(due.status, `round ${round + 1}`).toBe(200);
        expect(due.record['groups'], `round ${round + 1}`).toEqual(groups);
        token = due.token;
        // Rotation: the old refresh token and access token are spent; one grant stays live.
        expect(await stack.authelia.liveTokens(), `round ${round + 1}`).toEqual({ access: 1, refresh: 1 });
      }
      expect(stack.authelia.output()).not.toMatch(REFUSED_TOKEN);
      expect((await statusOf(stack))['autheliaConfigurationProblems']).toEqual([]);

      const answer = await fetch(`${stack.pb.url}/api/authelia/sign-out`, { method: 'POST', headers: { authorization: token } });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ autheliaSignOutURL: `${stack.authelia.url}/logout?rd=${encodeURIComponent(SIGNED_OUT_PAGE)}` });
      expect((await refresh(stack, token)).status).toBe(401);
      expect(await liveTokensOnceRevoked(stack)).toEqual({ access: 0, refresh: 0 });
      expect((await storedUser(stack.pb, 'john@example.test'))['groups']).toEqual(['admins', 'ops']);

      // What Authelia's /logout page does in the browser: sign out of the portal, then follow rd if safe.
      expect((await portal.send(`${stack.authelia.url}/api/state`)).json<{ data: { username: string } }>().data.username).toBe('john');
      const logout = await portal.send(`${stack.authelia.url}/api/logout`, { method: 'POST', json: { targetURL: SIGNED_OUT_PAGE } });
      expect(logout.json()).toEqual({ status: 'OK', data: { safeTargetURL: true } });
      expect((await portal.send(`${stack.authelia.url}/api/state`)).json<{ data: { username: string } }>().data.username).toBe('');
      auth = (await stack.login(john)).auth;
      expect(auth.record['groups']).toEqual(['admins', 'ops']);
    });
  });

  it(`never presents the refresh token of a login whose access token lived ${SHORT_ACCESS_TOKEN_S} s (PocketBase refreshed it inside the login), says so once and on the status page until a login with a longer token`, { timeout: SCENARIO_TIMEOUT }, async () => {
    const john: RealUser = { username: 'john', password: 'john-password-1', displayname: 'John', email: 'john@example.test', groups: ['dev'] };
    const env = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' };
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [john], offlineAccess: true, lifespans: { access_token: `${SHORT_ACCESS_TOKEN_S}s` }, env }, async (stack) => {
      // The login itself works: PocketBase's OAuth2 client traded the refresh token for fresh tokens
      // before it read userinfo (two token requests), so the groups are current.
      const { auth } = await stack.login(john);
      expect(auth.record['groups']).toEqual(['dev']);
      expect(stack.authelia.output().match(/has successfully been processed" method=POST path=\/api\/oidc\/token/g)).toHaveLength(2);

      const issuedAt = Date.now();
      await stack.authelia.setUsers([{ ...john, groups: ['ops'] }]);
      await until(issuedAt, (SHORT_ACCESS_TOKEN_S + 1) * 1_000);
      const due = await refresh(stack, auth.token);
      // Nothing usable was kept: cannot tell, so nothing changes until AUTHELIA_MAX_SESSION.
      expect(due.status).toBe(200);
      expect(due.record['groups']).toEqual(['dev']);
      // The spent refresh token never reached Authelia, so its grant was not revoked for reuse: the
      // grant PocketBase's own refresh made lives on (held by nobody) until its refresh token expires.
      expect(stack.authelia.output()).not.toMatch(REFUSED_TOKEN);
      expect(await stack.authelia.liveTokens()).toEqual({ access: 1, refresh: 1 });

      // Once per boot in the log, naming Authelia's setting, what was seen and the minimum.
      await stack.login(john);
      const logs = await stack.pb.logs(SHORT_TOKEN_WARNING);
      expect(logs.match(SHORT_TOKEN_WARNING)).toHaveLength(1);
      expect(logs).toMatch(/had [0-9.]+ s left after PocketBase read userinfo.* set identity_providers\.oidc\.lifespans\.access_token \(or the client's lifespan\) to at least 15s/);
      expect((await statusOf(stack))['autheliaConfigurationProblems']).toEqual([
        expect.objectContaining({ setting: "identity_providers.oidc.lifespans.access_token (or the client's lifespan)", minimum: '15s', secondsLeftAtSignIn: expect.any(Number) }),
      ]);
      expect(stack.authelia.output()).not.toMatch(REFUSED_TOKEN);

      // The operator lengthens the lifespan: the next login clears the problem, and its refresh token works.
      await setAccessTokenLifespan(stack, `${ACCESS_TOKEN_S}s`);
      const fixed = await stack.login(john);
      expect(fixed.auth.record['groups']).toEqual(['ops']);
      expect((await statusOf(stack))['autheliaConfigurationProblems']).toEqual([]);
      const changedAt = Date.now();
      await stack.authelia.setUsers([{ ...john, groups: ['admins'] }]);
      await until(changedAt, (ACCESS_TOKEN_S + 1) * 1_000);
      const rotated = await refresh(stack, fixed.auth.token);
      expect(rotated.status).toBe(200);
      expect(rotated.record['groups']).toEqual(['admins']);
      expect(stack.authelia.output()).not.toMatch(REFUSED_TOKEN);
    });
  });
});
