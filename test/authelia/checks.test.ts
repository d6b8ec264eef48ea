// The checks after the login, on the real Authelia with its file backend (`watch: true`, as an
// operator edits users_database.yml): a group change reaches the record at the next check; a removed
// or disabled user loses access while a colleague is answered normally; Authelia restarted on the
// same storage changes nothing, on a fresh storage costs nobody their session.
import { describe, expect, it } from 'vitest';
import { GONE, refresh, sleep, sweepNow, until } from '../support/revalidation.js';
import { storedUser } from '../support/stack.js';
import { gridPairs } from './grid.js';
import { withRealStack, WITH_OFFLINE_ACCESS } from './real-stack.js';
import type { RealUser } from '../../testkit/authelia/config.js';

const SCENARIO_TIMEOUT = 180_000;
/** Never on its own during a test: runs come from sweepNow. */
const SWEEP_BY_HAND = '0 0 1 1 *';

function person(name: string, groups: string[]): RealUser & { email: string; groups: string[] } {
  return { username: name, password: `${name}-password-1`, displayname: name, email: `${name}@example.test`, groups };
}

describe.concurrent.each(gridPairs())('checks after the login on Authelia %s with PocketBase %s', (autheliaVersion, pocketbaseVersion) => {
  const checksWork = !autheliaVersion.startsWith('4.38.0');
  // Only the scenarios this version can show are registered: nothing is skipped.
  const whereChecksWork = checksWork ? it : undefined;
  const whereChecksCannotWork = checksWork ? undefined : it;
  const env = { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND };

  it('brings a group change made in the users file onto the record at the next auth-refresh', { timeout: SCENARIO_TIMEOUT }, async () => {
    const erin = person('erin', ['dev']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [erin], env }, async (stack) => {
      const { auth } = await stack.login(erin);
      expect(auth.record['groups']).toEqual(['dev']);
      const loggedInAt = Date.now();
      await stack.authelia.setUsers([{ ...erin, groups: ['dev', 'ops'] }]);
      await until(loggedInAt, 1_500);
      const due = await refresh(stack, auth.token);
      expect(due.status).toBe(200);
      // 4.38.0's userinfo answers from its storage (what the login saw), never from the users file.
      expect(due.record['groups']).toEqual(checksWork ? ['dev', 'ops'] : ['dev']);
      expect((await storedUser(stack.pb, erin.email))['groups']).toEqual(checksWork ? ['dev', 'ops'] : ['dev']);
    });
  });

  whereChecksWork?.('cuts off a removed and a disabled user at auth-refresh while a colleague is answered normally', { timeout: SCENARIO_TIMEOUT }, async () => {
    const frank = person('frank', ['admins']);
    const gina = person('gina', ['admins']);
    const hank = person('hank', ['dev']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [frank, gina, hank], env }, async (stack) => {
      const frankLogin = (await stack.login(frank)).auth;
      const ginaLogin = (await stack.login(gina)).auth;
      const hankLogin = (await stack.login(hank)).auth;
      const loggedInAt = Date.now();
      await stack.authelia.setUsers([{ ...gina, disabled: true }, hank]);
      await until(loggedInAt, 1_500);
      for (const [login, email] of [[frankLogin, frank.email], [ginaLogin, gina.email]] as const) {
        const refused = await refresh(stack, login.token);
        expect(refused.status, email).toBe(401);
        expect(refused.message).toMatch(GONE);
        expect((await storedUser(stack.pb, email))['groups']).toEqual([]);
      }
      const kept = await refresh(stack, hankLogin.token);
      expect(kept.status).toBe(200);
      expect(kept.record['groups']).toEqual(['dev']);
    });
  });

  whereChecksCannotWork?.('cannot see a removal: this Authelia answers userinfo from what it stored at the login, so a removed user\'s checks pass (the README tells operators to upgrade to 4.38.7 or later)', { timeout: SCENARIO_TIMEOUT }, async () => {
    const frank = person('frank', ['admins']);
    const hank = person('hank', ['dev']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [frank, hank], env }, async (stack) => {
      const frankLogin = (await stack.login(frank)).auth;
      await stack.login(hank);
      const loggedInAt = Date.now();
      await stack.authelia.setUsers([hank]);
      await until(loggedInAt, 1_500);
      const kept = await refresh(stack, frankLogin.token);
      expect(kept.status).toBe(200);
      expect(kept.record['groups']).toEqual(['admins']);
      expect(await sweepNow(stack)).toMatchObject({ checked: 2, ended: 0 });
    });
  });

  whereChecksWork?.('the sweep brings changes of users who never refresh: one removed, one regrouped, one unchanged', { timeout: SCENARIO_TIMEOUT }, async () => {
    const ivy = person('ivy', ['admins']);
    const jon = person('jon', ['dev']);
    const kim = person('kim', ['dev']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [ivy, jon, kim], env: { AUTHELIA_REVALIDATE_AFTER: 'off', AUTHELIA_SWEEP: SWEEP_BY_HAND } }, async (stack) => {
      const logins = [];
      for (const user of [ivy, jon, kim]) logins.push((await stack.login(user)).auth);
      await stack.authelia.setUsers([{ ...jon, groups: ['dev', 'ops'] }, kim]);
      expect(await sweepNow(stack)).toMatchObject({ checked: 3, updated: 1, ended: 1, undecided: 0, failed: 0 });
      expect((await storedUser(stack.pb, ivy.email))['groups']).toEqual([]);
      expect((await refresh(stack, logins[0]!.token)).status).toBe(401);
      expect((await storedUser(stack.pb, jon.email))['groups']).toEqual(['dev', 'ops']);
      expect((await refresh(stack, logins[2]!.token)).record['groups']).toEqual(['dev']);
    });
  });

  it('Authelia restarted on the same storage changes nothing; on a fresh storage nobody loses their session or groups', { timeout: SCENARIO_TIMEOUT }, async () => {
    const lea = person('lea', ['dev']);
    const max = person('max', ['ops']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [lea, max], offlineAccess: true, env: { ...env, AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS } }, async (stack) => {
      const tokens = new Map<string, string>();
      for (const user of [lea, max]) tokens.set(user.username, (await stack.login(user)).auth.token);
      const check = async (label: string) => {
        for (const user of [lea, max]) {
          const refreshed = await refresh(stack, tokens.get(user.username)!);
          expect(refreshed.status, `${user.username} ${label}`).toBe(200);
          expect(refreshed.record['groups'], `${user.username} ${label}`).toEqual(user.groups);
          tokens.set(user.username, refreshed.token);
        }
      };
      await stack.authelia.stop();
      await stack.authelia.start('same');
      await sleep(1_200);
      await check('after a restart on the same storage');
      expect(await sweepNow(stack)).toMatchObject({ checked: 2, ended: 0, failed: 0 });

      await stack.authelia.stop();
      await stack.authelia.start('fresh');
      await sleep(1_200);
      await check('after a restart on a fresh storage');
      expect(await sweepNow(stack)).toMatchObject({ checked: 2, ended: 0 });
      await sleep(1_200);
      await check('after a sweep on the fresh storage');
    });
  });
});
