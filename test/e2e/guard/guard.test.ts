// The guard holds in every state: whatever spelling AUTHELIA_COLLECTION uses, after a rename, across
// invalid and unset configurations, after a hand edit, after a refusal, and against a password set
// on an Authelia account. Each case is an attack that worked before the guard registry existed.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import PocketBase, { ClientResponseError, type RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { startPocketBase, type PocketBaseServer } from '../../../testkit/pocketbase.js';
import { CLIENT_SECRET, ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

/** A client write to a managed field: the hooks answer 400; an update first meets the rule's guard clauses, which PocketBase answers 404. */
const REFUSED = [400, 404];

const alice = { username: 'alice', password: 'alice-password', name: 'Alice', email: 'alice@example.test', groups: ['admins', 'writers'] };
const LOCAL = { email: 'local@example.test', password: 'local-password-1' };
const ADMINS_ONLY = '@request.auth.memberOf.name ?= "admins"';

async function status(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
    return 200;
  } catch (error) {
    if (error instanceof ClientResponseError) return error.status;
    throw error;
  }
}

/** Status and body of a refused request, to compare two answers. */
async function answer(promise: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    await promise;
    return { status: 200, body: null };
  } catch (error) {
    if (error instanceof ClientResponseError) return { status: error.status, body: error.response };
    throw error;
  }
}

/** A password account that never signed in with Authelia, signed in. */
async function localAccount(pb: PocketBaseServer): Promise<PocketBase> {
  const client = new PocketBase(pb.url);
  client.autoCancellation(false);
  const existing = await (await pb.superuser()).collection('users').getList(1, 1, { filter: `email = "${LOCAL.email}"` });
  if (existing.totalItems === 0) {
    await client.collection('users').create({ ...LOCAL, passwordConfirm: LOCAL.password });
  }
  await client.collection('users').authWithPassword(LOCAL.email, LOCAL.password);
  return client;
}

/** Every way the local account could write a managed field; each must get 400. */
async function expectWritesRefused(pb: PocketBaseServer, fields: readonly string[]): Promise<void> {
  const client = await localAccount(pb);
  const id = client.authStore.record!.id;
  const admins = await (await pb.superuser()).collection('authelia_groups').getFirstListItem('name = "admins"');
  const bodies: Record<string, unknown>[] = [];
  for (const field of fields) {
    const value = field === 'memberOf' ? [admins.id] : field === 'roles' ? ['admin'] : ['admins'];
    bodies.push({ [field]: value }, { [`${field}+`]: value[0] });
  }
  for (const body of bodies) expect(await status(client.collection('users').update(id, body)), JSON.stringify(body)).toBeOneOf(REFUSED);
  const stored = await (await pb.superuser()).collection('users').getOne(id);
  for (const field of fields) expect(stored[field] ?? [], field).toEqual([]);
}

describe.each(VERSIONS)('the collection, however it is addressed, on PocketBase %s', (version) => {
  it.each([['USERS'], ['_pb_users_auth_']])('AUTHELIA_COLLECTION=%s: logins sync groups and clients cannot write them', async (collection) => {
    const stack = await startStack({ version, users: [alice], env: { AUTHELIA_COLLECTION: collection } });
    try {
      const { auth } = await ssoLogin(stack.pb.url, alice);
      expect(auth.record['groups']).toEqual(['admins', 'writers']);
      expect((await storedUser(stack.pb, alice.email))['groups']).toEqual(['admins', 'writers']);
      await expectWritesRefused(stack.pb, ['groups', 'memberOf']);
    } finally {
      await stack.close();
    }
  });

  it('keeps acting on the default collection after a superuser renamed it (its id is known from the start)', async () => {
    const stack = await startStack({ version, users: [alice] });
    try {
      await ssoLogin(stack.pb.url, alice);
      const superuser = await stack.pb.superuser();
      await superuser.collections.update('users', { name: 'members' });
      // A frontend asking for the groups scope itself, as the SDK's authWithOAuth2({ scopes }) does.
      stack.idp.setUser({ ...alice, groups: ['writers'] });
      const { auth } = await ssoLogin(stack.pb.url, alice, { collection: 'members', scopes: 'openid email profile groups' });
      expect(auth.record['groups']).toEqual(['writers']);
      const member = new PocketBase(stack.pb.url);
      member.authStore.save(auth.token, auth.record);
      expect(await status(member.collection('members').update(auth.record.id, { groups: ['admins'] }))).toBeOneOf(REFUSED);
      expect(await status(member.collection('members').update(auth.record.id, { name: 'still editable' }))).toBe(200);
    } finally {
      await stack.close();
    }
  });
});

describe.each(VERSIONS)('hooks tagged with the collections they guard, on PocketBase %s', (version) => {
  it('after a restart the hooks carry the collection id, so a rename keeps them on it', async () => {
    const stack = await startStack({ version, users: [alice] });
    let pb = stack.pb;
    const env = { AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET };
    try {
      await ssoLogin(pb.url, alice);
      pb = await pb.restart(env);
      const tags = JSON.parse(await readFile(join(pb.dataDir, 'pb_data', 'authelia_hook_tags.json'), 'utf8')) as { tags: string[] };
      const groupsId = (await (await pb.superuser()).collections.getOne('authelia_groups')).id;
      expect(tags.tags).toEqual(['_pb_users_auth_', 'authelia_groups', groupsId, 'users'].sort());
      const superuser = await pb.superuser();
      await superuser.collections.update('users', { name: 'members' });
      stack.idp.setUser({ ...alice, groups: ['writers'] });
      const { auth } = await ssoLogin(pb.url, alice, { collection: 'members', scopes: 'openid email profile groups' });
      expect(auth.record['groups']).toEqual(['writers']);
      const member = new PocketBase(pb.url);
      member.authStore.save(auth.token, auth.record);
      expect(await status(member.collection('members').update(auth.record.id, { groups: ['admins'] }))).toBeOneOf(REFUSED);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('a collection known only by name may not be renamed until a restart taught the hooks its id', async () => {
    const stack = await startStack({ version, users: [alice] });
    let pb = stack.pb;
    const env = { AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_COLLECTION: 'staff' };
    try {
      await (await pb.superuser()).collections.create({ name: 'staff', type: 'auth', fields: [], createRule: '', viewRule: 'id = @request.auth.id', updateRule: 'id = @request.auth.id' });
      // As on a first start with the hooks: nothing remembered yet.
      await rm(join(pb.dataDir, 'pb_data', 'authelia_hook_tags.json'));
      pb = await pb.restart(env);
      const superuser = await pb.superuser();
      const attempt = superuser.collections.update('staff', { name: 'team' });
      await expect(attempt).rejects.toMatchObject({ status: 400 });
      await expect(attempt).rejects.toThrow(/cannot be renamed until PocketBase has restarted once/);
      expect((await superuser.collections.getOne('staff'))['name']).toBe('staff');

      pb = await pb.restart(env);
      await (await pb.superuser()).collections.update('staff', { name: 'team' });
      const renamed = new PocketBase(pb.url);
      const created = await renamed.collection('team').create({ email: 'x@example.test', password: 'x-password-1', passwordConfirm: 'x-password-1' });
      await renamed.collection('team').authWithPassword('x@example.test', 'x-password-1');
      expect(await status(renamed.collection('team').update(created.id, { groups: ['admins'] }))).toBeOneOf(REFUSED);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('a collection the tagged hooks do not cover is refused with an error naming AUTHELIA_COLLECTION; a restart applies it', async () => {
    const stack = await startStack({ version, users: [alice] });
    let pb = stack.pb;
    const env = { AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_COLLECTION: 'staff' };
    const restart = async () => {
      pb = await pb.restart(env);
    };
    try {
      await (await pb.superuser()).collections.create({ name: 'STAFF', type: 'auth', fields: [] });
      await restart(); // hooks now tagged: users (remembered) and "staff"/"staff" (configured), not "STAFF"
      const logs = await pb.logs(/AUTHELIA_COLLECTION/);
      expect(logs).toMatch(/AUTHELIA_COLLECTION: \\"staff\\" is the collection \\"STAFF\\", which this process's hooks were not registered for.*restart PocketBase to apply it, or set AUTHELIA_COLLECTION=STAFF/);
      const staff = await (await pb.superuser()).collections.getOne('STAFF');
      expect(staff['oauth2'].providers).toEqual([]);
      await restart();
      const methods = await new PocketBase(pb.url).collection('STAFF').listAuthMethods();
      expect(methods.oauth2.providers.map((provider) => provider.name)).toEqual(['oidc']);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});

describe.each(VERSIONS)('guarded through every configuration state, on PocketBase %s', (version) => {
  it('valid with roles → invalid → unset → valid without roles: no step lets a client write a managed field', async () => {
    const stack = await startStack({ version, users: [alice], env: { AUTHELIA_ROLES: 'admin=admins' } });
    let pb = stack.pb;
    const restart = async (env: Record<string, string>) => {
      pb = await pb.restart(env);
    };
    const valid = { AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET };
    try {
      const { auth } = await ssoLogin(pb.url, alice);
      expect(auth.record['roles']).toEqual(['admin']);
      await expectWritesRefused(pb, ['groups', 'memberOf', 'roles']);

      await restart({ ...valid, AUTHELIA_PKCE: 'maybe' }); // any typo
      await expectWritesRefused(pb, ['groups', 'memberOf', 'roles']);

      await restart({}); // AUTHELIA_URL unset
      await expectWritesRefused(pb, ['groups', 'memberOf', 'roles']);

      await restart(valid); // valid, AUTHELIA_ROLES no longer set
      await expectWritesRefused(pb, ['groups', 'memberOf', 'roles']);
      expect((await storedUser(pb, alice.email))['roles']).toEqual([]);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('a collection no longer managed is cleared at the next valid boot and stays guarded', async () => {
    const stack = await startStack({ version, users: [alice] });
    let pb = stack.pb;
    try {
      await ssoLogin(pb.url, alice);
      const superuser = await pb.superuser();
      await superuser.collections.create({ name: 'staff', type: 'auth', fields: [] });
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_COLLECTION: 'staff' });
      const stored = await storedUser(pb, alice.email);
      expect(stored['groups']).toEqual([]);
      expect(stored['memberOf']).toEqual([]);
      await expectWritesRefused(pb, ['groups', 'memberOf']);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});

describe.each(VERSIONS)('exact after every login, on PocketBase %s', (version) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [alice] });
  });
  afterAll(() => stack?.close());

  it('repairs a hand edit of memberOf that keeps its length', async () => {
    await ssoLogin(stack.pb.url, alice);
    const superuser = await stack.pb.superuser();
    const other = await superuser.collection('authelia_groups').create({ name: 'ops' });
    const another = await superuser.collection('authelia_groups').create({ name: 'sales' });
    const record = await storedUser(stack.pb, alice.email);
    await superuser.collection('users').update(record.id, { memberOf: [other.id, another.id] });
    const { auth } = await ssoLogin(stack.pb.url, alice, { });
    const names = async (model: RecordModel) =>
      (await superuser.collection('users').getOne(model.id, { expand: 'memberOf' })).expand?.['memberOf'].map((group: RecordModel) => group['name']);
    expect(await names(auth.record)).toEqual(['admins', 'writers']);
    expect(auth.record['memberOf']).toHaveLength(2);
    expect(auth.record['memberOf']).not.toContain(other.id);
  });

  // From the second login on, a login whose claims, record and group records are as the last
  // clean login left them takes the fast path (src/core/login/fast-path-rules.ts): each case below logs in
  // twice first, so that the login under test is one the fast path would take if it missed the change.
  it('on the fast path, a hand edit of groups, memberOf and roles is still undone', async () => {
    await ssoLogin(stack.pb.url, alice);
    await ssoLogin(stack.pb.url, alice);
    const superuser = await stack.pb.superuser();
    const record = await storedUser(stack.pb, alice.email);
    const admins = await superuser.collection('authelia_groups').getFirstListItem('name = "admins"');
    await superuser.collection('users').update(record.id, { groups: ['admins', 'writers', 'root'], memberOf: [admins.id] });
    const { auth } = await ssoLogin(stack.pb.url, alice);
    expect(auth.record['groups']).toEqual(['admins', 'writers']);
    expect(auth.record['memberOf']).toHaveLength(2);
    const stored = await superuser.collection('users').getOne(record.id, { expand: 'memberOf' });
    expect(stored['groups']).toEqual(['admins', 'writers']);
    expect(stored.expand?.['memberOf'].map((group: RecordModel) => group['name'])).toEqual(['admins', 'writers']);
  });

  it('on the fast path, a changed claim still lands', async () => {
    await ssoLogin(stack.pb.url, alice);
    await ssoLogin(stack.pb.url, alice);
    stack.idp.setUser({ ...alice, groups: ['admins'] });
    try {
      const { auth } = await ssoLogin(stack.pb.url, alice);
      expect(auth.record['groups']).toEqual(['admins']);
      expect((await storedUser(stack.pb, alice.email))['memberOf']).toHaveLength(1);
    } finally {
      stack.idp.setUser(alice);
    }
    const { auth } = await ssoLogin(stack.pb.url, alice);
    expect(auth.record['groups']).toEqual(['admins', 'writers']);
  });

  it('on the fast path, a renamed group record is put right (membership is by name)', async () => {
    await ssoLogin(stack.pb.url, alice);
    await ssoLogin(stack.pb.url, alice);
    const superuser = await stack.pb.superuser();
    const writers = await superuser.collection('authelia_groups').getFirstListItem('name = "writers"');
    await superuser.collection('authelia_groups').update(writers.id, { name: 'editors' });
    await ssoLogin(stack.pb.url, alice);
    const record = await storedUser(stack.pb, alice.email);
    const stored = await superuser.collection('users').getOne(record.id, { expand: 'memberOf' });
    expect(stored.expand?.['memberOf'].map((group: RecordModel) => group['name'])).toEqual(['admins', 'writers']);
  });

  it('still writes nothing when nothing differs', async () => {
    const before = await storedUser(stack.pb, alice.email);
    await ssoLogin(stack.pb.url, alice);
    expect((await storedUser(stack.pb, alice.email))['updated']).toBe(before['updated']);
  });
});

describe.each(VERSIONS)('a refused login takes access away, on PocketBase %s', (version) => {
  const staff = { username: 'sol', password: 'sol-password', name: 'Sol', email: 'sol@example.test', groups: ['staff', 'admins'] };
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [staff], env: { AUTHELIA_ALLOWED_GROUPS: 'staff' } });
    await (await stack.pb.superuser()).collections.create({
      name: 'admin_notes', type: 'base', fields: [{ name: 'text', type: 'text' }], listRule: ADMINS_ONLY, viewRule: ADMINS_ONLY, createRule: null,
    });
    await (await stack.pb.superuser()).collection('admin_notes').create({ text: 'for admins' });
  });
  afterAll(() => stack?.close());

  it('a member who left the allowed group loses their groups, and their old token neither refreshes nor passes a rule', async () => {
    const { auth } = await ssoLogin(stack.pb.url, staff);
    const old = new PocketBase(stack.pb.url);
    old.autoCancellation(false);
    old.authStore.save(auth.token, auth.record);
    expect((await old.collection('admin_notes').getList()).totalItems).toBe(1);

    stack.idp.setUser({ ...staff, groups: ['admins'] });
    await expect(ssoLogin(stack.pb.url, staff)).rejects.toMatchObject({ status: 403 });
    const stored = await storedUser(stack.pb, staff.email);
    expect(stored['groups']).toEqual([]);
    expect(stored['memberOf']).toEqual([]);
    expect(await status(old.collection('users').authRefresh())).toBe(401);
    // PocketBase treats a token it cannot verify as no token: the rule sees a guest.
    expect((await old.collection('admin_notes').getList()).totalItems).toBe(0);
  });
});

describe.each(VERSIONS)('Authelia-only accounts, on PocketBase %s', (version) => {
  it('a linked record with a password gets the answer to a wrong password whatever the password; AUTHELIA_ONLY=false allows it; local accounts are unaffected', async () => {
    const stack = await startStack({ version, users: [alice] });
    let pb = stack.pb;
    try {
      const { auth } = await ssoLogin(pb.url, alice);
      // A superuser's slip, or a password-reset email: the Authelia account gets a password.
      await (await pb.superuser()).collection('users').update(auth.record.id, { password: 'set-by-hand-1', passwordConfirm: 'set-by-hand-1' });
      const client = new PocketBase(pb.url);
      // The right password and a wrong one get the same answer, PocketBase's own to a wrong
      // password (also what an unknown email gets): nothing confirms a guessed password.
      const answers = [];
      for (const password of ['set-by-hand-1', 'wrong-password-1']) answers.push(await answer(client.collection('users').authWithPassword(alice.email, password)));
      answers.push(await answer(client.collection('users').authWithPassword('nobody@example.test', 'wrong-password-1')));
      expect(answers[0]).toEqual({ status: 400, body: answers[2]!.body });
      expect(answers[1]).toEqual(answers[0]);
      // A one-time password is refused the same way (the OTP is created as a superuser would,
      // instead of read from an email).
      const superuser = await pb.superuser();
      await superuser.collections.update('users', { otp: { enabled: true, duration: 300, length: 8 } });
      const otp = await superuser.collection('_otps').create({ collectionRef: auth.record.collectionId, recordRef: auth.record.id, password: '12345678' });
      const viaOtp = client.collection('users').authWithOTP(otp.id, '12345678');
      await expect(viaOtp).rejects.toMatchObject({ status: 403 });
      await expect(viaOtp).rejects.toThrow(/signs in with Authelia only/);
      // Another OAuth2 provider (here a second slot at the same IdP) is refused too.
      const users = await superuser.collections.getOne('users');
      const managed = users['oauth2'].providers.find((p: { name: string }) => p.name === 'oidc');
      await superuser.collections.update('users', {
        oauth2: { enabled: true, providers: [{ ...managed, clientSecret: CLIENT_SECRET }, { ...managed, name: 'oidc2', clientSecret: CLIENT_SECRET, extra: {} }] },
      });
      const viaOther = ssoLogin(pb.url, alice, { provider: 'oidc2', scopes: 'openid email profile' });
      await expect(viaOther).rejects.toMatchObject({ status: 403 });
      await expect(viaOther).rejects.toThrow(/signs in with Authelia only/);
      // Never-linked local accounts keep signing in with their password.
      await localAccount(pb);

      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_ONLY: 'false' });
      const allowed = await new PocketBase(pb.url).collection('users').authWithPassword(alice.email, 'set-by-hand-1');
      expect(allowed.record.id).toBe(auth.record.id);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});

describe.each(VERSIONS)('what rules trust beyond the user record, on PocketBase %s', (version) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [alice] });
  });
  afterAll(() => stack?.close());

  it('group names stay read-only for clients even if a superuser opens the groups collection', async () => {
    const { auth } = await ssoLogin(stack.pb.url, alice);
    const superuser = await stack.pb.superuser();
    await superuser.collections.update('authelia_groups', { listRule: '', viewRule: '', createRule: '', updateRule: '' });
    const writers = await superuser.collection('authelia_groups').getFirstListItem('name = "writers"');
    const asAlice = new PocketBase(stack.pb.url);
    asAlice.authStore.save(auth.token, auth.record);
    // Renaming "writers" to "admins" would hand every writer a rule meant for admins.
    expect(await status(asAlice.collection('authelia_groups').update(writers.id, { name: 'admins2' }))).toBe(400);
    expect(await status(asAlice.collection('authelia_groups').create({ name: 'root' }))).toBe(400);
    expect((await superuser.collection('authelia_groups').getOne(writers.id))['name']).toBe('writers');
  });

  it('a password account that links to Authelia (AUTHELIA_ONLY) loses the sessions its password opened', async () => {
    const bob = { username: 'bob', password: 'bob-password', name: 'Bob', email: 'bob@example.test', groups: ['dev'] };
    stack.idp.setUser(bob);
    const superuser = await stack.pb.superuser();
    await superuser.collection('users').create({ email: bob.email, password: 'bob-local-pass-1', passwordConfirm: 'bob-local-pass-1', verified: true });
    const byPassword = new PocketBase(stack.pb.url);
    await byPassword.collection('users').authWithPassword(bob.email, 'bob-local-pass-1');
    const { auth } = await ssoLogin(stack.pb.url, bob);
    expect(auth.record['groups']).toEqual(['dev']);
    expect(await status(byPassword.collection('users').authRefresh())).toBe(401);
    const bySso = new PocketBase(stack.pb.url);
    bySso.authStore.save(auth.token, auth.record);
    expect(await status(bySso.collection('users').authRefresh())).toBe(200);
  });
});

describe.each(VERSIONS)('the Authelia link and the sign-up itself, on PocketBase %s', (version) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [alice], env: { AUTHELIA_SWEEP: 'off' } });
  });
  afterAll(() => stack?.close());

  it('an Authelia account cannot choose a password, the verified flag or another email at sign-up', async () => {
    const mallory = { username: 'mallory', password: 'mallory-password', name: 'Mallory', email: 'mallory@example.test', groups: ['admins'] };
    stack.idp.setUser(mallory);
    for (const createData of [{ password: 'mallory-local-1', passwordConfirm: 'mallory-local-1' }, { verified: true }, { email: 'boss@example.test' }]) {
      const attempt = ssoLogin(stack.pb.url, mallory, { createData });
      await expect(attempt, JSON.stringify(createData)).rejects.toMatchObject({ status: 400 });
      await expect(attempt).rejects.toThrow(/cannot be set in createData/);
    }
    const superuser = await stack.pb.superuser();
    expect((await superuser.collection('users').getList(1, 1, { filter: 'email = "mallory@example.test" || email = "boss@example.test"' })).totalItems).toBe(0);
    // Its own email (what Authelia says) is fine.
    const { auth } = await ssoLogin(stack.pb.url, mallory, { createData: { email: mallory.email } });
    expect(auth.record['groups']).toEqual(['admins']);
  });

  it('a user cannot delete their own Authelia link; a superuser unlinking takes the groups away and ends the sessions', async () => {
    const { auth } = await ssoLogin(stack.pb.url, alice);
    const own = new PocketBase(stack.pb.url);
    own.autoCancellation(false);
    own.authStore.save(auth.token, auth.record);
    const links = await own.collection('_externalAuths').getFullList();
    expect(links).toHaveLength(1);
    const attempt = own.collection('_externalAuths').delete(links[0]!.id);
    await expect(attempt).rejects.toMatchObject({ status: 403 });
    await expect(attempt).rejects.toThrow(/only be removed by an administrator/);

    const superuser = await stack.pb.superuser();
    await superuser.collection('_externalAuths').delete(links[0]!.id);
    const stored = await storedUser(stack.pb, alice.email);
    expect(stored['groups']).toEqual([]);
    expect(stored['memberOf']).toEqual([]);
    expect(await status(own.collection('users').authRefresh())).toBe(401);
    // Signing in with Authelia again links the account again, with its groups.
    const again = await ssoLogin(stack.pb.url, alice);
    expect(again.auth.record['groups']).toEqual(['admins', 'writers']);
  });

  it('a managed field deleted and added again with another type (a new id) stays read-only for clients', async () => {
    const superuser = await stack.pb.superuser();
    const users = await superuser.collections.getOne('users');
    await superuser.collections.update('users', { fields: (users['fields'] as Array<{ name: string }>).filter((field) => field.name !== 'groups') });
    const without = await superuser.collections.getOne('users');
    await superuser.collections.update('users', { fields: [...(without['fields'] as unknown[]), { name: 'groups', type: 'select', maxSelect: 2, values: ['admins', 'dev'] }] });
    const client = await localAccount(stack.pb);
    expect(await status(client.collection('users').update(client.authStore.record!.id, { groups: ['admins'] }))).toBeOneOf(REFUSED);
  });
});

describe.each(VERSIONS)('sync after linking, on PocketBase %s', (version) => {
  // Makes PocketBase's own linking step fail: the external-auth record cannot be saved.
  const failLinking = { 'zz-fail-linking.pb.js': 'onRecordCreate((e) => { throw new BadRequestError("linking refused on purpose"); }, "_externalAuths");\n' };

  it('a login whose linking step fails leaves the record untouched', async () => {
    const stack = await startStack({ version, users: [alice], extraHooks: failLinking });
    try {
      // A password account with Alice's verified email: the first Authelia login would link it.
      const superuser = await stack.pb.superuser();
      const local = await superuser.collection('users').create({ email: alice.email, password: 'local-password-1', passwordConfirm: 'local-password-1', verified: true, name: 'Local Alice' });
      await expect(ssoLogin(stack.pb.url, alice)).rejects.toMatchObject({ status: 400 });
      const after = await superuser.collection('users').getOne(local.id);
      expect(after['groups'] ?? null).toBeNull();
      expect(after['memberOf']).toEqual([]);
      expect(after['name']).toBe('Local Alice');
      expect(after['updated']).toBe(local['updated']);
    } finally {
      await stack.close();
    }
  });
});

describe.each(VERSIONS)('the guard without the hooks, on PocketBase %s', (version) => {
  it('the collection rules keep the managed fields read-only for clients after pb_hooks is removed; the admin rule text is kept and null rules stay null', async () => {
    const stack = await startStack({ version, users: [alice], env: { AUTHELIA_ROLES: 'editor=writers' } });
    let pb: PocketBaseServer = stack.pb;
    try {
      await ssoLogin(pb.url, alice); // an Authelia sign-up passes the create rule's clauses
      const clauses = '@request.body.groups:isset = false && @request.body.memberOf:isset = false && @request.body.roles:isset = false';
      let superuser = await pb.superuser();
      // An admin writes their own rule (dropping the clauses, as a hand edit might); the next boot puts them back in front.
      await superuser.collections.update('users', { updateRule: 'id = @request.auth.id && name != "locked"' });
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_ROLES: 'editor=writers' });
      superuser = await pb.superuser();
      const users = await superuser.collections.getOne('users');
      expect(users['createRule']).toBe(clauses);
      expect(users['updateRule']).toBe(`${clauses} && (id = @request.auth.id && name != "locked")`);
      const groups = await superuser.collections.getOne('authelia_groups');
      expect([groups['createRule'], groups['updateRule']]).toEqual([null, null]);
      // A restart with the same settings changes nothing.
      const before = users['updated'];
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_ROLES: 'editor=writers' });
      expect((await (await pb.superuser()).collections.getOne('users'))['updated']).toBe(before);

      // The hooks folder goes missing (a volume not mounted): PocketBase alone must still refuse.
      await pb.stop();
      pb = await startPocketBase({ version, dataDir: pb.dataDir, hooksDir: null });
      const client = await localAccount(pb);
      const id = client.authStore.record!.id;
      for (const body of [{ groups: ['admins'] }, { memberOf: [] }, { '+memberOf': 'x' }, { roles: ['editor'] }, { 'roles+': 'editor' }]) {
        expect(await status(client.collection('users').update(id, body)), JSON.stringify(body)).toBe(404);
      }
      expect(await status(new PocketBase(pb.url).collection('users').create({ email: 'new@example.test', password: 'new-password-1', passwordConfirm: 'new-password-1', groups: ['admins'] }))).toBe(400);
      expect(await status(client.collection('users').update(id, { name: 'x' }))).toBe(200);
      const stored = await (await pb.superuser()).collection('users').getOne(id);
      expect([stored['groups'], stored['name']]).toEqual([null, 'x']);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});
