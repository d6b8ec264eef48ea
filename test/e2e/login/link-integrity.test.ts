// Holes found in a security review of the relink and short-access-token changes, each fixed, and
// what the review tried that held. Each test states what the README promises and asserts it.
import PocketBase, { ClientResponseError, type RecordAuthResponse, type RecordModel } from 'pocketbase';
import { describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import type { IdpUser } from '../../../testkit/idp.js';
import { serveExpectingExit, type PocketBaseServer } from '../../../testkit/pocketbase.js';
import { person, refresh, sleep, sweepNow, withStack, WITH_OFFLINE_ACCESS } from '../../support/revalidation.js';
import { CLIENT_SECRET, ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

const TIMEOUT = 150_000;
const SWEEP_BY_HAND = '0 0 1 1 *';
const REFUSED = /already belongs to another Authelia account here/;

type Auth = RecordAuthResponse<RecordModel>;
const sub = (auth: Auth): string => String(auth.meta?.['id']);

async function links(pb: PocketBaseServer, recordId: string): Promise<string[]> {
  const superuser = await pb.superuser();
  const rows = await superuser.collection('_externalAuths').getFullList({ filter: superuser.filter('recordRef = {:id}', { id: recordId }) });
  return rows.map((row) => `${row['provider']}:${row['providerId']}`).sort();
}

async function outcome(promise: Promise<unknown>): Promise<{ status: number; message: string; recordId?: string }> {
  try {
    const value = (await promise) as { auth?: Auth };
    return { status: 200, message: '', ...(value.auth ? { recordId: value.auth.record.id } : {}) };
  } catch (error) {
    if (error instanceof ClientResponseError) return { status: error.status, message: String(error.response['message'] ?? '') };
    throw error;
  }
}

describe.each(VERSIONS)('security review on PocketBase %s', (version) => {
  it('after AUTHELIA_PROVIDER moves to another slot, another Authelia account with the email of a linked record is still refused (it must not take the record over)', { timeout: TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    // A second Authelia account that shares john's email (Authelia's file backend allows it;
    // the README: "two Authelia users may share an email, and they are never merged into one record").
    const mallory: IdpUser & { groups: string[] } = { ...person('mallory', ['dev']), email: john.email };
    const env = { AUTHELIA_TOKEN_KEY: 'k'.repeat(32), AUTHELIA_SWEEP: SWEEP_BY_HAND };
    const stack = await startStack({ version, users: [john, mallory], env });
    let pb = stack.pb;
    try {
      const johnLogin = (await ssoLogin(pb.url, john)).auth;
      // Before the move: refused, as the README says.
      const before = await outcome(ssoLogin(pb.url, mallory));
      expect(before.status).toBe(403);
      // The README: "Changing AUTHELIA_PROVIDER ... frees nobody: records linked through any provider slot ... stay under checks".
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...env, AUTHELIA_PROVIDER: 'oidc2' });
      const after = await outcome(ssoLogin(pb.url, mallory, { provider: 'oidc2' }));
      expect(after.status, 'mallory must not sign in to john\'s record').toBe(403);
      // Nothing of mallory's lands on the record; her refusal takes john's access away, as any account
      // sharing a linked record's email does (README, "What a login does").
      expect(await links(pb, johnLogin.record.id)).toEqual([expect.stringMatching(/^oidc:/)]);
      expect((await storedUser(pb, john.email))['groups']).toEqual([]);
      // john, signing in through the new slot, gets his own record back with his groups.
      const johnAfter = await outcome(ssoLogin(pb.url, john, { provider: 'oidc2' }));
      expect(johnAfter).toMatchObject({ status: 200, recordId: johnLogin.record.id });
      expect((await storedUser(pb, john.email))['groups']).toEqual(['admins']);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
  it('after Authelia lost its storage, the record\'s own user signing in again (AUTHELIA_RELINK off) is refused but keeps the sessions that went on', { timeout: TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    const env = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND, AUTHELIA_RELINK: 'off' };
    await withStack({ version, users: [john], idp: { offlineAccess: true }, env }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      stack.idp.resetStorage('lost');
      await sleep(1_200);
      // The README: "Sessions go on." (the checks cannot tell until the user signs in again).
      const before = await refresh(stack, auth.token);
      expect(before.status).toBe(200);
      // The same Authelia user (same username, same verified email) signs in again: refused by the setting.
      const refused = await outcome(ssoLogin(stack.pb.url, john));
      expect([refused.status, REFUSED.test(refused.message)]).toEqual([403, true]);
      const after = await refresh(stack, auth.token);
      const stored = await storedUser(stack.pb, john.email);
      console.log('john after his own refused sign-in: refresh', after.status, after.message, '| groups', JSON.stringify(stored['groups']));
      expect(after.status, 'a sign-in refused only because of AUTHELIA_RELINK=off must not end the user\'s sessions').toBe(200);
      expect(stored['groups']).toEqual(['admins']);
    });
  });
  it('held: a restart with AUTHELIA_RELINK=maybe or an unreadable AUTHELIA_RELINK_FILE names the variable, removes the provider, and costs nobody a session', { timeout: TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    const stack = await startStack({ version, users: [john], env: { AUTHELIA_REVALIDATE_AFTER: '1s' } });
    let pb = stack.pb;
    const base = { AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_REVALIDATE_AFTER: '1s' };
    const providers = async () => ((await (await fetch(`${pb.url}/api/collections/users/auth-methods`)).json()).oauth2.providers as Array<{ name: string }>).map((p) => p.name);
    try {
      const { auth } = await ssoLogin(pb.url, john);
      pb = await pb.restart({ ...base, AUTHELIA_RELINK: 'maybe' });
      expect(await pb.logs(/AUTHELIA_RELINK/)).toMatch(/AUTHELIA_RELINK: \\"maybe\\" is not a boolean/);
      expect(await providers()).toEqual([]);
      await sleep(1_200);
      expect((await refresh({ pb }, auth.token)).status).toBe(200);

      pb = await pb.restart({ ...base, AUTHELIA_RELINK_FILE: '/nonexistent/authelia-relink' });
      expect(await pb.logs(/AUTHELIA_RELINK_FILE/)).toMatch(/AUTHELIA_RELINK_FILE: cannot read the file \\"\/nonexistent\/authelia-relink\\"/);
      expect(await providers()).toEqual([]);
      expect((await refresh({ pb }, auth.token)).status).toBe(200);

      const strict = await serveExpectingExit({ version, env: { ...base, AUTHELIA_STRICT: 'true', AUTHELIA_RELINK: 'maybe' } });
      expect(strict.code).not.toBe(0);
      expect(strict.output).toContain('AUTHELIA_RELINK: "maybe" is not a boolean');
      expect(strict.output).not.toContain(CLIENT_SECRET);

      pb = await pb.restart(base);
      expect(await providers()).toEqual(['oidc']);
      expect((await ssoLogin(pb.url, john)).auth.record.id).toBe(auth.record.id);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('held: Authelia\'s user backend down at a relink sign-in changes nothing; down right after a relink, the sessions go on', { timeout: TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    const carol = person('carol', ['dev']);
    const env = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND };
    await withStack({ version, users: [john, carol], idp: { offlineAccess: true }, env }, async (stack) => {
      const first = (await ssoLogin(stack.pb.url, john)).auth;
      const carolFirst = (await ssoLogin(stack.pb.url, carol)).auth;
      stack.idp.resetStorage('lost');
      // The code is issued while the backend works; the exchange meets it down (no lookup at userinfo).
      const during = await outcome(ssoLogin(stack.pb.url, john, { beforeExchange: () => stack.idp.setUserBackend('down') }));
      expect(during.status).toBe(503);
      expect(await links(stack.pb, first.record.id)).toEqual([`oidc:${sub(first)}`]);
      expect((await refresh(stack, first.token)).status).toBe(200);
      stack.idp.setUserBackend('up');
      const relinked = (await ssoLogin(stack.pb.url, john)).auth;
      expect(await links(stack.pb, first.record.id)).toEqual([`oidc:${sub(relinked)}`]);
      const carolAgain = (await ssoLogin(stack.pb.url, carol)).auth;
      expect(carolAgain.record.id).toBe(carolFirst.record.id);
      stack.idp.setUserBackend('down');
      await sleep(1_200);
      for (const token of [first.token, relinked.token, carolFirst.token]) {
        const answer = await refresh(stack, token);
        expect([answer.status, answer.record['groups'] !== undefined]).toEqual([200, true]);
      }
      const run = await sweepNow(stack);
      expect(run.ended).toBe(0);
      expect((await storedUser(stack.pb, john.email))['groups']).toEqual(['admins']);
    });
  });
  it('a check in flight while a superuser unlinks the record and another Authelia account links it (by email) applies nothing of the first account: no groups, no kept username', { timeout: TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    const jim: IdpUser & { groups: string[] } = { ...person('jim', ['dev']), email: john.email };
    const env = { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND };
    await withStack({ version, users: [john, jim], env }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      const superuser = await stack.pb.superuser();
      // john's groups change at Authelia meanwhile: his next check writes them.
      stack.idp.setUser({ ...john, groups: ['admins', 'ops'] });
      await sleep(1_200);
      // Authelia answers the check's userinfo 3 s late (under the check's 5 s timeout); everything after it at once.
      let arrived = (): void => undefined;
      const checkArrived = new Promise<void>((done) => (arrived = done));
      let armed = true;
      stack.idp.onRequest((request) => {
        if (!armed || !request.path.endsWith('/userinfo')) return;
        armed = false;
        stack.idp.setDown('late', 3_000);
        setImmediate(() => stack.idp.setDown('up'));
        arrived();
      });
      const inFlight = refresh(stack, auth.token);
      await checkArrived;
      // Meanwhile: the superuser unlinks john (README: "a superuser unlinks the old account ... and the next login links the new one"),
      // and jim, who has the same email, signs in and gets the record.
      const [link] = await superuser.collection('_externalAuths').getFullList({ filter: superuser.filter('recordRef = {:id}', { id: auth.record.id }) });
      await superuser.collection('_externalAuths').delete(link!.id);
      const jimLogin = (await ssoLogin(stack.pb.url, jim)).auth;
      expect(jimLogin.record.id).toBe(auth.record.id);
      expect(jimLogin.record['groups']).toEqual(['dev']);
      const checked = await inFlight;
      const tokenAfter = checked.token === '' ? 'none' : (await fetch(`${stack.pb.url}/api/authelia/status/me`, { headers: { authorization: checked.token } })).status;
      console.log('the token that auth-refresh handed john (unlinked meanwhile) answers', tokenAfter);
      const stored = await storedUser(stack.pb, john.email);
      const rows = (await superuser.send('/api/authelia/status/records', {})).items as Array<{ recordId: string; autheliaUsername: string | null }>;
      const kept = rows.find((row) => row.recordId === auth.record.id)?.autheliaUsername ?? null;
      // What the kept username then allows: john, no longer linked, signs in with his own sub and "relinks" the record jim was given.
      const johnAgain = await outcome(ssoLogin(stack.pb.url, john));
      console.log('in-flight check of john answered', checked.status, '| record (now jim\'s) groups', JSON.stringify(stored['groups']),
        '| kept username', kept, '| links before john signs in again: jim', '| john signs in again:', JSON.stringify(johnAgain),
        '| links after:', await links(stack.pb, auth.record.id), '(jim was', `oidc:${sub(jimLogin)})`);
      expect(stored['groups'], 'jim must not get john\'s groups').toEqual(['dev']);
      expect(kept).toBe('jim');
      expect(johnAgain.status).toBe(403);
    });
  });
  it('held: a user cannot drop their own Authelia link through /api/batch either', { timeout: TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    await withStack({ version, users: [john] }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      const superuser = await stack.pb.superuser();
      await superuser.settings.update({ batch: { enabled: true, maxRequests: 50, timeout: 3, maxBodySize: 0 } });
      const own = new PocketBase(stack.pb.url);
      own.authStore.save(auth.token, auth.record);
      const [link] = await own.collection('_externalAuths').getFullList();
      const batch = own.createBatch();
      batch.collection('_externalAuths').delete(link!.id);
      const answer = await outcome(batch.send());
      console.log('batch delete of the own Authelia link:', JSON.stringify(answer));
      expect(answer.status).not.toBe(200);
      expect(await links(stack.pb, auth.record.id)).toEqual([`oidc:${sub(auth)}`]);
    });
  });
});
