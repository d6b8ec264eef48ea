// Authelia's storage lost (a container without its volume, a move to another database that left the
// data behind): every user gets a new `sub` at the next sign-in. End to end on a real PocketBase
// with the built hooks and the stand-in (testkit/idp.ts, resetStorage('lost')): sessions go on, and
// each user signs in again to their own record, found by the Authelia username and verified email
// kept for it; nobody else gets anything of it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClientResponseError, type RecordAuthResponse, type RecordModel } from 'pocketbase';
import { describe, expect, it } from 'vitest';
import { TIMED_VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { logEntries } from '../../../testkit/pocketbase.js';
import type { IdpUser } from '../../../testkit/idp.js';
import { afterLogin, person, refresh, sleep, withStack, WITH_OFFLINE_ACCESS } from '../../support/revalidation.js';
import { CLIENT_SECRET, ssoLogin, storedUser, type Stack, type StackOptions } from '../../support/stack.js';

const run = promisify(execFile);
const SCENARIO_TIMEOUT = 150_000;
/** Never on its own during a test. */
const SWEEP_BY_HAND = '0 0 1 1 *';
const REFUSED = /already belongs to another Authelia account here/;

type Auth = RecordAuthResponse<RecordModel>;

function offlineStack(version: string, users: StackOptions['users'], env: Readonly<Record<string, string>> = {}): StackOptions {
  return {
    version,
    users,
    idp: { offlineAccess: true },
    env: { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND, ...env },
  };
}

/** The record's Authelia links, as a superuser sees them in `_externalAuths`. */
async function links(stack: Stack, recordId: string): Promise<string[]> {
  const superuser = await stack.pb.superuser();
  const rows = await superuser.collection('_externalAuths').getFullList({ filter: superuser.filter('recordRef = {:id}', { id: recordId }) });
  return rows.map((row) => `${row['provider']}:${row['providerId']}`);
}

const sub = (auth: Auth): string => String(auth.meta?.['id']);

async function status(stack: Stack): Promise<Record<string, any>> {
  return (await stack.pb.superuser()).send('/api/authelia/status', {});
}

/** The Authelia username the extension keeps for a record, as the superuser's records view shows it. */
async function keptUsername(stack: Stack, recordId: string): Promise<string | null> {
  const items = (await (await stack.pb.superuser()).send('/api/authelia/status/records', {})).items as Array<{ recordId: string; autheliaUsername: string | null }>;
  return items.find((item) => item.recordId === recordId)?.autheliaUsername ?? null;
}

async function refusedLogin(stack: Stack, user: IdpUser, options: Parameters<typeof ssoLogin>[2] = {}): Promise<{ status: number; message: string }> {
  try {
    await ssoLogin(stack.pb.url, user, options);
  } catch (error) {
    if (error instanceof ClientResponseError) return { status: error.status, message: String(error.response['message']) };
    throw error;
  }
  throw new Error(`${user.username} was signed in`);
}

describe.concurrent.each(TIMED_VERSIONS)("Authelia's storage lost, on PocketBase %s", (version) => {
  it('sessions go on; each user signs in again to their own record with current groups, and the checks work again on the new grant', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    const carol = person('carol', ['admins']);
    await withStack(offlineStack(version, [john, carol]), async (stack) => {
      const first = new Map<string, Auth>();
      for (const user of [john, carol]) first.set(user.username, (await ssoLogin(stack.pb.url, user)).auth);
      expect(await keptUsername(stack, first.get('john')!.record.id)).toBe('john');
      stack.idp.resetStorage('lost');
      await sleep(1_200);
      for (const user of [john, carol]) {
        const refreshed = await refresh(stack, first.get(user.username)!.token);
        expect(refreshed.status, `${user.username} after the storage was lost`).toBe(200);
        expect(refreshed.record['groups']).toEqual(user.groups);
      }

      stack.idp.setUser({ ...john, groups: ['dev', 'ops'] });
      const second = new Map<string, Auth>();
      for (const user of [john, carol]) {
        const before = first.get(user.username)!;
        const again = (await ssoLogin(stack.pb.url, user)).auth;
        second.set(user.username, again);
        expect(again.record.id, user.username).toBe(before.record.id);
        expect(sub(again)).not.toBe(sub(before));
        expect(await links(stack, before.record.id)).toEqual([`oidc:${sub(again)}`]);
        // The session from before the loss goes on too.
        expect((await refresh(stack, before.token)).status).toBe(200);
      }
      expect(second.get('john')!.record['groups']).toEqual(['dev', 'ops']);
      expect((await storedUser(stack.pb, john.email))['groups']).toEqual(['dev', 'ops']);
      const after = await status(stack);
      expect(after['relinks']).toBe(2);
      expect(after['subjectsChanged']).toEqual({ since: expect.any(String), count: 2 });

      // Checks between logins ask Authelia with the new grant.
      stack.idp.setUser({ ...john, groups: ['ops'] });
      await sleep(1_200);
      const idp = afterLogin(stack);
      const checked = await refresh(stack, second.get('john')!.token);
      expect(checked.status).toBe(200);
      expect(checked.record['groups']).toEqual(['ops']);
      expect(idp.calls()).toEqual(['GET /api/oidc/userinfo 200']);

      // A relink is not an unlink: nobody's sessions or groups were taken, and the log says what happened.
      const entries = logEntries(await stack.pb.logs(/probably reset/));
      const relinked = entries.filter((entry) => entry.message.includes('relinked a record to a new Authelia subject'));
      expect(relinked.map((entry) => [entry.level, entry.data['record'], entry.data['username'], entry.data['oldSub'], entry.data['newSub']])).toEqual([
        [4, first.get('john')!.record.id, 'john', sub(first.get('john')!), sub(second.get('john')!)],
        [4, first.get('carol')!.record.id, 'carol', sub(first.get('carol')!), sub(second.get('carol')!)],
      ]);
      expect(relinked[0]!.message).toMatch(/storage was probably reset.*authelia storage user identifiers export.*import.*authelia storage user identifiers add/);
      expect(entries.filter((entry) => /2 Authelia users signed in with new subjects since .*storage was probably reset/.test(entry.message))).toHaveLength(1);
      expect(entries.filter((entry) => /ended every session/.test(entry.message))).toEqual([]);
    });
  });

  it("another Authelia account with john's email, or john's username with another email, is refused and gets nothing of his record; the kept username is no field anybody can write", { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    const mallory = { ...person('mallory', ['dev']), email: john.email };
    await withStack(offlineStack(version, [john]), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      // No client, superuser included, reaches what the relink trusts: it is not on the record.
      const superuser = await stack.pb.superuser();
      await superuser.collection('users').update(auth.record.id, { autheliaUsername: 'mallory', username: 'mallory' });
      expect(Object.keys(await superuser.collection('users').getOne(auth.record.id)).join(' ')).not.toMatch(/username/i);
      expect(await keptUsername(stack, auth.record.id)).toBe('john');

      stack.idp.resetStorage('lost');
      stack.idp.setUser(mallory); // created after the loss: a new sub, like everyone's now
      const refused = await refusedLogin(stack, mallory);
      expect(refused.status).toBe(403);
      expect(refused.message).toMatch(REFUSED);
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(auth)}`]);
      expect(await superuser.collection('users').getFullList()).toHaveLength(1);
      expect((await status(stack))['relinks']).toBe(0);

      // john with his PocketBase token still in the browser (PocketBase then picks that record) but
      // another email in Authelia: the same username alone is not enough.
      const again = (await ssoLogin(stack.pb.url, john)).auth;
      expect([again.record.id, sub(again) !== sub(auth)]).toEqual([auth.record.id, true]);
      stack.idp.resetStorage('lost');
      stack.idp.setUser({ ...john, email: 'john.new@example.test' });
      const otherEmail = await refusedLogin(stack, john, { authToken: again.token });
      expect(otherEmail.status).toBe(403);
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(again)}`]);
      expect((await status(stack))['relinks']).toBe(1);
      const logs = await stack.pb.logs(/verified email differs/);
      expect(logs).toMatch(/the Authelia username differs from the one kept for the record/);
      expect(logs).toMatch(/the verified email differs from the record's/);
    });
  });

  it('a record a superuser unlinked and another Authelia account took over (by its email) keeps nothing of the first account: it never relinks to it', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    const jim = { ...person('jim', ['dev']), email: john.email };
    await withStack(offlineStack(version, [john, jim]), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      const superuser = await stack.pb.superuser();
      const [link] = await superuser.collection('_externalAuths').getFullList({ filter: superuser.filter('recordRef = {:id}', { id: auth.record.id }) });
      await superuser.collection('_externalAuths').delete(link!.id);
      // jim's client leaves out the profile scope: Authelia sends no username, and none is kept.
      const taken = (await ssoLogin(stack.pb.url, jim, { scopes: 'openid email groups offline_access' })).auth;
      expect(taken.record.id).toBe(auth.record.id);
      expect(await keptUsername(stack, auth.record.id)).toBeNull();

      stack.idp.resetStorage('lost');
      const refused = await refusedLogin(stack, john);
      expect(refused.status).toBe(403);
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(taken)}`]);
    });
  });

  it('two sign-ins of the same new subject at once: both land on the record, which keeps one link', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    await withStack(offlineStack(version, [john]), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      stack.idp.resetStorage('lost');
      // Both sign in at the IdP first (its pages are sequential per login), then both exchange their code at once.
      let arrived = 0;
      let release = (): void => undefined;
      const barrier = new Promise<void>((done) => (release = done));
      const atBarrier = async (): Promise<void> => {
        if (++arrived === 2) release();
        await barrier;
      };
      const [one, two] = await Promise.all([0, 1].map(async () => (await ssoLogin(stack.pb.url, john, { beforeExchange: atBarrier })).auth));
      expect([one!.record.id, two!.record.id]).toEqual([auth.record.id, auth.record.id]);
      expect(sub(one!)).toBe(sub(two!));
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(one!)}`]);
      expect((await status(stack))['relinks']).toBe(1);
    });
  });

  it('a user renamed in Authelia (same sub) signs in as before and the new username is kept; after a loss only the new one relinks', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    await withStack(offlineStack(version, [john]), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      const johnny = { ...john, username: 'johnny', password: 'johnny-password' };
      stack.idp.setUser({ ...johnny, sub: sub(auth) });
      const renamed = (await ssoLogin(stack.pb.url, johnny)).auth;
      expect([renamed.record.id, sub(renamed)]).toEqual([auth.record.id, sub(auth)]);
      expect(await keptUsername(stack, auth.record.id)).toBe('johnny');

      stack.idp.resetStorage('lost');
      const back = (await ssoLogin(stack.pb.url, johnny)).auth;
      expect(back.record.id).toBe(auth.record.id);
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(back)}`]);
    });
  });

  it('a relinked sign-in goes through the allowed-groups gate and gets its roles like any other; refused by the gate, it moves nothing', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['staff', 'admins']);
    await withStack(offlineStack(version, [john], { AUTHELIA_ALLOWED_GROUPS: 'staff', AUTHELIA_ROLES: 'admin=admins;member=staff' }), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      expect(auth.record['roles']).toEqual(['admin', 'member']);
      stack.idp.resetStorage('lost');
      stack.idp.setUser({ ...john, groups: ['admins'] });
      const refused = await refusedLogin(stack, john);
      expect(refused.status).toBe(403);
      expect(refused.message).toMatch(/not in a group allowed to sign in here/);
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(auth)}`]);
      expect((await storedUser(stack.pb, john.email))['roles']).toEqual([]); // Authelia said no: access taken, as for any linked user

      stack.idp.setUser({ ...john, groups: ['staff'] });
      const again = (await ssoLogin(stack.pb.url, john)).auth;
      expect([again.record.id, again.record['groups'], again.record['roles']]).toEqual([auth.record.id, ['staff'], ['member']]);
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(again)}`]);
    });
  });

  it('records linked before this release keep no username until their next login or check; lost before that, the sign-in is refused as before, and says why', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    const carol = person('carol', ['ops']);
    // The tokens must outlive the restart for a check to follow it.
    const env = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND, AUTHELIA_TOKEN_KEY: 'k'.repeat(32) };
    await withStack(offlineStack(version, [john, carol], env), async (stack) => {
      const johnLogin = (await ssoLogin(stack.pb.url, john)).auth;
      const carolLogin = (await ssoLogin(stack.pb.url, carol)).auth;
      await stack.pb.stop();
      // As an earlier release left the table: no username column.
      await run('sqlite3', [join(stack.pb.dataDir, 'pb_data', 'data.db'), 'ALTER TABLE _authelia_tokens DROP COLUMN username']);
      const pb = await stack.pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...env });
      const upgraded = { ...stack, pb };
      try {
        expect(await keptUsername(upgraded, johnLogin.record.id)).toBeNull();
        // A check that looks john up keeps his username; carol is not checked.
        await sleep(1_200);
        expect((await refresh(upgraded, johnLogin.token)).status).toBe(200);
        expect(await keptUsername(upgraded, johnLogin.record.id)).toBe('john');
        expect(await keptUsername(upgraded, carolLogin.record.id)).toBeNull();

        stack.idp.resetStorage('lost');
        expect((await ssoLogin(pb.url, john)).auth.record.id).toBe(johnLogin.record.id);
        const refused = await refusedLogin(upgraded, carol);
        expect(refused.status).toBe(403);
        expect(refused.message).toMatch(REFUSED);
        expect(await pb.logs(/no Authelia username is kept/)).toMatch(/no Authelia username is kept for the record yet/);
      } finally {
        await pb.destroy();
      }
    });
  });

  it('AUTHELIA_RELINK=off keeps the refusal for every new subject, and the log says what probably happened', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    await withStack(offlineStack(version, [john], { AUTHELIA_RELINK: 'off' }), async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, john);
      stack.idp.resetStorage('lost');
      const refused = await refusedLogin(stack, john);
      expect(refused.status).toBe(403);
      expect(refused.message).toMatch(REFUSED);
      expect(await links(stack, auth.record.id)).toEqual([`oidc:${sub(auth)}`]);
      const after = await status(stack);
      expect([after['relinks'], after['login']['relink']]).toEqual([0, false]);
      expect(await stack.pb.logs(/AUTHELIA_RELINK is off/)).toMatch(/login refused because AUTHELIA_RELINK is off, although the Authelia user \\"john\\" came back with a new sub/);
    });
  });
});
