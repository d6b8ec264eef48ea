// The real user-backend outage: Authelia on an LDAP backend (Debian's slapd), and slapd stopped.
// Authelia then answers userinfo with its fallback (200, no lookup), as it does for a removed user:
// nobody may lose access for it, the status shows the outage, and once slapd is back a user removed
// meanwhile loses access at the next check.
import { describe, expect, it } from 'vitest';
import { refresh, sleep, sweepNow } from '../support/revalidation.js';
import { storedUser } from '../support/stack.js';
import { startSlapd } from '../../testkit/authelia/slapd.js';
import type { RealUser } from '../../testkit/authelia/config.js';
import { gridPairs } from './grid.js';
import { withRealStack, WITH_OFFLINE_ACCESS } from './real-stack.js';

const SCENARIO_TIMEOUT = 180_000;
const SWEEP_BY_HAND = '0 0 1 1 *';

function person(name: string, groups: string[]): RealUser & { email: string; groups: string[] } {
  return { username: name, password: `${name}-password-1`, displayname: name, email: `${name}@example.test`, groups };
}

describe.concurrent.each(gridPairs().filter(([a]) => !a.startsWith('4.38.0')))('Authelia %s on LDAP with PocketBase %s', (autheliaVersion, pocketbaseVersion) => {
  it('a group change in LDAP reaches the record at the next check; slapd stopped costs nobody anything and shows as an outage; after recovery a removal made meanwhile lands', { timeout: SCENARIO_TIMEOUT }, async () => {
    let team = [person('ann', ['staff']), person('ben', ['staff']), person('cat', ['staff'])];
    const slapd = await startSlapd(team);
    try {
      const env = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: SWEEP_BY_HAND };
      await withRealStack({ autheliaVersion, pocketbaseVersion, ldap: slapd.backend, totpUsers: team.map((u) => u.username), offlineAccess: true, env }, async (stack) => {
        const tokens = new Map<string, string>();
        for (const user of team) tokens.set(user.username, (await stack.login(user)).auth.token);

        team = team.map((u) => (u.username === 'ben' ? { ...u, groups: ['staff', 'ops'] } : u));
        await slapd.setUsers(team);
        await sleep(1_200);
        const ben = await refresh(stack, tokens.get('ben')!);
        expect(ben.status).toBe(200);
        expect(ben.record['groups']).toEqual(['ops', 'staff']);
        tokens.set('ben', ben.token);

        await slapd.stop();
        await sleep(1_200);
        for (const user of team) {
          const refreshed = await refresh(stack, tokens.get(user.username)!);
          expect(refreshed.status, `${user.username} while slapd is down`).toBe(200);
          expect(refreshed.record['groups']).toEqual([...user.groups].sort());
          tokens.set(user.username, refreshed.token);
        }
        expect(await sweepNow(stack)).toMatchObject({ checked: 3, ended: 0 });
        const superuser = await stack.pb.superuser();
        const during = (await superuser.send('/api/authelia/status', {})).revalidation;
        expect(during.outage).toMatchObject({ kind: 'user-backend' });
        for (const user of team) expect((await storedUser(stack.pb, user.email))['groups']).toEqual([...user.groups].sort());
        // 4.39 logs the failed lookup; 4.38 answers its fallback without a word.
        if (autheliaVersion.startsWith('4.39.')) expect(stack.authelia.output()).toMatch(/error occurred loading user information|unable to retrieve user details|dial tcp/i);

        await slapd.start();
        await slapd.removeUser('cat', team);
        team = team.filter((u) => u.username !== 'cat');
        expect(await sweepNow(stack)).toMatchObject({ checked: 3, ended: 1, failed: 0 });
        expect((await storedUser(stack.pb, 'cat@example.test'))['groups']).toEqual([]);
        const cat = await refresh(stack, tokens.get('cat')!);
        expect(cat.status).toBe(401);
        for (const user of team) expect((await refresh(stack, tokens.get(user.username)!)).status, user.username).toBe(200);
        expect((await superuser.send('/api/authelia/status', {})).revalidation.outage).toBeNull();
      });
    } finally {
      await slapd.close();
    }
  });
});
