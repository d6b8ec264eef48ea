// Sign-out that reaches Authelia, end to end: a real PocketBase with the built hooks and the
// Authelia-like IdP, whose revocation endpoint has Authelia's semantics (its own client
// authentication, Basic by default; revoking a token revokes the grant).
import { describe, expect, it } from 'vitest';
import { NEWEST, TIMED_VERSIONS, VERSIONS } from '../../../testkit/pocketbase-versions.js';
import type { Stack } from '../../support/stack.js';
import { CLIENT_ID, CLIENT_SECRET, ssoLogin, storedUser, type IdpVariant, type StackOptions } from '../../support/stack.js';
import { person, refresh, sleep, until, withStack, WITH_OFFLINE_ACCESS } from '../../support/revalidation.js';
import { membersFeed } from '../../support/sse.js';

const TIMEOUT = 120_000;

function offline(version: string, users: StackOptions['users'], idp: IdpVariant = {}, env: Record<string, string> = {}): StackOptions {
  return { version, users, idp: { offlineAccess: true, ...idp }, env: { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_SWEEP: 'off', ...env } };
}

async function signOut(stack: Stack, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.pb.url}/api/authelia/sign-out`, { method: 'POST', headers: { authorization: token } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Whether Authelia still honours a token (introspection, with Basic like Authelia's default). */
async function active(stack: Stack, token: string): Promise<boolean> {
  const response = await fetch(`${stack.idp.issuer}/api/oidc/introspection`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  return ((await response.json()) as { active?: boolean }).active === true;
}

/** The tokens Authelia still honours once the revocation job has had up to about 10 s to leave at most one. */
async function activeOnceRevoked(stack: Stack, tokens: readonly string[]): Promise<string[]> {
  let stillActive: string[] = [];
  for (let attempt = 0; attempt < 100; attempt++) {
    stillActive = [];
    for (const token of tokens) if (await active(stack, token)) stillActive.push(token);
    if (stillActive.length <= 1) break;
    await sleep(100);
  }
  return stillActive;
}

/** The refresh token Authelia issued at the n-th token answer (the IdP logs access and refresh tokens in pairs). */
const refreshTokenOf = (stack: Stack, login: number) => stack.idp.issuedTokens[login * 2 + 1]!;

async function ownRecord(stack: Stack, id: string, token: string): Promise<number> {
  return (await fetch(`${stack.pb.url}/api/collections/users/records/${id}`, { headers: { authorization: token } })).status;
}

async function status(stack: Stack): Promise<Record<string, any>> {
  return (await stack.pb.superuser()).send('/api/authelia/status', {});
}

describe.each(VERSIONS)('sign-out on PocketBase %s', (version) => {
  it("ends every session of the record on every device, revokes the Authelia grant, and answers Authelia's sign-out page", { timeout: TIMEOUT }, async () => {
    const amy = person('amy', ['admins']);
    await withStack(offline(version, [amy]), async (stack) => {
      const laptop = (await ssoLogin(stack.pb.url, amy)).auth;
      const phone = (await ssoLogin(stack.pb.url, amy)).auth;
      const kept = refreshTokenOf(stack, 1); // the second login's grant is the one kept for checks
      expect(await active(stack, kept)).toBe(true);
      const superuser = await stack.pb.superuser();
      const feed = await membersFeed(stack.pb.url, superuser, laptop.token);
      try {
        const answer = await signOut(stack, phone.token);
        expect(answer).toEqual({ status: 200, body: { autheliaSignOutURL: `${stack.idp.issuer}/logout` } });
        for (const token of [laptop.token, phone.token]) {
          expect((await refresh(stack, token)).status).toBe(401);
          expect(await ownRecord(stack, laptop.record.id, token)).toBe(404); // a guest to API rules
        }
        expect(await active(stack, kept)).toBe(false);
        expect(await feed.membersSeenAfterwards()).toEqual([]); // the laptop's open realtime connection is signed in no more
      } finally {
        feed.close();
      }
      expect((await storedUser(stack.pb, amy.email))['groups']).toEqual(['admins']); // signing out takes no group away
      expect((await status(stack)).signOut).toMatchObject({ signOuts: 1, revocationsDone: 1, revocationsFailed: 0 });
      const again = (await ssoLogin(stack.pb.url, amy)).auth;
      expect((await refresh(stack, again.token)).status).toBe(200);
    });
  });

  it('a local account gets its PocketBase sessions ended and no Authelia page; a guest gets 401', { timeout: TIMEOUT }, async () => {
    await withStack(offline(version, []), async (stack) => {
      const superuser = await stack.pb.superuser();
      await superuser.collection('users').create({ email: 'local@example.test', password: 'local-password-1', passwordConfirm: 'local-password-1' });
      const login = await fetch(`${stack.pb.url}/api/collections/users/auth-with-password`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: 'local@example.test', password: 'local-password-1' }),
      });
      const { token } = (await login.json()) as { token: string };
      expect(await signOut(stack, token)).toEqual({ status: 200, body: { autheliaSignOutURL: null } });
      expect((await refresh(stack, token)).status).toBe(401);
      expect((await fetch(`${stack.pb.url}/api/authelia/sign-out`, { method: 'POST' })).status).toBe(401);
    });
  });

  it('ends the PocketBase sessions while Authelia is down, and revokes the grant once it is back', { timeout: TIMEOUT }, async () => {
    const ben = person('ben', ['dev']);
    await withStack(offline(version, [ben]), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, ben);
      const kept = refreshTokenOf(stack, 0);
      stack.idp.setDown('unavailable');
      expect((await signOut(stack, auth.token)).status).toBe(200);
      expect((await refresh(stack, auth.token)).status).toBe(401);
      const during = (await status(stack)).signOut;
      expect(during.revocationsFailed).toBeGreaterThanOrEqual(1); // the minute's job may have tried again meanwhile
      expect(during).toMatchObject({ revocationsDone: 0, revocationsQueued: 1 });

      stack.idp.setDown('up');
      await (await stack.pb.superuser()).send('/api/crons/authelia-revocations', { method: 'POST' }); // as the minute's cron would
      for (let attempt = 0; attempt < 50 && (await active(stack, kept)); attempt++) await sleep(100);
      expect(await active(stack, kept)).toBe(false);
      expect((await status(stack)).signOut).toMatchObject({ revocationsDone: 1, revocationsQueued: 0 });
    });
  });

  it('one run of the revocation job catches up with more logins than one batch of 50', { timeout: TIMEOUT }, async () => {
    const eve = person('eve', ['dev']);
    await withStack(offline(version, [eve]), async (stack) => {
      const logins = 171; // each login after the first queues the grant it replaces: more than three batches
      for (let i = 0; i < logins; i++) await ssoLogin(stack.pb.url, eve);
      const superuser = await stack.pb.superuser();
      await superuser.send('/api/crons/authelia-revocations', { method: 'POST' }); // PocketBase runs it in the background
      let counts: Record<string, number> = {};
      for (let attempt = 0; attempt < 100; attempt++) {
        counts = (await status(stack)).signOut;
        // Taken off the queue is not yet answered: wait until every grant is accounted for.
        if ((counts['revocationsDone'] ?? 0) + (counts['revocationsFailed'] ?? 0) >= logins - 1) break;
        await sleep(100);
      }
      // The minute's own run may have taken a batch meanwhile; ours must take the rest.
      expect(counts).toMatchObject({ revocationsQueued: 0, revocationsDone: logins - 1, revocationsFailed: 0, urgentRevocationsGivenUp: 0, routineRevocationsGivenUp: 0 });
      for (let login = 0; login < logins - 1; login++) expect(await active(stack, refreshTokenOf(stack, login))).toBe(false);
      expect(await active(stack, refreshTokenOf(stack, logins - 1))).toBe(true); // the kept grant
    });
  });

  it('with the default scopes (no refresh token) a new sign-in sends Authelia nothing: the replaced access token is held by nobody and runs out by itself', { timeout: TIMEOUT }, async () => {
    const gil = person('gil', ['dev']);
    await withStack({ version, users: [gil], env: { AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      for (let i = 0; i < 3; i++) await ssoLogin(stack.pb.url, gil);
      const revocations: string[] = [];
      stack.idp.onRequest((request) => { if (request.path.endsWith('/revocation')) revocations.push(request.path); });
      await (await stack.pb.superuser()).send('/api/crons/authelia-revocations', { method: 'POST' });
      await sleep(500);
      expect(revocations).toEqual([]);
      expect((await status(stack)).signOut).toMatchObject({ revocationsQueued: 0, revocationsDone: 0 });
      expect(stack.idp.issuedTokens.length).toBe(3); // three access tokens, no refresh token
    });
  });

  it('with the default scopes, a grant a client widened to offline_access itself is still revoked once a later sign-in replaces it, and only that one', { timeout: TIMEOUT }, async () => {
    const hal = person('hal', ['dev']);
    await withStack({ version, users: [hal], idp: { offlineAccess: true }, env: { AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      await ssoLogin(stack.pb.url, hal); // access token only
      await ssoLogin(stack.pb.url, hal, { scopes: WITH_OFFLINE_ACCESS }); // the client asks for a refresh token
      await ssoLogin(stack.pb.url, hal); // replaces the grant with the refresh token
      await ssoLogin(stack.pb.url, hal); // replaces a grant without one
      const widened = stack.idp.issuedTokens[2]!; // access, then access + refresh
      expect(await active(stack, widened)).toBe(true);
      await (await stack.pb.superuser()).send('/api/crons/authelia-revocations', { method: 'POST' });
      for (let attempt = 0; attempt < 50 && (await active(stack, widened)); attempt++) await sleep(100);
      expect(await active(stack, widened)).toBe(false);
      expect((await status(stack)).signOut).toMatchObject({ revocationsQueued: 0, revocationsDone: 1, revocationsFailed: 0 });
    });
  });

  it('the superuser kill switch signs any record out; nobody else may use it; the log names the superuser', { timeout: TIMEOUT }, async () => {
    const cy = person('cy', ['admins']);
    const di = person('di', ['dev']);
    await withStack(offline(version, [cy, di], {}, { AUTHELIA_SIGN_OUT_REDIRECT: 'https://app.example.test/bye' }), async (stack) => {
      const victim = (await ssoLogin(stack.pb.url, cy)).auth;
      const other = (await ssoLogin(stack.pb.url, di)).auth;
      const path = `${stack.pb.url}/api/authelia/records/users/${victim.record.id}/sign-out`;
      expect((await fetch(path, { method: 'POST' })).status).toBe(401);
      expect([401, 403]).toContain((await fetch(path, { method: 'POST', headers: { authorization: other.token } })).status);
      expect((await refresh(stack, victim.token)).status).toBe(200); // refused calls changed nothing

      const superuser = await stack.pb.superuser();
      const answer = await superuser.send(`/api/authelia/records/users/${victim.record.id}/sign-out`, { method: 'POST' });
      expect(answer).toEqual({ autheliaSignOutURL: `${stack.idp.issuer}/logout?rd=${encodeURIComponent('https://app.example.test/bye')}` });
      expect((await refresh(stack, victim.token)).status).toBe(401);
      expect((await refresh(stack, other.token)).status).toBe(200);
      await expect(superuser.send('/api/authelia/records/users/nosuchrecord1234/sign-out', { method: 'POST' })).rejects.toMatchObject({ status: 404 });
      const logs = await stack.pb.logs(/a superuser signed a record out/);
      expect(logs).toMatch(new RegExp(`a superuser signed a record out.*"superuser":"${superuser.authStore.record?.id}"`));
      expect(logs).toContain(String(superuser.authStore.record?.['email']));
    });
  });

  it.each<[string, IdpVariant]>([
    ['a Basic-only revocation endpoint while the token endpoint takes client_secret_post', { tokenEndpointAuthMethod: 'client_secret_post' }],
    ['a post-only revocation endpoint', { revocationEndpointAuthMethod: 'client_secret_post' }],
  ])('revokes at %s', { timeout: TIMEOUT }, async (_label, idp) => {
    const eli = person('eli', ['dev']);
    await withStack(offline(version, [eli], idp), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, eli);
      const kept = refreshTokenOf(stack, 0);
      expect((await signOut(stack, auth.token)).status).toBe(200);
      expect(await active(stack, kept)).toBe(false);
    });
  });
});

describe.each(TIMED_VERSIONS)('no Authelia token left behind on PocketBase %s', (version) => {
  it('a sign-in after a sign-out writes a successful check to the table: outcome current, sessions reopened, the bound restarted', { timeout: TIMEOUT }, async () => {
    const ida = person('ida', ['dev']);
    await withStack({ version, users: [ida], env: { AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      const first = (await ssoLogin(stack.pb.url, ida)).auth;
      expect((await signOut(stack, first.token)).status).toBe(200);
      const superuser = await stack.pb.superuser();
      const rows = async () => (await superuser.send('/api/authelia/status/records', {})).items as Array<Record<string, unknown>>;
      expect(await rows()).toEqual([expect.objectContaining({ recordId: first.record.id, outcome: 'signed-out', sessionsEnded: true })]);
      await sleep(1_100); // the first sign-in's check lies more than a second before this one
      const before = new Date().toISOString();
      await ssoLogin(stack.pb.url, ida);
      const [row] = await rows();
      // Read from the table, not from the process's memory of the last check (which a restart forgets).
      expect(row).toMatchObject({ recordId: first.record.id, outcome: 'current', sessionsEnded: false, hasRefreshToken: false });
      expect(String(row!['lastSuccessfulCheck']) >= before).toBe(true);
      expect(String(row!['lastAttempt']) >= before).toBe(true);
    });
  });

  it('a check that Authelia answers after a sign-out cannot bring the ended sessions back, even when it brings new groups', { timeout: TIMEOUT }, async () => {
    const kim = person('kim', ['dev']);
    await withStack({ version, users: [kim], env: { AUTHELIA_SWEEP: 'off', AUTHELIA_REVALIDATE_AFTER: '1s' } }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, kim);
      await sleep(1_200);
      stack.idp.setUser({ ...kim, groups: ['dev', 'ops'] }); // a change the check saves
      let signedOut: Promise<{ status: number }> | undefined;
      stack.idp.onRequest((request) => {
        // The check's userinfo: Authelia looks the user up now and answers 2 s later. The user signs out meanwhile.
        if (signedOut || !request.path.endsWith('/userinfo')) return;
        signedOut = new Promise((done) => setTimeout(done, 50))
          .then(() => stack.idp.setDown('up'))
          .then(() => signOut(stack, auth.token));
      });
      stack.idp.setDown('late', 2_000);
      await refresh(stack, auth.token);
      expect((await signedOut!).status).toBe(200);
      expect((await refresh(stack, auth.token)).status).toBe(401);
      expect(await ownRecord(stack, auth.record.id, auth.token)).toBe(404);
    });
  });

  it('sign-ins of one user that race each other: every grant but the one kept is revoked', { timeout: TIMEOUT }, async () => {
    const jon = person('jon', ['dev']);
    await withStack(offline(version, [jon]), async (stack) => {
      await ssoLogin(stack.pb.url, jon);
      const racing = 8;
      let arrived = 0;
      let go!: () => void;
      const allThere = new Promise<void>((done) => (go = done));
      // Every code exchange waits until all have their code, then all go at once.
      const barrier = async () => { if (++arrived === racing) go(); await allThere; };
      await Promise.all(Array.from({ length: racing }, () => ssoLogin(stack.pb.url, jon, { beforeExchange: barrier })));
      await (await stack.pb.superuser()).send('/api/crons/authelia-revocations', { method: 'POST' });
      const refreshTokens = Array.from({ length: racing + 1 }, (_, login) => refreshTokenOf(stack, login));
      const stillActive = await activeOnceRevoked(stack, refreshTokens);
      // The grant in the table, and no other.
      expect({ stillActive: stillActive.length, counts: (await status(stack)).signOut }).toMatchObject({ stillActive: 1, counts: { revocationsDone: racing, revocationsFailed: 0 } });
    });
  });

  it('a sign-in that lands while a check waits for its refresh keeps its grant, and the late rotation is revoked instead of stored over it', { timeout: TIMEOUT }, async () => {
    const lea = person('lea', ['dev']);
    // 12 s access tokens count as expired after 2 s: the check goes through the refresh grant.
    await withStack(offline(version, [lea], { accessTokenTtl: 12 }, { AUTHELIA_REVALIDATE_AFTER: '1s' }), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, lea);
      await sleep(2_500);
      let signInRefreshToken: Promise<string> | undefined;
      let signedInAt = Number.POSITIVE_INFINITY;
      stack.idp.onRequest((request) => {
        // The check's refresh: Authelia rotates at once and answers 2 s later. The user signs in meanwhile.
        if (signInRefreshToken || !request.path.endsWith('/token')) return;
        // Back up once this request has been held (the IdP looks at its mode right after telling us).
        signInRefreshToken = new Promise((done) => setTimeout(done, 50))
          .then(() => stack.idp.setDown('up'))
          .then(() => ssoLogin(stack.pb.url, lea))
          .then(() => ((signedInAt = Date.now()), stack.idp.issuedTokens.at(-1)!));
      });
      stack.idp.setDown('late', 2_000);
      expect((await refresh(stack, auth.token)).status).toBe(200);
      const checkAnsweredAt = Date.now();
      const kept = await signInRefreshToken!;
      expect(signedInAt).toBeLessThan(checkAnsweredAt); // the sign-in landed while the check waited
      await (await stack.pb.superuser()).send('/api/crons/authelia-revocations', { method: 'POST' });
      const refreshTokens = stack.idp.issuedTokens.filter((_, index) => index % 2 === 1);
      const stillActive = await activeOnceRevoked(stack, refreshTokens);
      expect(stillActive).toEqual([kept]);
      // The table holds that grant: the next check (every access token expired by then) refreshes with it.
      await until(checkAnsweredAt, 2_500);
      expect((await refresh(stack, auth.token)).status).toBe(200);
      const refreshes = stack.idp.requests.filter((request) => request.grant_type === 'refresh_token');
      expect(refreshes.map((request) => request.status)).toEqual([200, 200]);
    });
  });

  it("a new sign-in revokes the previous grant, and a removed user's grant is revoked, by the revocation job", { timeout: TIMEOUT }, async () => {
    const fox = person('fox', ['dev']);
    await withStack(offline(version, [fox], {}, { AUTHELIA_REVALIDATE_AFTER: '1s' }), async (stack) => {
      const first = (await ssoLogin(stack.pb.url, fox)).auth;
      await ssoLogin(stack.pb.url, fox);
      const [previous, current] = [refreshTokenOf(stack, 0), refreshTokenOf(stack, 1)];
      stack.idp.removeUser('fox');
      await sleep(1_200);
      expect((await refresh(stack, first.token)).status).toBe(401); // a lone user: believed, access taken away
      // Queued (the login and the 401 did not wait on Authelia); the job runs every minute, here now.
      await (await stack.pb.superuser()).send('/api/crons/authelia-revocations', { method: 'POST' });
      for (let attempt = 0; attempt < 50 && ((await active(stack, previous)) || (await active(stack, current))); attempt++) await sleep(100);
      expect(await active(stack, previous)).toBe(false);
      expect(await active(stack, current)).toBe(false);
    });
  });
});

// Five hundred logins: on the newest version only.
describe.each(VERSIONS.filter((v) => v === NEWEST))('the bounded revocation queue on PocketBase %s', (version) => {
  it('a full routine queue gives up its oldest revocations, counts them, and warns once a minute, not at every login', { timeout: TIMEOUT }, async () => {
    const fay = person('fay', ['dev']);
    await withStack(offline(version, [fay]), async (stack) => {
      // PocketBase runs the minute's job at second 0 (a little later on a busy machine): start
      // just after it, so that no run drains the queue while it fills (506 logins take 12-20 s here).
      for (let s = new Date().getSeconds(); s < 2 || s > 8; s = new Date().getSeconds()) await sleep(250);
      const logins = 506;
      for (let i = 0; i < logins; i++) await ssoLogin(stack.pb.url, fay);
      expect((await status(stack)).signOut).toMatchObject({ revocationsQueued: 500, routineRevocationsGivenUp: logins - 1 - 500, urgentRevocationsGivenUp: 0 });
      const logs = await stack.pb.logs(/revocation queue is full/);
      expect(logs.match(/the routine revocation queue is full/g)).toHaveLength(1);
    });
  });
});
