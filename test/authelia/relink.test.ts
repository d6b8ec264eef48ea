// Authelia's storage lost, on the real Authelia: restarted with the same configuration, users file
// and signing key but an empty storage, it hands every user a new `sub` at the next sign-in (its
// table user_opaque_identifier is empty). Sessions go on; each user signs in again to their own
// record, found by the Authelia username and verified email kept for it; another Authelia account
// with the same email gets nothing of it. Authelia's own remedy (export the identifiers, import them
// into the new storage) keeps the subjects, and AUTHELIA_RELINK=off keeps the refusal.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { RealUser } from '../../testkit/authelia/config.js';
import { refresh, sleep } from '../support/revalidation.js';
import { guideBlock } from '../support/docs.js';
import { storedUser } from '../support/stack.js';
import { gridPairs } from './grid.js';
import { withRealStack, WITH_OFFLINE_ACCESS, type RealStack } from './real-stack.js';

const SCENARIO_TIMEOUT = 180_000;
/** Never on its own during a test. */
const SWEEP_BY_HAND = '0 0 1 1 *';
const ENV = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND };
const REFUSED = /already belongs to another Authelia account here/;
const run = promisify(execFile);

/** The `authelia ...` commands of a block of docs/operations.md, as arguments (the launcher adds --config). */
function autheliaCommands(text: string): string[][] {
  return text.split('\n').filter((line) => line.startsWith('authelia ')).map((line) => line.trim().split(/\s+/).slice(1));
}

function person(name: string, groups: string[], email = `${name}@example.test`): RealUser & { email: string; groups: string[] } {
  return { username: name, password: `${name}-password-1`, displayname: name, email, groups };
}

/** The record's Authelia links, as a superuser sees them in `_externalAuths`. */
async function links(stack: RealStack, recordId: string): Promise<string[]> {
  const superuser = await stack.pb.superuser();
  const rows = await superuser.collection('_externalAuths').getFullList({ filter: superuser.filter('recordRef = {:id}', { id: recordId }) });
  return rows.map((row) => String(row['providerId']));
}

async function status(stack: RealStack): Promise<Record<string, any>> {
  return (await stack.pb.superuser()).send('/api/authelia/status', {});
}

/** A sign-in PocketBase refuses: its HTTP status and message. */
async function refusedLogin(stack: RealStack, user: RealUser): Promise<{ status: number; message: string }> {
  try {
    await stack.login(user);
  } catch (error) {
    const refused = error as { status?: number; response?: { message?: string } };
    return { status: refused.status ?? 0, message: refused.response?.message ?? String(error) };
  }
  throw new Error(`${user.username} was signed in`);
}

describe.concurrent.each(gridPairs().filter(([a]) => !a.startsWith('4.38.0')))("Authelia's storage lost, on Authelia %s with PocketBase %s", (autheliaVersion, pocketbaseVersion) => {
  it('sessions go on; john and carol sign in again to their own records with current groups, and the checks work again on the new grant', { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    const carol = person('carol', ['ops']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [john, carol], offlineAccess: true, env: ENV }, async (stack) => {
      const first = new Map<string, { token: string; id: string; sub: string }>();
      for (const user of [john, carol]) {
        const { auth } = await stack.login(user);
        first.set(user.username, { token: auth.token, id: auth.record.id, sub: String(auth.meta?.['id']) });
      }
      await stack.authelia.stop();
      await stack.authelia.start('fresh');
      await sleep(1_200);
      for (const user of [john, carol]) {
        const refreshed = await refresh(stack, first.get(user.username)!.token);
        expect(refreshed.status, `${user.username} after the storage was lost`).toBe(200);
        expect(refreshed.record['groups']).toEqual(user.groups);
      }

      await stack.authelia.setUsers([{ ...john, groups: ['dev', 'ops'] }, carol]);
      const second = new Map<string, string>();
      for (const [user, groups] of [[john, ['dev', 'ops']], [carol, ['ops']]] as const) {
        const before = first.get(user.username)!;
        const { auth } = await stack.login(user);
        const sub = String(auth.meta?.['id']);
        expect(auth.record.id, user.username).toBe(before.id);
        expect(sub, `${user.username}: Authelia gave a new sub`).not.toBe(before.sub);
        expect(auth.record['groups']).toEqual(groups);
        expect(await links(stack, before.id)).toEqual([sub]);
        expect((await refresh(stack, before.token)).status, `${user.username}'s session from before`).toBe(200);
        second.set(user.username, auth.token);
      }
      const after = await status(stack);
      expect(after['relinks']).toBe(2);
      expect(after['subjectsChanged']).toMatchObject({ count: 2 });

      // The checks between logins ask Authelia with the new grant and the new sub.
      await stack.authelia.setUsers([{ ...john, groups: ['ops'] }, carol]);
      await sleep(1_200);
      const checked = await refresh(stack, second.get('john')!);
      expect(checked.status).toBe(200);
      expect(checked.record['groups']).toEqual(['ops']);
      expect((await storedUser(stack.pb, john.email))['groups']).toEqual(['ops']);
    });
  });

  it("another Authelia user with john's email, signing in after the storage was lost, is refused and gets nothing of john's record; john then signs in to it", { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['admins']);
    const mallory = person('mallory', ['dev'], john.email);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [john, mallory], offlineAccess: true, env: ENV }, async (stack) => {
      const { auth } = await stack.login(john);
      await stack.authelia.stop();
      await stack.authelia.start('fresh');

      const refused = await refusedLogin(stack, mallory);
      expect(refused.status).toBe(403);
      expect(refused.message).toMatch(REFUSED);
      expect(await links(stack, auth.record.id)).toEqual([String(auth.meta?.['id'])]);
      const superuser = await stack.pb.superuser();
      expect(await superuser.collection('users').getFullList()).toHaveLength(1);
      expect((await status(stack))['relinks']).toBe(0);

      const again = (await stack.login(john)).auth;
      expect(again.record.id).toBe(auth.record.id);
      expect(again.record['groups']).toEqual(['admins']);
      expect(await links(stack, auth.record.id)).toEqual([String(again.meta?.['id'])]);
    });
  });

  it("the identifiers exported and imported as the operator's guide says: the same subs, nothing relinked; AUTHELIA_RELINK=off refuses a new sub", { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [john], offlineAccess: true, env: { ...ENV, AUTHELIA_RELINK: 'off' } }, async (stack) => {
      const { auth } = await stack.login(john);
      const sub = String(auth.meta?.['id']);
      await stack.authelia.stop();
      // Relative paths are Authelia's folder, which a fresh start keeps (it deletes only the database).
      for (const args of autheliaCommands(guideBlock('identifiers-export'))) await stack.authelia.cli(args);
      await stack.authelia.start('fresh', async () => {
        for (const args of autheliaCommands(guideBlock('identifiers-import'))) await stack.authelia.cli(args);
      });
      const again = (await stack.login(john)).auth;
      expect(again.record.id).toBe(auth.record.id);
      expect(String(again.meta?.['id'])).toBe(sub);
      expect(await links(stack, auth.record.id)).toEqual([sub]);

      // Lost this time, with AUTHELIA_RELINK=off: today's refusal.
      await stack.authelia.stop();
      await stack.authelia.start('fresh');
      const refused = await refusedLogin(stack, john);
      expect(refused.status).toBe(403);
      expect(refused.message).toMatch(REFUSED);
      expect(await links(stack, auth.record.id)).toEqual([sub]);
      expect((await status(stack))['relinks']).toBe(0);
    });
  });

  it("no export: the identifiers rebuilt from PocketBase's database as the operator's guide says give the users who did not sign in yet their old subs", { timeout: SCENARIO_TIMEOUT }, async () => {
    const john = person('john', ['dev']);
    const carol = person('carol', ['ops']);
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [john, carol], offlineAccess: true, env: ENV }, async (stack) => {
      const subs = new Map<string, string>();
      for (const user of [john, carol]) subs.set(user.username, String((await stack.login(user)).auth.meta?.['id']));
      await stack.authelia.stop();
      // The guide's query, run where PocketBase's data directory is.
      const printed = (await run('sh', ['-c', guideBlock('identifiers-from-pocketbase')], { cwd: stack.pb.dataDir })).stdout;
      const commands = autheliaCommands(printed);
      expect(commands.map((args) => args[4]).sort()).toEqual(['carol', 'john']);
      await stack.authelia.start('fresh', async () => {
        await stack.authelia.cli(['storage', 'migrate', 'up']);
        for (const args of commands) await stack.authelia.cli(args);
      });
      for (const user of [john, carol]) {
        const { auth } = await stack.login(user);
        expect(String(auth.meta?.['id']), user.username).toBe(subs.get(user.username));
      }
      expect((await status(stack))['relinks']).toBe(0);
    });
  });
});
