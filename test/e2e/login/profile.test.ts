import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

const paul = { username: 'paul', password: 'paul-password', name: 'Paul', email: 'paul@example.test', groups: ['dev'] };

describe.each(VERSIONS)('profile sync on PocketBase %s', (version) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [paul] });
  });
  afterAll(() => stack?.close());

  it('brings name and email up to date at the next login, keeping the same record', async () => {
    const first = await ssoLogin(stack.pb.url, paul);
    stack.idp.setUser({ ...paul, name: 'Paul Renamed', email: 'paul.new@example.test' });
    const second = await ssoLogin(stack.pb.url, paul);
    expect(second.auth.record.id).toBe(first.auth.record.id);
    expect(second.auth.record['name']).toBe('Paul Renamed');
    expect(second.auth.record['email']).toBe('paul.new@example.test');
    const stored = await storedUser(stack.pb, 'paul.new@example.test');
    expect(stored['name']).toBe('Paul Renamed');
    expect(stored['verified']).toBe(true);
  });

  it('keeps the old email when another record already uses the new one', async () => {
    const superuser = await stack.pb.superuser();
    await superuser.collection('users').create({ email: 'taken@example.test', password: 'a-password-123', passwordConfirm: 'a-password-123' });
    stack.idp.setUser({ ...paul, name: 'Paul Again', email: 'taken@example.test' });
    const { auth } = await ssoLogin(stack.pb.url, paul);
    expect(auth.record['email']).toBe('paul.new@example.test');
    expect(auth.record['name']).toBe('Paul Again');
    expect(await stack.pb.logs(/kept the old email/)).toContain('kept the old email');
  });
});

describe.each(VERSIONS)('AUTHELIA_SYNC_PROFILE=false on PocketBase %s', (version) => {
  it('leaves name and email as PocketBase created them', async () => {
    const stack = await startStack({ version, users: [paul], env: { AUTHELIA_SYNC_PROFILE: 'false' } });
    try {
      await ssoLogin(stack.pb.url, paul);
      stack.idp.setUser({ ...paul, name: 'Paul Renamed', email: 'paul.new@example.test', groups: ['ops'] });
      const { auth } = await ssoLogin(stack.pb.url, paul);
      expect(auth.record['name']).toBe('Paul');
      expect(auth.record['email']).toBe('paul@example.test');
      expect(auth.record['groups']).toEqual(['ops']);
      expect((await storedUser(stack.pb, paul.email))['name']).toBe('Paul');
    } finally {
      await stack.close();
    }
  });
});
