import PocketBase, { ClientResponseError } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_ROLE_ONLY, EDITORS_ONLY } from '../../support/api-rules.js';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { CLIENT_SECRET, ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

/** A client write to a managed field: the hooks answer 400; an update first meets the rule's guard clauses, which PocketBase answers 404. */
const REFUSED = [400, 404];


const alice = { username: 'alice', password: 'alice-password', name: 'Alice', email: 'alice@example.test', groups: ['admins', 'writers'] };
const erin = { username: 'erin', password: 'erin-password', name: 'Erin', email: 'erin@example.test', groups: ['editors'] };
// Every name here would pass a LIKE-based rule for "editors" or "admin"; none may pass ours.
const mallory = {
  username: 'mallory', password: 'mallory-password', name: 'Mallory', email: 'mallory@example.test',
  groups: ['Editors', 'EDITORS', 'edit_rs', 'editors_team', 'xeditors', 'sysadmin', 'admin%'],
};

async function refusal(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ClientResponseError) return error.status;
    throw error;
  }
  return 200;
}

describe.each(VERSIONS)('groups and roles that authorize, on PocketBase %s', (version) => {
  let stack: Stack;
  let asAlice: PocketBase;
  let asErin: PocketBase;
  let asMallory: PocketBase;
  let anonymous: PocketBase;

  function client(token: string, record: Parameters<PocketBase['authStore']['save']>[1]): PocketBase {
    const pb = new PocketBase(stack.pb.url);
    pb.autoCancellation(false);
    pb.authStore.save(token, record);
    return pb;
  }

  beforeAll(async () => {
    stack = await startStack({ version, users: [alice, erin, mallory], env: { AUTHELIA_ROLES: 'admin=admins; editor=editors,writers' } });
    const superuser = await stack.pb.superuser();
    await superuser.collections.create({
      name: 'articles', type: 'base', fields: [{ name: 'title', type: 'text' }],
      listRule: '', viewRule: '', createRule: EDITORS_ONLY, updateRule: EDITORS_ONLY,
    });
    await superuser.collections.create({
      name: 'admin_notes', type: 'base', fields: [{ name: 'text', type: 'text' }],
      listRule: ADMIN_ROLE_ONLY, viewRule: ADMIN_ROLE_ONLY, createRule: ADMIN_ROLE_ONLY,
    });
    await superuser.settings.update({ batch: { enabled: true, maxRequests: 50, timeout: 3, maxBodySize: 0 } });
    const logins = [await ssoLogin(stack.pb.url, alice), await ssoLogin(stack.pb.url, erin), await ssoLogin(stack.pb.url, mallory)];
    [asAlice, asErin, asMallory] = logins.map(({ auth }) => client(auth.token, auth.record)) as [PocketBase, PocketBase, PocketBase];
    anonymous = new PocketBase(stack.pb.url);
    anonymous.autoCancellation(false);
  });
  afterAll(() => stack?.close());

  it('maps groups to roles on login, exactly', async () => {
    expect((await storedUser(stack.pb, alice.email))['roles']).toEqual(['admin', 'editor']);
    expect((await storedUser(stack.pb, erin.email))['roles']).toEqual(['editor']);
    expect((await storedUser(stack.pb, mallory.email))['roles']).toEqual([]);
    // Stale roles go when the groups go.
    stack.idp.setUser({ ...alice, groups: ['writers'] });
    const again = await ssoLogin(stack.pb.url, alice);
    expect(again.auth.record['roles']).toEqual(['editor']);
    stack.idp.setUser(alice);
    const restored = await ssoLogin(stack.pb.url, alice);
    asAlice = client(restored.auth.token, restored.auth.record);
  });

  it(`a group rule (${EDITORS_ONLY}) admits members and refuses near-miss names`, async () => {
    const created = await asErin.collection('articles').create({ title: 'by erin' });
    expect(created['title']).toBe('by erin');
    expect(await refusal(asMallory.collection('articles').create({ title: 'by mallory' }))).toBe(400);
    expect(await refusal(asMallory.collection('articles').update(created.id, { title: 'defaced' }))).toBe(404);
    expect(await refusal(anonymous.collection('articles').create({ title: 'anonymous' }))).toBe(400);
    expect(await refusal(asAlice.collection('articles').create({ title: 'alice is no editor' }))).toBe(400);
    expect((await anonymous.collection('articles').getOne(created.id))['title']).toBe('by erin');
  });

  it(`a role rule (${ADMIN_ROLE_ONLY}) admits the role and refuses everyone else`, async () => {
    const note = await asAlice.collection('admin_notes').create({ text: 'secret plans' });
    expect((await asAlice.collection('admin_notes').getList(1, 10)).totalItems).toBe(1);
    expect((await asErin.collection('admin_notes').getList(1, 10)).totalItems).toBe(0);
    expect((await asMallory.collection('admin_notes').getList(1, 10)).totalItems).toBe(0);
    expect(await refusal(asMallory.collection('admin_notes').getOne(note.id))).toBe(404);
    expect(await refusal(asMallory.collection('admin_notes').create({ text: 'mine' }))).toBe(400);
  });

  describe('no client can write a managed field (refused with 400, stored value unchanged)', () => {
    async function unchanged(): Promise<void> {
      const stored = await storedUser(stack.pb, mallory.email);
      expect(stored['groups']).toEqual([...mallory.groups].sort());
      expect(stored['roles']).toEqual([]);
      expect(stored['memberOf']).toHaveLength(mallory.groups.length);
    }
    const own = () => asMallory.authStore.record!.id;

    it('record update of their own record: groups, memberOf, roles and roles+ are refused', async () => {
      const admins = await (await stack.pb.superuser()).collection('authelia_groups').getFirstListItem('name = "admins"');
      for (const body of [{ groups: ['admins'] }, { memberOf: [admins.id] }, { 'memberOf+': admins.id }, { roles: ['admin'] }, { 'roles+': 'admin' }, { '+roles': 'admin' }]) {
        expect(await refusal(asMallory.collection('users').update(own(), body)), JSON.stringify(body)).toBeOneOf(REFUSED);
      }
      await unchanged();
    });

    it('multipart update and @jsonPayload are refused too', async () => {
      const form = new FormData();
      form.append('roles', 'admin');
      expect(await refusal(asMallory.collection('users').update(own(), form))).toBeOneOf(REFUSED);
      const payload = new FormData();
      payload.append('@jsonPayload', JSON.stringify({ groups: ['admins'] }));
      expect(await refusal(asMallory.collection('users').update(own(), payload))).toBeOneOf(REFUSED);
      await unchanged();
    });

    it('/api/batch create and update are refused, and the batch changes nothing', async () => {
      const batch = asMallory.createBatch();
      batch.collection('users').update(own(), { name: 'changed in batch' });
      batch.collection('users').update(own(), { roles: ['admin'] });
      expect(await refusal(batch.send())).toBe(400);
      const signUp = anonymous.createBatch();
      signUp.collection('users').create({ email: 'batch@example.test', password: 'pass-12345678', passwordConfirm: 'pass-12345678', groups: ['admins'] });
      expect(await refusal(signUp.send())).toBe(400);
      expect((await storedUser(stack.pb, mallory.email))['name']).toBe('Mallory');
      await unchanged();
      const superuser = await stack.pb.superuser();
      expect((await superuser.collection('users').getList(1, 1, { filter: 'email = "batch@example.test"' })).totalItems).toBe(0);
    });

    it('password sign-up with groups is refused and creates nothing', async () => {
      const body = { email: 'signup@example.test', password: 'pass-12345678', passwordConfirm: 'pass-12345678', groups: ['admins'], roles: ['admin'] };
      expect(await refusal(anonymous.collection('users').create(body))).toBe(400);
      const superuser = await stack.pb.superuser();
      expect((await superuser.collection('users').getList(1, 1, { filter: 'email = "signup@example.test"' })).totalItems).toBe(0);
    });

    it('OAuth2 sign-up createData with groups is refused and creates nothing', async () => {
      const newcomer = { username: 'nina', password: 'nina-password', name: 'Nina', email: 'nina@example.test', groups: ['dev'] };
      stack.idp.setUser(newcomer);
      await expect(ssoLogin(stack.pb.url, newcomer, { createData: { groups: ['admins'], roles: ['admin'] } })).rejects.toMatchObject({ status: 400 });
      const superuser = await stack.pb.superuser();
      expect((await superuser.collection('users').getList(1, 1, { filter: 'email = "nina@example.test"' })).totalItems).toBe(0);
      // Without the forged fields the same person signs up normally.
      const { auth } = await ssoLogin(stack.pb.url, newcomer);
      expect(auth.record['groups']).toEqual(['dev']);
      expect(auth.record['roles']).toEqual([]);
    });

    it('other fields stay editable, the user reads their own groups, and a superuser may edit them', async () => {
      const updated = await asMallory.collection('users').update(own(), { name: 'Mallory M.' });
      expect(updated['name']).toBe('Mallory M.');
      const mine = await asMallory.collection('users').getOne(own());
      expect(mine['groups']).toEqual([...mallory.groups].sort());
      const superuser = await stack.pb.superuser();
      const edited = await superuser.collection('users').update(own(), { groups: ['quarantine'] });
      expect(edited['groups']).toEqual(['quarantine']);
      // ...until the next login, which brings Authelia's truth back.
      const { auth } = await ssoLogin(stack.pb.url, mallory);
      expect(auth.record['groups']).toEqual([...mallory.groups].sort());
    });
  });
});

describe.each(VERSIONS)('the allowed-groups gate on PocketBase %s', (version) => {
  let stack: Stack;
  const staff = { username: 'sol', password: 'sol-password', name: 'Sol', email: 'sol@example.test', groups: ['staff', 'dev'] };
  const guest = { username: 'gus', password: 'gus-password', name: 'Gus', email: 'gus@example.test', groups: ['guests', 'staffers'] };
  beforeAll(async () => {
    stack = await startStack({ version, users: [staff, guest], env: { AUTHELIA_ALLOWED_GROUPS: 'staff, admins' } });
  });
  afterAll(() => stack?.close());

  it('refuses a user in none of the allowed groups with a 403 that says why, and creates nothing', async () => {
    const attempt = ssoLogin(stack.pb.url, guest);
    await expect(attempt).rejects.toMatchObject({ status: 403 });
    await expect(attempt).rejects.toThrow(/not in a group allowed to sign in here/);
    const superuser = await stack.pb.superuser();
    expect((await superuser.collection('users').getList(1, 1, { filter: `email = "${guest.email}"` })).totalItems).toBe(0);
  });

  it('admits a member, then refuses them once they lost the group, taking away the groups they held', async () => {
    const { auth } = await ssoLogin(stack.pb.url, staff);
    expect(auth.record['groups']).toEqual(['dev', 'staff']);
    stack.idp.setUser({ ...staff, groups: ['dev'] });
    await expect(ssoLogin(stack.pb.url, staff)).rejects.toMatchObject({ status: 403 });
    const after = await storedUser(stack.pb, staff.email);
    expect(after['groups']).toEqual([]);
    expect(after['memberOf']).toEqual([]);
  });
});

describe.each(VERSIONS)('changing AUTHELIA_ROLES on PocketBase %s', (version) => {
  it('takes a dropped role away from everyone at the next boot, before anyone logs in again', async () => {
    const stack = await startStack({ version, users: [alice], env: { AUTHELIA_ROLES: 'admin=admins;editor=writers' } });
    let pb = stack.pb;
    try {
      await ssoLogin(pb.url, alice);
      expect((await storedUser(pb, alice.email))['roles']).toEqual(['admin', 'editor']);
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_ROLES: 'editor=writers;auditor=auditors' });
      expect((await storedUser(pb, alice.email))['roles']).toEqual(['editor']);
      const users = await (await pb.superuser()).collections.getOne('users');
      expect(users['fields'].find((f: { name: string }) => f.name === 'roles')).toMatchObject({ type: 'select', values: ['editor', 'auditor'], maxSelect: 2 });
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});

describe.each(VERSIONS)('switching roles off on PocketBase %s', (version) => {
  it('clears the roles everyone held and keeps clients from writing the field', async () => {
    const stack = await startStack({ version, users: [alice], env: { AUTHELIA_ROLES: 'admin=admins' } });
    let pb = stack.pb;
    try {
      await ssoLogin(pb.url, alice);
      expect((await storedUser(pb, alice.email))['roles']).toEqual(['admin']);
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET });
      expect((await storedUser(pb, alice.email))['roles']).toEqual([]);
      const { auth } = await ssoLogin(pb.url, alice);
      expect(auth.record['roles']).toEqual([]);
      const asAliceNow = new PocketBase(pb.url);
      asAliceNow.authStore.save(auth.token, auth.record);
      expect(await refusal(asAliceNow.collection('users').update(auth.record.id, { roles: ['admin'] }))).toBeOneOf(REFUSED);
      expect(await pb.logs(/no longer managed/)).toMatch(/cleared roles of \\"users\\" in 1 records: no longer managed by this configuration/);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});
