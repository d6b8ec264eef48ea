// Revalidation after the login, end to end: a real PocketBase with the built hooks and
// the Authelia-like IdP (rotating refresh tokens, lifespans, removed and disabled users, outages).
// These cases wait for token expiry, AUTHELIA_MAX_SESSION and a one-minute cron, so every scenario
// runs on its own stack and all of them run at once: the file takes about as long as its slowest
// scenario (the sweep), not the sum.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TIMED_VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { afterLogin, EXPIRED, GONE, person, refresh, sleep, until, withStack, WITH_OFFLINE_ACCESS } from '../../support/revalidation.js';
import { CLIENT_SECRET, ssoLogin, startStack, storedUser, type StackOptions } from '../../support/stack.js';

const SCENARIO_TIMEOUT = 150_000;

describe.concurrent.each(TIMED_VERSIONS)('revalidation after the login on PocketBase %s', (version) => {
  it('picks a group change up at auth-refresh after AUTHELIA_REVALIDATE_AFTER, and sends nothing to Authelia before', { timeout: SCENARIO_TIMEOUT }, async () => {
    const erin = person('erin', ['dev']);
    await withStack({ version, users: [erin], env: { AUTHELIA_REVALIDATE_AFTER: '4s', AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, erin);
      const loggedInAt = Date.now();
      const idp = afterLogin(stack);
      stack.idp.setUser({ ...erin, groups: ['ops'] });

      const early = await refresh(stack, auth.token);
      expect(early.status).toBe(200);
      expect(early.record['groups']).toEqual(['dev']);
      expect(idp.calls()).toEqual([]);

      await until(loggedInAt, 4_500);
      const due = await refresh(stack, early.token);
      expect(due.status).toBe(200);
      expect(due.record['groups']).toEqual(['ops']);
      expect(idp.calls()).toEqual(['GET /api/oidc/userinfo 200']);
      expect((await storedUser(stack.pb, erin.email))['groups']).toEqual(['ops']);

      // Checked just now: the next refresh is free again.
      expect((await refresh(stack, due.token)).status).toBe(200);
      expect(idp.calls()).toHaveLength(1);
    });
  });

  it.each(['4.39', '4.38'] as const)('cuts removed and disabled users off at auth-refresh while Authelia %s answers a colleague normally: groups cleared, every session ended', { timeout: SCENARIO_TIMEOUT }, async (autheliaVersion) => {
    const frank = person('frank', ['admins']);
    const gina = person('gina', ['admins']);
    const hank = person('hank', ['dev']); // still in Authelia: the proof that its user backend works
    await withStack({ version, users: [frank, gina, hank], idp: { autheliaVersion }, env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      const frankLogin = (await ssoLogin(stack.pb.url, frank)).auth;
      const ginaLogin = (await ssoLogin(stack.pb.url, gina)).auth;
      await ssoLogin(stack.pb.url, hank);
      const loggedInAt = Date.now();
      stack.idp.removeUser('frank');
      stack.idp.setUser({ ...gina, disabled: true });
      await until(loggedInAt, 1_500);

      for (const [login, email] of [[frankLogin, frank.email], [ginaLogin, gina.email]] as const) {
        const refused = await refresh(stack, login.token);
        expect(refused.status).toBe(401);
        expect(refused.message).toMatch(GONE);
        const stored = await storedUser(stack.pb, email);
        expect(stored['groups']).toEqual([]);
        expect(stored['memberOf']).toEqual([]);
        // The token key changed: the old token is worth nothing, not even for the record itself.
        const view = await fetch(`${stack.pb.url}/api/collections/users/records/${login.record.id}`, { headers: { authorization: login.token } });
        expect(view.status).toBe(404);
        expect((await refresh(stack, login.token)).status).toBe(401);
      }
    });
  });

  it('a client that asks Authelia to put groups in the ID token (claims parameter) cannot keep a removed user\'s groups: the fallback then repeats them, and is still no lookup', { timeout: SCENARIO_TIMEOUT }, async () => {
    const ivy = person('ivy', ['admins']);
    const jon = person('jon', ['dev']); // still in Authelia: the proof that its user backend works
    const claims = JSON.stringify({ id_token: { groups: { essential: true } } });
    await withStack({ version, users: [ivy, jon], env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      const ivyLogin = (await ssoLogin(stack.pb.url, ivy, { authParams: { claims } })).auth;
      await ssoLogin(stack.pb.url, jon);
      const loggedInAt = Date.now();
      stack.idp.removeUser('ivy');
      await until(loggedInAt, 1_500);
      const refused = await refresh(stack, ivyLogin.token);
      expect(refused.status).toBe(401);
      expect(refused.message).toMatch(GONE);
      expect((await storedUser(stack.pb, ivy.email))['groups']).toEqual([]);
    });
  });

  it('has the one-minute sweep cut off removed and disabled users who never refresh, and bring changed groups up to date', { timeout: SCENARIO_TIMEOUT }, async () => {
    const hal = person('hal', ['admins']);
    const ivy = person('ivy', ['admins']);
    const jon = person('jon', ['dev']);
    const kim = person('kim', ['dev']);
    const env = { AUTHELIA_SWEEP: '* * * * *', AUTHELIA_REVALIDATE_AFTER: 'off' };
    await withStack({ version, users: [hal, ivy, jon, kim], env }, async (stack) => {
      const logins = [];
      for (const user of [hal, ivy, jon, kim]) logins.push((await ssoLogin(stack.pb.url, user)).auth);
      stack.idp.removeUser('hal');
      stack.idp.setUser({ ...ivy, disabled: true });
      stack.idp.setUser({ ...jon, groups: ['dev', 'ops'] });
      const changedAt = Date.now();

      const superuser = await stack.pb.superuser();
      let sweep: { at: string; checked: number; updated: number; ended: number; undecided: number } | null = null;
      while (!(sweep && Date.parse(sweep.at) >= changedAt)) {
        await sleep(1_000);
        sweep = (await superuser.send('/api/authelia/status', {})).revalidation.lastSweep;
      }
      expect(sweep).toMatchObject({ checked: 4, updated: 1, ended: 2, undecided: 0, waiting: 0, failed: 0, stoppedEarly: false });

      const [halLogin, ivyLogin, jonLogin, kimLogin] = logins;
      for (const login of [halLogin!, ivyLogin!]) {
        expect((await storedUser(stack.pb, String(login.record['email'])))['groups']).toEqual([]);
        expect((await refresh(stack, login.token)).status).toBe(401);
      }
      // AUTHELIA_REVALIDATE_AFTER is off: the refresh asks nobody and shows what the sweep stored.
      expect((await refresh(stack, jonLogin!.token)).record['groups']).toEqual(['dev', 'ops']);
      expect((await refresh(stack, kimLogin!.token)).record['groups']).toEqual(['dev']);

      const status = await superuser.send('/api/authelia/status', {});
      expect(status.revalidation).toMatchObject({ revalidateAfter: 'off', sweep: '* * * * *', outcomes: { current: 2, gone: 2 } });
      expect(await stack.pb.logs(/sweep: checked/)).toMatch(/authelia: sweep: checked 4, updated 1, ended 2, undecided 0 \(waiting 0\), failed 0/);
    });
  });

  it('renews an expired access token through the refresh token twice in a row, and concurrent refreshes never make Authelia revoke the grant', { timeout: SCENARIO_TIMEOUT }, async () => {
    const lea = person('lea', ['dev']);
    const options: StackOptions = {
      version,
      users: [lea],
      idp: { offlineAccess: true, accessTokenTtl: 12 },
      env: { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' },
    };
    await withStack(options, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, lea);
      expect(stack.idp.issuedTokens).toHaveLength(2); // Authelia granted offline_access: access + refresh token
      // Kept server-side: PocketBase would copy them into the response's meta.
      expect(auth.meta?.['refreshToken'] ?? '').toBe('');
      expect(auth.meta?.['accessToken'] ?? '').toBe('');
      let start = Date.now();
      const idp = afterLogin(stack);

      // A 12 s access token counts as expired 10 s early, like PocketBase's own OAuth2 client.
      let token = auth.token;
      for (const groups of [['dev', 'ops'], ['ops']]) {
        stack.idp.setUser({ ...lea, groups });
        await until(start, 2_500);
        start = Date.now();
        const renewed = await refresh(stack, token);
        expect(renewed.status).toBe(200);
        expect(renewed.record['groups']).toEqual(groups);
        token = renewed.token;
      }
      expect(idp.calls()).toEqual([
        'POST /api/oidc/token refresh_token 200', 'GET /api/oidc/userinfo 200',
        'POST /api/oidc/token refresh_token 200', 'GET /api/oidc/userinfo 200',
      ]);

      // Eight refreshes of one user at once: one check runs, the others answer without one.
      await until(start, 2_500);
      stack.idp.requests.length = 0;
      const burst = await Promise.all(Array.from({ length: 8 }, () => refresh(stack, token)));
      expect(burst.map((answer) => answer.status)).toEqual(Array(8).fill(200));
      const grants = idp.calls().filter((call) => call.includes('refresh_token'));
      expect(grants).toEqual(['POST /api/oidc/token refresh_token 200']);
      // The grant is alive: the next renewal works (a reused refresh token would have revoked it).
      start = Date.now();
      await until(start, 2_500);
      stack.idp.requests.length = 0;
      stack.idp.setUser({ ...lea, groups: ['dev'] });
      const after = await refresh(stack, burst[0]!.token);
      expect(after.status).toBe(200);
      expect(after.record['groups']).toEqual(['dev']);
      expect(idp.calls()).toEqual(['POST /api/oidc/token refresh_token 200', 'GET /api/oidc/userinfo 200']);
    });
  });

  it('answers 401 without a refresh token once AUTHELIA_MAX_SESSION has passed, and a new login works', { timeout: SCENARIO_TIMEOUT }, async () => {
    const max = person('max', ['dev']);
    const options: StackOptions = {
      version,
      users: [max],
      idp: { accessTokenTtl: 12 },
      env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_MAX_SESSION: '6s', AUTHELIA_SWEEP: 'off' },
    };
    await withStack(options, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, max);
      const loggedInAt = Date.now();
      await until(loggedInAt, 2_500); // the access token is unusable, and there is no refresh token
      const within = await refresh(stack, auth.token);
      expect(within.status).toBe(200);
      expect(within.record['groups']).toEqual(['dev']);

      await until(loggedInAt, 6_500);
      const past = await refresh(stack, within.token);
      expect(past.status).toBe(401);
      expect(past.message).toMatch(EXPIRED);
      expect((await refresh(stack, auth.token)).status).toBe(401);
      // Authelia never said the user lost anything: the groups stay.
      expect((await storedUser(stack.pb, max.email))['groups']).toEqual(['dev']);

      const again = await ssoLogin(stack.pb.url, max);
      const renewed = await refresh(stack, again.auth.token);
      expect(renewed.status).toBe(200);
      expect(renewed.record['groups']).toEqual(['dev']);
    });
  });

  it('keeps sessions going while Authelia is down or hangs, changes nothing, and stops at AUTHELIA_MAX_SESSION', { timeout: SCENARIO_TIMEOUT }, async () => {
    const nia = person('nia', ['admins']);
    const options: StackOptions = { version, users: [nia], env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_MAX_SESSION: '12s', AUTHELIA_SWEEP: 'off' } };
    await withStack(options, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, nia);
      const loggedInAt = Date.now();
      const before = await storedUser(stack.pb, nia.email);
      stack.idp.removeUser('nia'); // would be cut off, could Authelia be asked

      stack.idp.setDown('hang'); // the check times out
      await until(loggedInAt, 1_500);
      const hung = await refresh(stack, auth.token);
      expect(hung.status).toBe(200);
      expect(hung.record['groups']).toEqual(['admins']);

      stack.idp.setDown('unavailable'); // 503
      const unavailable = await refresh(stack, hung.token);
      expect(unavailable.status).toBe(200);
      const during = await storedUser(stack.pb, nia.email);
      expect(during['groups']).toEqual(['admins']);
      expect(during['updated']).toBe(before['updated']);

      await until(loggedInAt, 12_500);
      const past = await refresh(stack, unavailable.token);
      expect(past.status).toBe(401);
      expect(past.message).toMatch(EXPIRED);
      expect((await storedUser(stack.pb, nia.email))['groups']).toEqual(['admins']);
    });
  });

  it('a configuration slip does not lift the bound: past AUTHELIA_MAX_SESSION refreshes get 401 and the sweep ends idle sessions', { timeout: SCENARIO_TIMEOUT }, async () => {
    const ada = person('ada', ['admins']);
    const ida = person('ida', ['admins']);
    const stack = await startStack({ version, users: [ada, ida], env: { AUTHELIA_SWEEP: 'off' } });
    let pb = stack.pb;
    try {
      const first = await ssoLogin(pb.url, ada);
      const idle = await ssoLogin(pb.url, ida);
      const checkedAt = Date.now();
      // Any typo: Authelia login is off and nobody can ask Authelia.
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_PKCE: 'maybe', AUTHELIA_MAX_SESSION: '4s' });
      const asPb = { ...stack, pb };
      expect((await refresh(asPb, first.auth.token)).status).toBe(200); // within the bound
      await until(checkedAt, 4_500);
      const late = await refresh(asPb, first.auth.token);
      expect(late.status).toBe(401);
      expect(late.message).toMatch(EXPIRED);

      // An idle session (never refreshed) passes rules until the sweep runs (started here by hand, as
      // PocketBase's cron would); then its token authenticates nothing: the record hides from a guest.
      const ownRecord = () => fetch(`${pb.url}/api/collections/users/records/${idle.auth.record.id}`, { headers: { authorization: idle.auth.token } });
      expect((await ownRecord()).status).toBe(200);
      const superuser = await pb.superuser();
      await superuser.send('/api/crons/authelia-sweep', { method: 'POST' }); // PocketBase runs it in the background
      let status = 200;
      for (let attempt = 0; attempt < 50 && status === 200; attempt++) {
        await sleep(100);
        status = (await ownRecord()).status;
      }
      expect(status).toBe(404);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('keeps the Authelia tokens where no API reaches them, superuser included, encrypted, and never logs them', { timeout: SCENARIO_TIMEOUT }, async () => {
    const oto = person('oto', ['dev']);
    const options: StackOptions = {
      version,
      users: [oto],
      idp: { offlineAccess: true },
      env: { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' },
    };
    await withStack(options, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, oto);
      const secrets = [...stack.idp.issuedTokens];
      expect(secrets).toHaveLength(2);
      expect(secrets.every((token) => token.length > 20)).toBe(true);
      expect(JSON.stringify(auth)).not.toContain(secrets[0]);
      expect(JSON.stringify(auth)).not.toContain(secrets[1]);

      // At rest: not in the database files in the clear.
      const pbData = join(stack.pb.dataDir, 'pb_data');
      for (const file of ['data.db', 'data.db-wal']) {
        const bytes = await readFile(join(pbData, file)).catch(() => Buffer.alloc(0));
        for (const token of secrets) expect(bytes.includes(token), `${file} holds a token in the clear`).toBe(false);
      }

      const superuser = await stack.pb.superuser();
      const collections = await superuser.collections.getFullList();
      expect(collections.map((collection) => collection.name)).not.toContain('_authelia_tokens');
      for (const path of ['/api/collections/_authelia_tokens/records', '/api/collections/_authelia_tokens']) {
        await expect(superuser.send(path, {})).rejects.toMatchObject({ status: 404 });
      }

      await sleep(1_200);
      expect((await refresh(stack, auth.token)).status).toBe(200); // a check ran with the stored tokens
      const answers = JSON.stringify([
        await superuser.send('/api/authelia/status', {}),
        await superuser.send('/api/authelia/status/records', {}),
        await superuser.collection('users').getFullList(),
      ]);
      const records = (await superuser.send('/api/authelia/status/records', {})).items;
      const asUser = await fetch(`${stack.pb.url}/api/authelia/status/records`, { headers: { authorization: auth.token } });
      expect(asUser.status).toBe(403);
      expect(records).toEqual([expect.objectContaining({ recordId: auth.record.id, outcome: 'current', hasRefreshToken: true, sessionsEnded: false })]);
      const logs = await stack.pb.logs();
      for (const token of secrets) {
        expect(answers).not.toContain(token);
        expect(logs).not.toContain(token);
        expect(stack.pb.output()).not.toContain(token);
      }
    });
  });

  it('treats stored tokens it can no longer decrypt (AUTHELIA_TOKEN_KEY changed) as "cannot tell", and drops them', { timeout: SCENARIO_TIMEOUT }, async () => {
    const pat = person('pat', ['dev']);
    const options: StackOptions = {
      version,
      users: [pat],
      idp: { offlineAccess: true },
      env: { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' },
    };
    await withStack(options, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, pat);
      // The same data and port (the IdP knows the redirect URI), another key for the stored tokens.
      const restarted = await stack.pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...options.env, AUTHELIA_TOKEN_KEY: 'k'.repeat(32) });
      try {
        stack.idp.setUser({ ...pat, groups: ['ops'] });
        stack.idp.requests.length = 0;
        await sleep(1_200);
        const refreshed = await refresh(stack, auth.token);
        expect(refreshed.status).toBe(200);
        expect(refreshed.record['groups']).toEqual(['dev']); // nothing could be asked, nothing changed
        expect(stack.idp.requests).toEqual([]);
        const superuser = await restarted.superuser();
        const records = (await superuser.send('/api/authelia/status/records', {})).items;
        expect(records).toEqual([expect.objectContaining({ recordId: auth.record.id, outcome: 'undecided', hasRefreshToken: false })]);
        expect(await restarted.logs(/cannot be decrypted/)).toMatch(/auth-refresh allowed without a check.*cannot be decrypted/);
      } finally {
        await restarted.stop();
      }
    });
  });
});
