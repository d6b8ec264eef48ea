import PocketBase from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { CLIENT_SECRET, ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

const ana = { username: 'ana', password: 'ana-password', name: 'Ana', email: 'ana@example.test', groups: ['dev'], sub: '11111111-1111-4111-8111-111111111111' };
// Another Authelia account with the same email: another person as far as we can tell.
const impostor = { username: 'ana2', password: 'ana2-password', name: 'Not Ana', email: 'ana@example.test', groups: ['admins'], sub: '22222222-2222-4222-8222-222222222222' };

describe.each(VERSIONS)('operating it on PocketBase %s', (version) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [ana, impostor] });
  });
  afterAll(() => stack?.close());

  it('never merges a second Authelia account into a record that belongs to another one, and ends that record\'s sessions', async () => {
    const { auth } = await ssoLogin(stack.pb.url, ana);
    expect(auth.record['groups']).toEqual(['dev']);
    const attempt = ssoLogin(stack.pb.url, impostor);
    await expect(attempt).rejects.toMatchObject({ status: 403 });
    await expect(attempt).rejects.toThrow(/already belongs to another Authelia account/);
    const after = await storedUser(stack.pb, ana.email);
    // The record's Authelia identity is in doubt (e.g. the user was renamed in Authelia):
    // it keeps nothing and its sessions end, until its owner signs in again.
    expect(after['groups']).toEqual([]);
    const old = new PocketBase(stack.pb.url);
    old.authStore.save(auth.token, auth.record);
    await expect(old.collection('users').authRefresh()).rejects.toMatchObject({ status: 401 });
    // The rightful owner still gets in, with their groups back.
    const again = await ssoLogin(stack.pb.url, ana);
    expect(again.auth.record.id).toBe(auth.record.id);
    expect(again.auth.record['groups']).toEqual(['dev']);
  });

  it('shows superusers a status page with the effective configuration and never the secret', async () => {
    const superuser = await stack.pb.superuser();
    const status = await superuser.send('/api/authelia/status', {});
    expect(status).toMatchObject({
      status: 'active',
      issuer: stack.idp.issuer,
      clientId: 'pocketbase',
      clientSecret: '(redacted)',
      collectionName: 'users',
      provider: 'oidc',
      scopes: ['openid', 'email', 'profile', 'groups'],
      endpoints: { source: 'discovery', userInfoURL: `${stack.idp.issuer}/api/oidc/userinfo` },
      discovery: { issuerMatched: true },
      login: { groupsField: 'groups', membershipField: 'memberOf', groupsCollection: 'authelia_groups' },
    });
    expect(status.lastLoginProblem).toMatchObject({ sub: impostor.sub, message: expect.stringMatching(/another Authelia account/) });
    expect(status.autheliaOnly).toBe(true);
    expect(status.guarded).toEqual(expect.arrayContaining([
      { collection: 'users', fields: ['groups', 'memberOf'], providers: ['oidc'] },
      { collection: 'authelia_groups', fields: ['name'], providers: [] },
    ]));
    expect(JSON.stringify(status)).not.toContain(CLIENT_SECRET);
  });

  it('refuses the status page to users and to anonymous clients', async () => {
    const { auth } = await ssoLogin(stack.pb.url, ana);
    const user = new PocketBase(stack.pb.url);
    user.authStore.save(auth.token, auth.record);
    await expect(user.send('/api/authelia/status', {})).rejects.toMatchObject({ status: 403 });
    await expect(new PocketBase(stack.pb.url).send('/api/authelia/status', {})).rejects.toMatchObject({ status: 401 });
  });

  it('lets a renamed account in once a superuser unlinked the old one, as the README says', async () => {
    const renamed = { ...ana, username: 'ana.renamed', password: 'renamed-password', sub: '33333333-3333-4333-8333-333333333333', groups: ['dev', 'ops'] };
    stack.idp.setUser(renamed);
    await expect(ssoLogin(stack.pb.url, renamed)).rejects.toMatchObject({ status: 403 });
    const superuser = await stack.pb.superuser();
    const record = await storedUser(stack.pb, ana.email);
    for (const link of await superuser.collection('_externalAuths').getFullList({ filter: `recordRef = "${record.id}"` })) {
      await superuser.collection('_externalAuths').delete(link.id);
    }
    const { auth } = await ssoLogin(stack.pb.url, renamed);
    expect(auth.record.id).toBe(record.id);
    expect(auth.record['groups']).toEqual(['dev', 'ops']);
    // And now the old subject is the stranger.
    await expect(ssoLogin(stack.pb.url, ana)).rejects.toMatchObject({ status: 403 });
  });
});
