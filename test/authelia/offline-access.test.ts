// offline_access on the real Authelia: each due check trades the refresh token (rotation), the groups
// stay exact and Authelia keeps one live grant; signing out revokes that grant at Authelia's
// revocation endpoint and hands the browser Authelia's own sign-out, which follows
// AUTHELIA_SIGN_OUT_REDIRECT inside Authelia's cookie domain.
import { describe, expect, it } from 'vitest';
import { refresh, sleep, until } from '../support/revalidation.js';
import { storedUser } from '../support/stack.js';
import type { RealUser } from '../../testkit/authelia/config.js';
import { gridPairs } from './grid.js';
import { withRealStack, WITH_OFFLINE_ACCESS, type RealStack } from './real-stack.js';

const SCENARIO_TIMEOUT = 180_000;
const ACCESS_TOKEN_S = 15;
const SIGNED_OUT_PAGE = 'https://127.0.0.1/signed-out';

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
      expect(stack.authelia.output()).not.toMatch(/Token is inactive because it is malformed, expired or otherwise invalid/);

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
});
