import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { freePort, newDataDir, serveExpectingExit, startPocketBase } from '../../../testkit/pocketbase.js';
import { CLIENT_SECRET, ssoLogin, startIdpFor, startStack, storedUser, type Stack } from '../../support/stack.js';

const dana = { username: 'dana', password: 'dana-password', name: 'Dana', email: 'dana@example.test', groups: ['ops', 'dev'] };

async function providerNames(serverUrl: string, collection = 'users'): Promise<string[]> {
  const body = await (await fetch(`${serverUrl}/api/collections/${collection}/auth-methods`)).json();
  return body.oauth2.providers.map((p: { name: string }) => p.name);
}

describe.each(VERSIONS)('configuration on PocketBase %s', (version) => {
  describe('custom slot, field, scopes, base path, _FILE secret and Authelia 4.38 claims', () => {
    let stack: Stack;
    beforeAll(async () => {
      const secretDir = await newDataDir();
      const secretFile = join(secretDir, 'client_secret');
      await writeFile(secretFile, `${CLIENT_SECRET}\n`);
      stack = await startStack({
        version,
        users: [dana],
        idp: { autheliaVersion: '4.38', issuerPath: '/authelia' },
        env: {
          AUTHELIA_CLIENT_SECRET: '',
          AUTHELIA_CLIENT_SECRET_FILE: secretFile,
          AUTHELIA_PROVIDER: 'oidc2',
          AUTHELIA_DISPLAY_NAME: 'Company SSO',
          AUTHELIA_GROUPS_FIELD: 'teams',
          AUTHELIA_SCOPES: 'openid,profile email groups',
        },
      });
    });
    afterAll(() => stack?.close());

    it('logs in through oidc2 and writes the groups into the custom field only', async () => {
      expect(stack.idp.issuer).toMatch(/\/authelia$/);
      const { auth, scope } = await ssoLogin(stack.pb.url, dana, { provider: 'oidc2' });
      expect(scope).toBe('openid profile email groups');
      expect(auth.record['teams']).toEqual(['dev', 'ops']);
      expect(auth.record['groups']).toBeUndefined();
      const superuser = await stack.pb.superuser();
      const users = await superuser.collections.getOne('users');
      expect(users['fields'].map((f: { name: string }) => f.name)).not.toContain('groups');
      expect(users['oauth2'].providers.map((p: { name: string; displayName: string }) => [p.name, p.displayName])).toEqual([['oidc2', 'Company SSO']]);
    });
  });

  it('restarts idempotently and keeps a provider an operator added by hand', async () => {
    const stack = await startStack({ version, users: [dana] });
    let pb = stack.pb;
    try {
      const superuser = await pb.superuser();
      const users = await superuser.collections.getOne('users');
      const manual = { name: 'oidc3', clientId: 'other-app', clientSecret: 'other-secret', authURL: 'https://other.example.test/auth', tokenURL: 'https://other.example.test/token', userInfoURL: 'https://other.example.test/userinfo', displayName: 'Other IdP', pkce: false };
      await superuser.collections.update('users', { oauth2: { ...users['oauth2'], providers: [...users['oauth2'].providers, manual] } });
      const before = await superuser.collections.getOne('users');

      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET });
      const after = await (await pb.superuser()).collections.getOne('users');
      expect(after['updated']).toBe(before['updated']);
      expect(after['oauth2'].providers.map((p: { name: string }) => p.name)).toEqual(['oidc', 'oidc3']);
      expect(after['oauth2'].providers[1]).toMatchObject({ clientId: 'other-app', displayName: 'Other IdP', authURL: manual.authURL });
      expect(await pb.logs(/Authelia login is on/)).toContain('"collectionChanged":false');
      const { auth } = await ssoLogin(pb.url, dana);
      expect(auth.record['groups']).toEqual(['dev', 'ops']);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('boots while Authelia is down, then logs in once it is up', async () => {
    const idpPort = await freePort();
    const pbPort = await freePort();
    const pb = await startPocketBase({
      version,
      port: pbPort,
      env: { AUTHELIA_URL: `http://127.0.0.1:${idpPort}`, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_DISCOVERY_TIMEOUT: '1' },
    });
    const idp = await startIdpFor(pbPort, [dana], { port: idpPort });
    try {
      expect(await pb.logs(/discovery failed/)).toMatch(/discovery failed, using Authelia's fixed endpoint paths/);
      const { auth } = await ssoLogin(pb.url, dana);
      expect(auth.record['groups']).toEqual(['dev', 'ops']);
    } finally {
      await pb.destroy();
      await idp.close();
    }
  });

  it('fails closed: an invalid configuration removes the provider an earlier boot registered', async () => {
    const stack = await startStack({ version, users: [dana] });
    let pb = stack.pb;
    try {
      expect(await providerNames(pb.url)).toEqual(['oidc']);
      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_PKCE: 'maybe' });
      expect(await providerNames(pb.url)).toEqual([]);
      const logs = await pb.logs(/invalid Authelia configuration/);
      expect(logs).toMatch(/AUTHELIA_PKCE: \\"maybe\\" is not a boolean/);
      expect(logs).toMatch(/removed the Authelia provider from \\"users\\"/);
      expect(logs).not.toContain(CLIENT_SECRET);

      // Unsetting AUTHELIA_URL switches the extension off, and off means no provider either.
      pb = await pb.restart({});
      expect(await providerNames(pb.url)).toEqual([]);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('reports a missing collection and a groups field of the wrong type, and changes nothing', async () => {
    const pb = await startPocketBase({ version, env: { AUTHELIA_URL: 'http://127.0.0.1:9', AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_COLLECTION: 'members' } });
    try {
      expect(await pb.logs(/AUTHELIA_COLLECTION/)).toMatch(/AUTHELIA_COLLECTION: no collection \\"members\\" exists/);
    } finally {
      await pb.destroy();
    }
    const wrongType = await startPocketBase({ version, env: { AUTHELIA_URL: 'http://127.0.0.1:9', AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_GROUPS_FIELD: 'name' } });
    try {
      expect(await wrongType.logs(/AUTHELIA_GROUPS_FIELD/)).toMatch(/AUTHELIA_GROUPS_FIELD: the field \\"name\\" of \\"users\\" is a text field, not json/);
      const users = await (await wrongType.superuser()).collections.getOne('users');
      expect(users['oauth2'].providers).toEqual([]);
      expect(users['fields'].find((f: { name: string }) => f.name === 'name')?.type).toBe('text');
    } finally {
      await wrongType.destroy();
    }
  });

  it('reports a collection that is not an auth collection, and registers nothing', async () => {
    const first = await startPocketBase({ version, env: {} });
    await (await first.superuser()).collections.create({ name: 'posts', type: 'base', fields: [{ name: 'title', type: 'text' }] });
    await first.stop();
    const pb = await startPocketBase({ version, dataDir: first.dataDir, env: { AUTHELIA_URL: 'http://127.0.0.1:9', AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_COLLECTION: 'posts' } });
    try {
      expect(await pb.logs(/AUTHELIA_COLLECTION/)).toMatch(/AUTHELIA_COLLECTION: \\"posts\\" is a base collection; name an auth collection/);
      const superuser = await pb.superuser();
      expect((await superuser.collections.getOne('posts'))['fields'].map((f: { name: string }) => f.name)).toEqual(['id', 'title']);
      expect((await superuser.collections.getOne('users'))['oauth2'].providers).toEqual([]);
    } finally {
      await pb.destroy();
    }
  });

  it('with AUTHELIA_STRICT=true, refuses to serve and names the variable', async () => {
    const { code, output } = await serveExpectingExit({
      version,
      env: { AUTHELIA_URL: 'http://127.0.0.1:9', AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, AUTHELIA_STRICT: 'true', AUTHELIA_PROVIDER: 'google' },
    });
    expect(code).not.toBe(0);
    expect(output).toContain('AUTHELIA_PROVIDER: must be one of oidc, oidc2, oidc3');
    expect(output).toContain('AUTHELIA_STRICT is on');
    expect(output).not.toContain(CLIENT_SECRET);
    expect(output).not.toContain('still answering');
  });

  it('refuses AUTHELIA_URL with a user and password, naming it, and never logs or shows them', async () => {
    const pb = await startPocketBase({ version, env: { AUTHELIA_URL: 'http://admin:hunter2-pw@127.0.0.1:9', AUTHELIA_CLIENT_SECRET: CLIENT_SECRET } });
    try {
      const logs = await pb.logs(/invalid Authelia configuration/);
      expect(logs).toContain('AUTHELIA_URL: \\"http://***@127.0.0.1:9\\" holds a user name or password');
      const status = await (await pb.superuser()).send('/api/authelia/status', {});
      expect(JSON.stringify(status)).toContain('AUTHELIA_URL');
      expect(`${logs}${JSON.stringify(status)}`).not.toContain('hunter2');
      expect(await providerNames(pb.url)).toEqual([]);
    } finally {
      await pb.destroy();
    }
  });
});

// A user signing in with the same email as an existing record is linked by PocketBase; the sync must follow.
describe.each(VERSIONS)('records that existed before the extension on PocketBase %s', (version) => {
  it('syncs groups onto an existing password user with the same verified email', async () => {
    const stack = await startStack({ version, users: [dana] });
    try {
      const superuser = await stack.pb.superuser();
      await superuser.collection('users').create({ email: dana.email, password: 'a-password-123', passwordConfirm: 'a-password-123', verified: true });
      const { auth } = await ssoLogin(stack.pb.url, dana);
      expect(auth.meta?.['isNew']).toBe(false);
      expect((await storedUser(stack.pb, dana.email))['groups']).toEqual(['dev', 'ops']);
    } finally {
      await stack.close();
    }
  });
});
