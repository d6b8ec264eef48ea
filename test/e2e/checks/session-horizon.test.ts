// Until when a record's PocketBase sessions may be alive (`sessionUntil` in the token vault): every
// token PocketBase hands out for a linked record keeps the record under the sweep's checks until
// that token expires, whatever its lifetime, and a table from a release without the column counts
// every record as alive for the longest token lifetime that can be in use.
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TIMED_VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { person, sleep, sweepNow, withStack } from '../../support/revalidation.js';
import { CLIENT_SECRET, ssoLogin, type Stack } from '../../support/stack.js';

const TIMEOUT = 180_000;
/** Never on its own during a test: runs come from sweepNow. */
const SWEEP_BY_HAND = '0 0 1 1 *';
const DAY_S = 86_400;
const run = promisify(execFile);

async function aliveUntil(stack: Pick<Stack, 'pb'>, recordId: string): Promise<number> {
  const rows = (await (await stack.pb.superuser()).send('/api/authelia/status/records', {})).items as Array<{ recordId: string; sessionsAliveUntil: string | null }>;
  const row = rows.find((item) => item.recordId === recordId);
  return Date.parse(row?.sessionsAliveUntil ?? '');
}

/** A request only a signed-in record gets answered: 200 while the token works. */
async function meStatus(stack: Pick<Stack, 'pb'>, token: string): Promise<number> {
  return (await fetch(`${stack.pb.url}/api/authelia/status/me`, { headers: { authorization: token } })).status;
}

describe.concurrent.each(TIMED_VERSIONS)('sessions that may be alive on PocketBase %s', (version) => {
  it("a superuser's impersonation token that outlives the record's other tokens keeps the record under the sweep's checks", { timeout: TIMEOUT }, async () => {
    const ada = person('ada', ['staff']);
    await withStack({ version, users: [ada], env: { AUTHELIA_SWEEP: SWEEP_BY_HAND, AUTHELIA_REVALIDATE_AFTER: 'off' } }, async (stack) => {
      const superuser = await stack.pb.superuser();
      // The record's own tokens live 10 s (PocketBase's shortest); the impersonation token an hour.
      await superuser.collections.update('users', { authToken: { duration: 10 } });
      const login = await ssoLogin(stack.pb.url, ada);
      const impersonated = await superuser.collection('users').impersonate(login.auth.record.id, 3600);
      const token = impersonated.authStore.token;
      expect(await meStatus(stack, token)).toBe(200);
      await sleep(13_000); // the login's token, and the margin noted with it, have passed
      expect(await meStatus(stack, token)).toBe(200);

      stack.idp.removeUser('ada');
      expect(await sweepNow(stack)).toMatchObject({ checked: 1, ended: 1 });
      expect(await meStatus(stack, token)).toBe(401);
    });
  });

  it('an upgrade from a table without sessionUntil counts the live sessions for the auth-token lifetime the collection really has', { timeout: TIMEOUT }, async () => {
    const bea = person('bea', ['staff']);
    const env = { AUTHELIA_SWEEP: SWEEP_BY_HAND };
    await withStack({ version, users: [bea], env }, async (stack) => {
      // 30 days, longer than PocketBase's default of 7.
      await (await stack.pb.superuser()).collections.update('users', { authToken: { duration: 30 * DAY_S } });
      const login = await ssoLogin(stack.pb.url, bea);
      await stack.pb.stop();
      // As a release before sessionUntil left the table.
      await run('sqlite3', [join(stack.pb.dataDir, 'pb_data', 'data.db'), 'ALTER TABLE _authelia_tokens DROP COLUMN sessionUntil']);
      const upgradedAt = Date.now();
      const pb = await stack.pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...env });
      try {
        // The login's PocketBase token is valid for 30 days: no earlier horizon may free the record from the sweep.
        expect(await aliveUntil({ pb }, login.auth.record.id)).toBeGreaterThanOrEqual(upgradedAt + 30 * DAY_S * 1000);
      } finally {
        await pb.destroy();
      }
    });
  });
});
