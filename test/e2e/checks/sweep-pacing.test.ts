// The sweep at scale, end to end: it paces its requests instead of sending them in a burst (one in
// flight, spread over the run), a run that cannot finish before the next one says so and the next
// run starts with the records it left, and records none of whose PocketBase sessions can still be
// alive cost Authelia nothing. The figures at 10,000 records are `npm run bench:authelia`'s.
import { describe, expect, it } from 'vitest';
import type { IdpRequest } from '../../../testkit/idp.js';
import { TIMED_VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { person, refresh, sleep, sweepAfter, sweepNow, until, withStack, WITH_OFFLINE_ACCESS } from '../../support/revalidation.js';
import { ssoLogin, type Stack } from '../../support/stack.js';

const TIMEOUT = 240_000;
/** Never on its own during a test: runs come from sweepNow. */
const SWEEP_BY_HAND = '0 0 1 1 *';

interface RecordRow {
  readonly recordId: string;
  readonly lastAttempt: string | null;
}

async function recordRows(stack: Stack): Promise<RecordRow[]> {
  return (await (await stack.pb.superuser()).send('/api/authelia/status/records', {})).items;
}

const calls = (requests: readonly IdpRequest[], path: string) => requests.filter((request) => request.path === path);

describe.concurrent.each(TIMED_VERSIONS)('the sweep at scale on PocketBase %s', (version) => {
  it('paces its checks: one request in flight at a time, spread out instead of a burst', { timeout: TIMEOUT }, async () => {
    const team = Array.from({ length: 8 }, (_, i) => person(`pace${i}`, ['staff']));
    await withStack({ version, users: team, env: { AUTHELIA_SWEEP: SWEEP_BY_HAND, AUTHELIA_REVALIDATE_AFTER: 'off' } }, async (stack) => {
      for (const user of team) await ssoLogin(stack.pb.url, user);
      stack.idp.requests.length = 0;
      // Whether the previous request had been answered when the next one arrived.
      const overlapping: number[] = [];
      stack.idp.onRequest((request) => {
        const before = stack.idp.requests[stack.idp.requests.indexOf(request) - 1];
        if (before && before.status === undefined) overlapping.push(request.at);
      });
      expect(await sweepNow(stack)).toMatchObject({ checked: 8, ended: 0, undecided: 0 });
      const userinfo = calls(stack.idp.requests, '/api/oidc/userinfo');
      expect(userinfo).toHaveLength(8);
      const gaps = userinfo.slice(1).map((request, i) => request.at - userinfo[i]!.at);
      // A burst sends the eight within a few milliseconds of each other; paced, a quarter of a
      // second apart (small runs are not stretched over half the interval: see
      // src/core/checks/sweep-pacing.ts). On a loaded machine one check's request can leave late and the
      // next on time, so a single gap may be short: the median gap and the whole span tell.
      const sorted = [...gaps].sort((a, b) => a - b);
      expect(sorted[Math.floor(sorted.length / 2)], `gaps between userinfo calls: ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(150);
      expect(userinfo.at(-1)!.at - userinfo[0]!.at).toBeGreaterThanOrEqual(7 * 200);
      expect(overlapping).toEqual([]);
    });
  });

  it('a run that cannot finish before the next one says so, and the next run starts with the records it left', { timeout: TIMEOUT }, async () => {
    const team = Array.from({ length: 50 }, (_, i) => person(`slow${i}`, ['staff']));
    await withStack({ version, users: team, env: { AUTHELIA_SWEEP: '* * * * *', AUTHELIA_REVALIDATE_AFTER: 'off' } }, async (stack) => {
      for (const user of team) await ssoLogin(stack.pb.url, user);
      // A slow Authelia: every answer takes 1.5 s (within the 5 s a check waits), so 50 checks
      // take 75 s, more than the one-minute interval.
      stack.idp.setDown('late', 1_500);
      const slowFrom = Date.now();
      const first = await sweepAfter(stack, slowFrom);
      expect(first).toMatchObject({ ended: 0, undecided: 0, failed: 0, stoppedEarly: false, unfinished: true });
      expect(first.checked).toBeGreaterThanOrEqual(25); // it used its interval, not a fixed budget
      expect(first.checked + first.remaining).toBe(50);
      const left = (await recordRows(stack)).filter((row) => Date.parse(row.lastAttempt ?? '0') < Date.parse(first.at)).map((row) => row.recordId);
      expect(left).toHaveLength(first.remaining);
      expect(await stack.pb.logs(/could not finish/)).toMatch(new RegExp(`sweep: could not finish before the next run: ${first.remaining} records left`));

      stack.idp.setDown('up');
      const second = await sweepAfter(stack, Date.parse(first.at) + 1_000);
      expect(second).toMatchObject({ checked: 50, unfinished: false, remaining: 0 });
      const order = (await recordRows(stack)).sort((a, b) => Date.parse(a.lastAttempt!) - Date.parse(b.lastAttempt!)).map((row) => row.recordId);
      expect(new Set(order.slice(0, left.length))).toEqual(new Set(left));
    });
  });

  it('asks Authelia nothing for a record none of whose sessions can still be alive: no userinfo, no refresh grant', { timeout: TIMEOUT }, async () => {
    const ada = person('ada', ['staff']);
    const ben = person('ben', ['staff']);
    const env = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_SWEEP: SWEEP_BY_HAND, AUTHELIA_REVALIDATE_AFTER: 'off' };
    await withStack({ version, users: [ada, ben], env, idp: { offlineAccess: true, accessTokenTtl: 12 } }, async (stack) => {
      // PocketBase's own tokens live 10 s here (its shortest): ben's last one has expired by the sweep, ada keeps refreshing.
      await (await stack.pb.superuser()).collections.update('users', { authToken: { duration: 10 } });
      let adaToken = (await ssoLogin(stack.pb.url, ada)).auth.token;
      await ssoLogin(stack.pb.url, ben);
      const loggedInAt = Date.now();
      while (Date.now() - loggedInAt < 13_000) {
        await sleep(2_500);
        const refreshed = await refresh(stack, adaToken);
        expect(refreshed.status).toBe(200);
        adaToken = refreshed.token;
      }
      await until(loggedInAt, 13_000); // both access tokens (12 s) have expired
      stack.idp.requests.length = 0;
      expect(await sweepNow(stack)).toMatchObject({ checked: 1, ended: 0, undecided: 0, failed: 0 });
      // ada's grant refreshed and asked, once; ben's untouched.
      expect(stack.idp.requests.map((request) => `${request.path}${request.grant_type ? ` ${request.grant_type}` : ''}`)).toEqual([
        '/api/oidc/token refresh_token',
        '/api/oidc/userinfo',
      ]);
      expect((await refresh(stack, adaToken)).status).toBe(200);
    });
  });
});
