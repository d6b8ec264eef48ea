// The journey of Authelia's integration guide for PocketBase, on the real Authelia: the client as
// the guide registers it (two_factor, PKCE, basic auth, pbkdf2 digest), the official SDK's flow,
// the user's groups on the record.
import { describe, expect, it } from 'vitest';
import { storedUser } from '../support/stack.js';
import { withRealStack } from './real-stack.js';
import { journeyPairs } from './grid.js';

const john = { username: 'john', password: 'john-password-1', displayname: 'John Doe', email: 'john@example.test', groups: ['admins', 'dev'] };
const carol = { username: 'carol', password: 'carol-password-1', displayname: 'Carol', email: 'carol@example.test', groups: [] };

describe.each(journeyPairs())('Authelia %s with PocketBase %s', (autheliaVersion, pocketbaseVersion) => {
  it('signs john in with password and TOTP through the SDK flow and writes his groups onto his record', async () => {
    await withRealStack({ autheliaVersion, pocketbaseVersion, users: [john, carol] }, async (stack) => {
      const { auth, scope } = await stack.login(john);
      expect(scope).toBe('openid email profile groups');
      expect(auth.record['groups']).toEqual(['admins', 'dev']);
      expect(auth.meta?.['accessToken'] ?? '').toBe('');
      expect(auth.meta?.['refreshToken'] ?? '').toBe('');
      const stored = await storedUser(stack.pb, 'john@example.test');
      expect(stored['groups']).toEqual(['admins', 'dev']);
      expect(stored['name']).toBe('John Doe');

      const second = await stack.login(carol);
      expect(second.auth.record['groups']).toEqual([]);
      expect(stack.authelia.output()).toMatch(/second factor|totp/i);
    });
  }, 120_000);
});
