import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { CLIENT_SECRET, ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

const alice = { username: 'alice', password: 'alice-password', name: 'Alice Liddell', email: 'alice@example.test', groups: ['dev', 'admins', 'dev'] };
const bob = { username: 'bob', password: 'bob-password', name: 'Bob', email: 'bob@example.test', groups: undefined };
const carol = { username: 'carol', password: 'carol-password', name: 'Carol', email: 'carol@example.test', groups: null };

describe.each(VERSIONS)('login and group sync on PocketBase %s (Authelia 4.39: groups only at userinfo)', (version) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [alice, bob, carol] });
  });
  afterAll(() => stack?.close());

  it('registers the provider from the environment, with discovery and PKCE', async () => {
    const superuser = await stack.pb.superuser();
    const users = await superuser.collections.getOne('users');
    const provider = users['oauth2'].providers.find((p: { name: string }) => p.name === 'oidc');
    expect(users['oauth2'].enabled).toBe(true);
    expect(provider).toMatchObject({
      name: 'oidc',
      clientId: 'pocketbase',
      displayName: 'Authelia',
      pkce: true,
      authURL: `${stack.idp.issuer}/api/oidc/authorization`,
      tokenURL: `${stack.idp.issuer}/api/oidc/token`,
      userInfoURL: `${stack.idp.issuer}/api/oidc/userinfo`,
    });
    expect(users['fields'].find((f: { name: string }) => f.name === 'groups')).toMatchObject({ type: 'json', hidden: false });
    const logs = await stack.pb.logs(/Authelia login is on/);
    expect(logs).toMatch(/Authelia login is on for \\"users\\" as provider \\"oidc\\".*"endpoints":"discovery"/);
  });

  it('hands clients an authorization URL that asks for the groups scope, by name and by id', async () => {
    for (const address of ['users', '_pb_users_auth_']) {
      const response = await fetch(`${stack.pb.url}/api/collections/${address}/auth-methods`);
      const body = await response.json();
      const provider = body.oauth2.providers.find((p: { name: string }) => p.name === 'oidc');
      expect(new URL(provider.authURL).searchParams.get('scope')).toBe('openid email profile groups');
      expect(provider.codeChallengeMethod).toBe('S256');
    }
  });

  it('creates a new user with exactly their groups, already in the auth response', async () => {
    const { auth, scope } = await ssoLogin(stack.pb.url, alice);
    expect(scope).toBe('openid email profile groups');
    expect(auth.meta?.['isNew']).toBe(true);
    expect(auth.record['groups']).toEqual(['admins', 'dev']);
    const stored = await storedUser(stack.pb, alice.email);
    expect(stored['groups']).toEqual(['admins', 'dev']);
    expect(stored['name']).toBe(alice.name);
    expect(stored['verified']).toBe(true);
  });

  it('replaces the groups on the next login after they changed in Authelia', async () => {
    stack.idp.setUser({ ...alice, groups: ['readers'] });
    const { auth } = await ssoLogin(stack.pb.url, alice);
    expect(auth.meta?.['isNew']).toBe(false);
    expect(auth.record['groups']).toEqual(['readers']);
    expect((await storedUser(stack.pb, alice.email))['groups']).toEqual(['readers']);
  });

  it('gives a user without a groups claim no groups, and says why in the log', async () => {
    const { auth } = await ssoLogin(stack.pb.url, bob);
    expect(auth.record['groups']).toEqual([]);
    expect((await storedUser(stack.pb, bob.email))['groups']).toEqual([]);
    expect(await stack.pb.logs(/claim is missing/)).toMatch(/the \\"groups\\" claim is missing.*scope/);
  });

  it('treats a null groups claim as no groups, and clears groups a user lost', async () => {
    const { auth } = await ssoLogin(stack.pb.url, carol);
    expect(auth.record['groups']).toEqual([]);
    stack.idp.setUser({ ...alice, groups: null });
    const again = await ssoLogin(stack.pb.url, alice);
    expect(again.auth.record['groups']).toEqual([]);
    expect((await storedUser(stack.pb, alice.email))['groups']).toEqual([]);
  });

  it('never logs the client secret', async () => {
    const logs = await stack.pb.logs(/redacted/);
    expect(logs).toContain('(redacted)');
    expect(logs).not.toContain(CLIENT_SECRET);
    expect(stack.pb.output()).not.toContain(CLIENT_SECRET);
  });
});
