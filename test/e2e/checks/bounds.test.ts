// The bound outlives configuration changes: switching AUTHELIA_PROVIDER keeps the records linked
// through the old slot under checks, and an invalid or unset configuration neither frees records
// linked before tokens were kept nor lets a re-created managed field be written.
import PocketBase, { ClientResponseError } from 'pocketbase';
import { describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import type { PocketBaseServer } from '../../../testkit/pocketbase.js';
import { EXPIRED, GONE, person, refresh as refreshWith, sleep, sweepNow } from '../../support/revalidation.js';
import { CLIENT_SECRET, ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

const refresh = (pb: PocketBaseServer, token: string) => refreshWith({ pb }, token);

const TIMEOUT = 90_000;

/** A password account that signs in before any Authelia link exists, then gets linked by a superuser (as records linked by an older version). */
async function linkedBeforeTokensWereKept(pb: PocketBaseServer): Promise<{ token: string; id: string }> {
  const client = new PocketBase(pb.url);
  const credentials = { email: 'old@example.test', password: 'old-password-1' };
  const created = await client.collection('users').create({ ...credentials, passwordConfirm: credentials.password });
  const auth = await client.collection('users').authWithPassword(credentials.email, credentials.password);
  const superuser = await pb.superuser();
  await superuser.collection('_externalAuths').create({ collectionRef: created['collectionId'], recordRef: created.id, provider: 'oidc', providerId: 'old-subject' });
  return { token: auth.token, id: created.id };
}

/** A password account that has refreshed once: this process remembers that Authelia knows nothing of it. */
async function refreshedLocalAccount(pb: PocketBaseServer): Promise<{ created: { id: string; collectionId: string }; local: { token: string } }> {
  const client = new PocketBase(pb.url);
  const credentials = { email: 'local@example.test', password: 'local-password-1' };
  const created = await client.collection('users').create({ ...credentials, passwordConfirm: credentials.password });
  const auth = await client.collection('users').authWithPassword(credentials.email, credentials.password);
  const local = await refresh(pb, auth.token);
  expect(local.status).toBe(200);
  return { created: { id: created.id, collectionId: String(created['collectionId']) }, local };
}

describe.concurrent.each(VERSIONS)('bounds across configuration changes on PocketBase %s', (version) => {
  it('a local account this process already refreshed, then linked to Authelia by a superuser, comes under the bound: refused once AUTHELIA_MAX_SESSION passes without a check', { timeout: TIMEOUT }, async () => {
    const stack = await startStack({ version, users: [], env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_MAX_SESSION: '3s', AUTHELIA_SWEEP: 'off' } });
    try {
      const { created, local } = await refreshedLocalAccount(stack.pb);
      const superuser = await stack.pb.superuser();
      await superuser.collection('_externalAuths').create({ collectionRef: created.collectionId, recordRef: created.id, provider: 'oidc', providerId: 'linked-by-hand' });
      const linked = await refresh(stack.pb, local.token);
      expect(linked.status).toBe(200);
      await sleep(3_500);
      // No token to ask Authelia with, and no successful check within AUTHELIA_MAX_SESSION.
      const past = await refresh(stack.pb, linked.token);
      expect(past.status).toBe(401);
      expect(past.message).toMatch(EXPIRED);
    } finally {
      await stack.pb.destroy();
      await stack.idp.close();
    }
  });

  it('a refresh that reads the links while a superuser\'s link of a local account is still being written does not take the record for local again: it comes under the bound', { timeout: TIMEOUT }, async () => {
    // Holds PocketBase's write of the link after the extension's hook ran, the window a refresh can fall in.
    const slowLinking = { 'zz-slow-linking.pb.js': 'onRecordCreate((e) => { sleep(1500); e.next(); }, "_externalAuths");\n' };
    const stack = await startStack({ version, users: [], extraHooks: slowLinking, env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_MAX_SESSION: '3s', AUTHELIA_SWEEP: 'off' } });
    try {
      const { created, local } = await refreshedLocalAccount(stack.pb);
      const superuser = await stack.pb.superuser();
      const linking = superuser.collection('_externalAuths').create({ collectionRef: created.collectionId, recordRef: created.id, provider: 'oidc', providerId: 'linked-by-hand' });
      await sleep(500);
      // The link is not written yet: still a local account for this refresh.
      const during = await refresh(stack.pb, local.token);
      expect(during.status).toBe(200);
      await linking;
      const linked = await refresh(stack.pb, during.token);
      expect(linked.status).toBe(200);
      await sleep(3_500);
      const past = await refresh(stack.pb, linked.token);
      expect(past.status).toBe(401);
      expect(past.message).toMatch(EXPIRED);
    } finally {
      await stack.pb.destroy();
      await stack.idp.close();
    }
  });

  it('after AUTHELIA_PROVIDER moves to another slot, records linked through the old one stay under checks: the sweep ends a removed user, a current one goes on', { timeout: TIMEOUT }, async () => {
    const uma = person('uma', ['admins']);
    const vic = person('vic', ['admins']);
    // A lasting token key: without one, a restart drops the stored tokens (see token-key.test.ts).
    const env = { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: '0 0 1 1 *', AUTHELIA_TOKEN_KEY: 'k'.repeat(32) };
    const stack = await startStack({ version, users: [uma, vic], env });
    let pb = stack.pb;
    try {
      const umaLogin = (await ssoLogin(pb.url, uma)).auth;
      const vicLogin = (await ssoLogin(pb.url, vic)).auth;
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...env, AUTHELIA_PROVIDER: 'oidc2' });
      stack.idp.removeUser('vic');

      expect(await sweepNow({ pb })).toMatchObject({ checked: 2, ended: 1 });
      expect((await storedUser(pb, vic.email))['groups']).toEqual([]);
      const refused = await refresh(pb, vicLogin.token);
      expect(refused.status).toBe(401);

      // The current user is still checked at auth-refresh (Authelia asked, not PocketBase alone).
      await sleep(1_500);
      stack.idp.requests.length = 0;
      stack.idp.setUser({ ...uma, groups: ['dev'] });
      expect((await refresh(pb, umaLogin.token)).status).toBe(200);
      expect(stack.idp.requests.map((request) => request.path)).toContain('/api/oidc/userinfo');
      stack.idp.removeUser('uma');
      await sleep(1_500);
      const gone = await refresh(pb, umaLogin.token);
      expect(gone.status).toBe(401);
      expect(gone.message).toMatch(GONE);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('after AUTHELIA_COLLECTION moves to another collection, records linked in the old one stay under checks and the bound', { timeout: TIMEOUT }, async () => {
    const ann = person('ann', ['admins']);
    const bob = person('bob', ['admins']);
    // A lasting token key: without one, a restart drops the stored tokens (see token-key.test.ts).
    const env = { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: '0 0 1 1 *', AUTHELIA_TOKEN_KEY: 'k'.repeat(32) };
    const stack = await startStack({ version, users: [ann, bob], env });
    let pb = stack.pb;
    try {
      const annLogin = (await ssoLogin(pb.url, ann)).auth;
      const bobLogin = (await ssoLogin(pb.url, bob)).auth;
      await (await pb.superuser()).collections.create({ name: 'staff', type: 'auth', fields: [] });
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...env, AUTHELIA_COLLECTION: 'staff' });
      stack.idp.removeUser('bob');

      expect(await sweepNow({ pb })).toMatchObject({ checked: 2, ended: 1 });
      expect((await refresh(pb, bobLogin.token)).status).toBe(401);
      await sleep(1_500);
      stack.idp.requests.length = 0;
      expect((await refresh(pb, annLogin.token)).status).toBe(200);
      expect(stack.idp.requests.map((request) => request.path)).toContain('/api/oidc/userinfo');
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('with AUTHELIA_URL unset, a record linked before tokens were kept gets the AUTHELIA_MAX_SESSION bound from its first refresh', { timeout: TIMEOUT }, async () => {
    const stack = await startStack({ version, users: [], env: { AUTHELIA_SWEEP: 'off' } });
    let pb = stack.pb;
    try {
      const old = await linkedBeforeTokensWereKept(pb);
      pb = await pb.restart({ AUTHELIA_MAX_SESSION: '2s' });
      const first = await refresh(pb, old.token);
      expect(first.status).toBe(200);
      await sleep(2_500);
      const late = await refresh(pb, first.token);
      expect(late.status).toBe(401);
      expect(late.message).toMatch(EXPIRED);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('with AUTHELIA_URL unset, a managed field deleted and added again stays read-only for clients', { timeout: TIMEOUT }, async () => {
    const stack = await startStack({ version, users: [person('xen', ['admins'])] });
    let pb = stack.pb;
    try {
      await ssoLogin(pb.url, person('xen', ['admins']));
      pb = await pb.restart({});
      const superuser = await pb.superuser();
      const users = await superuser.collections.getOne('users');
      const others = users.fields.filter((field: { name: string }) => field.name !== 'groups');
      // The field goes, comes back with a new id (another type: PocketBase derives a field's id from
      // its type and name), and the admin rewrites the update rule by hand:
      // only the hooks stand between a client and the field until the next boot.
      await superuser.collections.update('users', { fields: others, updateRule: 'id = @request.auth.id' });
      await superuser.collections.update('users', { fields: [...others, { name: 'groups', type: 'select', values: ['admins', 'dev'], maxSelect: 2 }] });

      const client = new PocketBase(pb.url);
      const credentials = { email: 'local@example.test', password: 'local-password-1' };
      await client.collection('users').create({ ...credentials, passwordConfirm: credentials.password });
      const auth = await client.collection('users').authWithPassword(credentials.email, credentials.password);
      const attempt = client.collection('users').update(auth.record.id, { groups: ['admins'] });
      await expect(attempt).rejects.toBeInstanceOf(ClientResponseError);
      await expect(attempt).rejects.toMatchObject({ status: 400 });
      expect((await superuser.collection('users').getOne(auth.record.id))['groups']).toEqual([]);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});
