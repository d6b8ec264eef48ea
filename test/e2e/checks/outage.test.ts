// An outage is not a removal, end to end: a real PocketBase with the built hooks and the Authelia-like
// IdP answering as Authelia 4.39 does (testkit/idp-userinfo.ts): the same 200 without a lookup for a
// removed user and for an unreachable user backend, 401 for tokens it no longer knows. Sweeps are
// started by hand (PocketBase's own cron endpoint runs the real job) so the scenarios do not wait
// for the minute; every scenario runs on its own stack, all at once.
import { describe, expect, it } from 'vitest';
import type { Stack } from '../../support/stack.js';
import { TIMED_VERSIONS, VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { GONE, person, refresh, sleep, sweepAfter, until, withStack, WITH_OFFLINE_ACCESS, type SweepRun } from '../../support/revalidation.js';
import { ssoLogin, storedUser, type StackOptions } from '../../support/stack.js';

const SCENARIO_TIMEOUT = 150_000;
/** Never on its own during a test: runs come from runSweep below. */
const SWEEP_BY_HAND = '0 0 1 1 *';

function offlineStack(version: string, users: StackOptions['users'], extra: Partial<StackOptions> = {}): StackOptions {
  return {
    version,
    users,
    idp: { offlineAccess: true, ...extra.idp },
    env: { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND, ...extra.env },
  };
}

/** One run of the real sweep job, as PocketBase's cron would start it; waits for its report. */
async function runSweep(stack: Stack): Promise<SweepRun> {
  const startedAt = Date.now();
  await (await stack.pb.superuser()).send('/api/crons/authelia-sweep', { method: 'POST' });
  return sweepAfter(stack, startedAt);
}

async function revalidationStatus(stack: Stack): Promise<Record<string, any>> {
  return (await (await stack.pb.superuser()).send('/api/authelia/status', {})).revalidation;
}

async function recordRows(stack: Stack): Promise<Array<Record<string, any>>> {
  return (await (await stack.pb.superuser()).send('/api/authelia/status/records', {})).items;
}

describe.concurrent.each(TIMED_VERSIONS)('Authelia outages on PocketBase %s', (version) => {
  it('user backend down across two sweep runs: nobody loses groups, sessions or tokens; after recovery a user removed meanwhile loses access and nobody else', { timeout: SCENARIO_TIMEOUT }, async () => {
    const team = ['ann', 'ben', 'cat', 'dan'].map((name) => person(name, ['staff']));
    await withStack(offlineStack(version, team), async (stack) => {
      const tokens = new Map<string, string>();
      for (const user of team) tokens.set(user.username, (await ssoLogin(stack.pb.url, user)).auth.token);
      stack.idp.setUserBackend('down');
      const downAt = Date.now();

      for (let run = 1; run <= 2; run++) {
        expect(await runSweep(stack)).toMatchObject({ checked: 4, ended: 0, waiting: 4, failed: 0 });
        await until(downAt, 1_200 * run);
        for (const user of team) {
          const refreshed = await refresh(stack, tokens.get(user.username)!);
          expect(refreshed.status, `${user.username} after run ${run}`).toBe(200);
          expect(refreshed.record['groups']).toEqual(['staff']);
          tokens.set(user.username, refreshed.token);
        }
      }
      const during = await revalidationStatus(stack);
      expect(during.outage).toMatchObject({ kind: 'user-backend', waitingRecords: 4 });
      expect(Date.parse(during.outage.since)).toBeGreaterThanOrEqual(downAt);
      expect((await recordRows(stack)).map((row) => [row.outcome, row.hasRefreshToken, row.sessionsEnded])).toEqual(Array(4).fill(['waiting', true, false]));
      for (const user of team) expect((await storedUser(stack.pb, user.email))['groups']).toEqual(['staff']);
      // One warning for the outage, not one per record or per refresh.
      const logs = await stack.pb.logs(/user backend looks down/);
      expect(logs.match(/user backend looks down/g)).toHaveLength(1);
      expect(logs).not.toMatch(/auth-refresh allowed without a check/);

      // Meanwhile dan was removed from Authelia; the backend comes back.
      stack.idp.removeUser('dan');
      stack.idp.setUserBackend('up');
      expect(await runSweep(stack)).toMatchObject({ checked: 4, ended: 1, waiting: 0, failed: 0 });
      expect((await refresh(stack, tokens.get('dan')!)).status).toBe(401); // the sweep ended every session of dan
      expect((await storedUser(stack.pb, 'dan@example.test'))['groups']).toEqual([]);
      for (const name of ['ann', 'ben', 'cat']) {
        const refreshed = await refresh(stack, tokens.get(name)!);
        expect(refreshed.status).toBe(200);
        expect(refreshed.record['groups']).toEqual(['staff']);
      }
      expect((await revalidationStatus(stack)).outage).toBeNull();
      expect(await stack.pb.logs(/answers normally again/)).toMatch(/answers normally again/);
    });
  });

  it('a user backend that fails in the middle of a sweep run removes nobody: a normal answer from before a fallback proves nothing', { timeout: SCENARIO_TIMEOUT }, async () => {
    const team = ['ava', 'bo', 'cy', 'di', 'ed'].map((name) => person(name, ['staff']));
    await withStack(offlineStack(version, team), async (stack) => {
      const tokens = new Map<string, string>();
      for (const user of team) tokens.set(user.username, (await ssoLogin(stack.pb.url, user)).auth.token);
      let userinfos = 0;
      stack.idp.onRequest((request) => {
        if (request.path === '/api/oidc/userinfo' && ++userinfos === 2) stack.idp.setUserBackend('down'); // after one normal answer
      });
      expect(await runSweep(stack)).toMatchObject({ checked: 5, ended: 0, failed: 0 });
      await sleep(1_200);
      for (const user of team) {
        const refreshed = await refresh(stack, tokens.get(user.username)!);
        expect(refreshed.status, user.username).toBe(200);
        expect(refreshed.record['groups']).toEqual(['staff']);
      }
      expect((await revalidationStatus(stack)).outage).toMatchObject({ kind: 'user-backend' });
    });
  });

  it('user backend down at auth-refresh: a due refresh answers 200 with unchanged groups; back up, a removed user is cut off at the next check', { timeout: SCENARIO_TIMEOUT }, async () => {
    const eve = person('eve', ['admins']);
    const fay = person('fay', ['dev']);
    await withStack(offlineStack(version, [eve, fay]), async (stack) => {
      const eveLogin = (await ssoLogin(stack.pb.url, eve)).auth;
      await ssoLogin(stack.pb.url, fay);
      stack.idp.setUserBackend('down');
      stack.idp.removeUser('eve');
      await sleep(1_200);
      const during = await refresh(stack, eveLogin.token);
      expect(during.status).toBe(200);
      expect(during.record['groups']).toEqual(['admins']);

      stack.idp.setUserBackend('up');
      await sleep(1_200);
      const after = await refresh(stack, during.token);
      expect(after.status).toBe(401);
      expect(after.message).toMatch(GONE);
    });
  });

  it('a client calling auth-refresh in a loop during an outage makes Authelia answer one check, not one per call', { timeout: SCENARIO_TIMEOUT }, async () => {
    const trio = ['pia', 'quin', 'rex'].map((name) => person(name, ['staff']));
    await withStack(offlineStack(version, trio, { env: { AUTHELIA_REVALIDATE_AFTER: '4s' } }), async (stack) => {
      const logins = [];
      for (const user of trio) logins.push((await ssoLogin(stack.pb.url, user)).auth);
      const loggedInAt = Date.now();
      stack.idp.setUserBackend('down');
      await until(loggedInAt, 4_500);
      stack.idp.requests.length = 0;
      let token = logins[0]!.token;
      for (let call = 0; call < 6; call++) {
        const refreshed = await refresh(stack, token);
        expect(refreshed.status).toBe(200);
        token = refreshed.token;
      }
      // The first call: pia's own userinfo, then pia's two colleagues (their live access tokens).
      expect(stack.idp.requests.map((request) => `${request.path} ${request.status}`)).toEqual(Array(3).fill('/api/oidc/userinfo 200'));
    });
  });

  it('a lone linked user who is removed loses access at the next check', { timeout: SCENARIO_TIMEOUT }, async () => {
    const gus = person('gus', ['admins']);
    await withStack(offlineStack(version, [gus]), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, gus);
      stack.idp.removeUser('gus');
      await sleep(1_200);
      const refused = await refresh(stack, auth.token);
      expect(refused.status).toBe(401);
      expect(refused.message).toMatch(GONE);
      expect((await storedUser(stack.pb, gus.email))['groups']).toEqual([]);
    });
  });

  it('without offline_access, colleagues whose access tokens expired are nobody to ask: a removed user with a live token is believed', { timeout: SCENARIO_TIMEOUT }, async () => {
    const old = person('old', ['dev']);
    const zed = person('zed', ['admins']);
    // 14 s access tokens are usable for about 4 s (PocketBase's 10 s margin, whole seconds).
    const options: StackOptions = { version, users: [old, zed], idp: { accessTokenTtl: 14 }, env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND } };
    await withStack(options, async (stack) => {
      await ssoLogin(stack.pb.url, old);
      await sleep(4_500); // old's access token counts as expired now (10 s early), and there is no refresh token
      const { auth } = await ssoLogin(stack.pb.url, zed);
      stack.idp.removeUser('zed');
      await sleep(1_100); // zed's token is still live for a moment
      const refused = await refresh(stack, auth.token);
      expect(refused.status).toBe(401);
      expect(refused.message).toMatch(GONE);
    });
  });

  // Storage reset with the user identifiers exported and imported (same subs); a lost one (new subs) is relink.test.ts.
  it('Authelia redeployed on an empty storage with its identifiers imported: nobody loses groups or sessions, and a new sign-in resumes checking', { timeout: SCENARIO_TIMEOUT }, async () => {
    const hal = person('hal', ['admins']);
    const ivy = person('ivy', ['dev']);
    await withStack(offlineStack(version, [hal, ivy]), async (stack) => {
      const halLogin = (await ssoLogin(stack.pb.url, hal)).auth;
      const ivyLogin = (await ssoLogin(stack.pb.url, ivy)).auth;
      stack.idp.resetStorage('kept');
      await sleep(1_200);
      for (const [login, groups] of [[halLogin, ['admins']], [ivyLogin, ['dev']]] as const) {
        const refreshed = await refresh(stack, login.token);
        expect(refreshed.status).toBe(200);
        expect(refreshed.record['groups']).toEqual(groups);
      }
      expect(await runSweep(stack)).toMatchObject({ ended: 0, failed: 0 });
      for (const login of [halLogin, ivyLogin]) expect((await refresh(stack, login.token)).status).toBe(200);

      stack.idp.setUser({ ...hal, groups: ['ops'] });
      const again = (await ssoLogin(stack.pb.url, hal)).auth; // checked at the login itself
      expect(again.record['groups']).toEqual(['ops']);
      stack.idp.setUser({ ...hal, groups: ['ops', 'dev'] });
      await sleep(1_200);
      expect((await refresh(stack, again.token)).record['groups']).toEqual(['dev', 'ops']);
    });
  });

  it('a refresh Authelia performed but answered after the timeout ends no session, at that check or the next', { timeout: SCENARIO_TIMEOUT }, async () => {
    const jay = person('jay', ['admins']);
    const kit = person('kit', ['dev']);
    // 12 s access tokens count as expired after 2 s: every check goes through the refresh grant.
    await withStack(offlineStack(version, [jay, kit], { idp: { accessTokenTtl: 12 } }), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, jay);
      await ssoLogin(stack.pb.url, kit);
      const loggedInAt = Date.now();
      await until(loggedInAt, 2_500);
      stack.idp.setDown('late');
      const lost = await refresh(stack, auth.token); // Authelia rotated the tokens; the answer never arrived
      stack.idp.setDown('up');
      expect(lost.status).toBe(200);
      expect(lost.record['groups']).toEqual(['admins']);
      await sleep(1_200);
      const next = await refresh(stack, lost.token); // the spent refresh token: invalid_grant
      expect(next.status).toBe(200);
      expect(next.record['groups']).toEqual(['admins']);
      expect((await storedUser(stack.pb, jay.email))['groups']).toEqual(['admins']);
      expect((await refresh(stack, next.token)).status).toBe(200);
    });
  });

  it('a sweep run stops at the first record Authelia does not answer instead of waiting on every record', { timeout: SCENARIO_TIMEOUT }, async () => {
    const crew = ['lou', 'mia', 'ned', 'ola'].map((name) => person(name, ['staff']));
    await withStack(offlineStack(version, crew), async (stack) => {
      for (const user of crew) await ssoLogin(stack.pb.url, user);
      stack.idp.setDown('hang');
      const run = await runSweep(stack);
      stack.idp.setDown('up');
      expect(run).toMatchObject({ checked: 1, ended: 0, stoppedEarly: true });
      expect((await revalidationStatus(stack)).outage).toMatchObject({ kind: 'unreachable' });
      expect(await runSweep(stack)).toMatchObject({ checked: 4, ended: 0, stoppedEarly: false });
      expect((await revalidationStatus(stack)).outage).toBeNull();
    });
  });
});

describe.concurrent.each(VERSIONS)('a login during an outage of the user backend on PocketBase %s', (version) => {
  it.each([
    ['without an allowed-groups gate', {}],
    ['with AUTHELIA_ALLOWED_GROUPS', { AUTHELIA_ALLOWED_GROUPS: 'staff' }],
  ] as const)('%s: is refused with 503 and changes nothing (groups, sessions, stored tokens); the next login after recovery works', { timeout: SCENARIO_TIMEOUT }, async (_, env) => {
    const eli = person('eli', ['staff', 'dev']);
    await withStack(offlineStack(version, [eli], { env }), async (stack) => {
      const first = (await ssoLogin(stack.pb.url, eli)).auth;
      // Authelia still knows the browser (its session needs no password), but its user backend is
      // down when PocketBase exchanges the code: userinfo answers without a lookup.
      const during = ssoLogin(stack.pb.url, eli, { beforeExchange: () => stack.idp.setUserBackend('down') });
      await expect(during).rejects.toMatchObject({ status: 503 });
      stack.idp.setUserBackend('up');

      expect((await storedUser(stack.pb, eli.email))['groups']).toEqual(['dev', 'staff']);
      const refreshed = await refresh(stack, first.token);
      expect(refreshed.status).toBe(200);
      expect(refreshed.record['groups']).toEqual(['dev', 'staff']);
      expect((await recordRows(stack))[0]).toMatchObject({ outcome: 'current', hasRefreshToken: true, sessionsEnded: false });
      const logs = await stack.pb.logs(/user backend may be down/);
      expect(logs).toMatch(/login refused for now: Authelia answered userinfo without looking the user up/);

      const after = (await ssoLogin(stack.pb.url, eli)).auth;
      expect(after.record['groups']).toEqual(['dev', 'staff']);
    });
  });

  it('a normal login ends the outage the status reports; records still waiting stay listed', { timeout: SCENARIO_TIMEOUT }, async () => {
    const gus = person('gus', ['staff']);
    const hal = person('hal', ['staff']);
    await withStack(offlineStack(version, [gus, hal]), async (stack) => {
      // gus twice: his second login leaves the fast path's mark, so his login after the outage
      // takes the fast path, which must end the outage too.
      for (const user of [gus, hal, gus]) await ssoLogin(stack.pb.url, user);
      stack.idp.setUserBackend('down');
      await runSweep(stack);
      expect((await revalidationStatus(stack)).outage).toMatchObject({ kind: 'user-backend', since: expect.any(String), waitingRecords: 2 });
      stack.idp.setUserBackend('up');
      await ssoLogin(stack.pb.url, gus);
      // The outage is over; hal's record still waits for its check (first in the next sweep run).
      expect((await revalidationStatus(stack)).outage).toEqual({ kind: 'user-backend', since: null, waitingRecords: 1 });
      expect(await stack.pb.logs(/answers normally again/)).toMatch(/Authelia answers normally again/);
    });
  });

  it('a new user is not created from an answer without a lookup', { timeout: SCENARIO_TIMEOUT }, async () => {
    const fin = person('fin', ['staff']);
    await withStack(offlineStack(version, [fin]), async (stack) => {
      const during = ssoLogin(stack.pb.url, fin, { beforeExchange: () => stack.idp.setUserBackend('down') });
      await expect(during).rejects.toMatchObject({ status: 503 });
      const superuser = await stack.pb.superuser();
      expect((await superuser.collection('users').getList(1, 1)).totalItems).toBe(0);
    });
  });
});
