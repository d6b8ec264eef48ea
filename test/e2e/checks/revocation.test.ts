// Taking access away must always land: on a record that no longer validates (a superuser added a
// required field after the user signed up), and on a realtime connection that was open before.
import { describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { membersFeed } from '../../support/sse.js';
import { GONE, person, refresh, sleep, sweepNow, withStack } from '../../support/revalidation.js';
import { ssoLogin, storedUser, type Stack } from '../../support/stack.js';

const TIMEOUT = 90_000;

/** A superuser's ordinary schema change that makes every older record invalid. */
async function addRequiredField(stack: Stack): Promise<void> {
  const superuser = await stack.pb.superuser();
  const users = await superuser.collections.getOne('users');
  await superuser.collections.update('users', { fields: [...users.fields, { name: 'phone', type: 'text', required: true }] });
}

describe.concurrent.each(VERSIONS)('revocation on PocketBase %s', (version) => {
  it('a removed user loses access at auth-refresh even when a required field was added after they signed up', { timeout: TIMEOUT }, async () => {
    const rita = person('rita', ['admins']);
    await withStack({ version, users: [rita], env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, rita);
      await addRequiredField(stack);
      stack.idp.removeUser('rita');
      await sleep(1_500);

      const refused = await refresh(stack, auth.token);
      expect(refused).toMatchObject({ status: 401 });
      expect(refused.message).toMatch(GONE);
      const stored = await storedUser(stack.pb, rita.email);
      expect(stored['groups']).toEqual([]);
      expect(stored['memberOf']).toEqual([]);
      // The token key changed too: the old token is worth nothing.
      const view = await fetch(`${stack.pb.url}/api/collections/users/records/${auth.record.id}`, { headers: { authorization: auth.token } });
      expect(view.status).toBe(404);
    });
  });

  it('a group taken away at Authelia is taken away here even when the record no longer validates', { timeout: TIMEOUT }, async () => {
    const sam = person('sam', ['admins', 'dev']);
    await withStack({ version, users: [sam], env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, sam);
      await addRequiredField(stack);
      stack.idp.setUser({ ...sam, groups: ['dev'] });
      await sleep(1_500);

      expect((await refresh(stack, auth.token)).status).toBe(200);
      expect((await storedUser(stack.pb, sam.email))['groups']).toEqual(['dev']);
    });
  });

  it('a login that takes a group away lands even when the record no longer validates', { timeout: TIMEOUT }, async () => {
    const uli = person('uli', ['admins', 'dev']);
    await withStack({ version, users: [uli], env: { AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      await ssoLogin(stack.pb.url, uli);
      await addRequiredField(stack);
      stack.idp.setUser({ ...uli, groups: ['dev'] });
      const { auth } = await ssoLogin(stack.pb.url, uli);
      expect(auth.record['groups']).toEqual(['dev']);
      expect((await storedUser(stack.pb, uli.email))['groups']).toEqual(['dev']);
    });
  });

  it('the sweep ends a removed user whose record no longer validates', { timeout: TIMEOUT }, async () => {
    const val = person('val', ['admins']);
    await withStack({ version, users: [val], env: { AUTHELIA_REVALIDATE_AFTER: 'off', AUTHELIA_SWEEP: '0 0 1 1 *' } }, async (stack) => {
      const { auth } = await ssoLogin(stack.pb.url, val);
      await addRequiredField(stack);
      stack.idp.removeUser('val');
      expect(await sweepNow(stack)).toMatchObject({ checked: 1, ended: 1 });
      expect((await storedUser(stack.pb, val.email))['groups']).toEqual([]);
      expect((await refresh(stack, auth.token)).status).toBe(401);
    });
  });

  it('an open realtime connection of a removed user stops receiving records that need a signed-in user', { timeout: TIMEOUT }, async () => {
    const tom = person('tom', ['dev']);
    await withStack({ version, users: [tom], env: { AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' } }, async (stack) => {
      const superuser = await stack.pb.superuser();
      const { auth } = await ssoLogin(stack.pb.url, tom);
      const feed = await membersFeed(stack.pb.url, superuser, auth.token);
      try {
        stack.idp.removeUser('tom');
        await sleep(1_500);
        expect((await refresh(stack, auth.token)).status).toBe(401);
        expect(await feed.membersSeenAfterwards()).toEqual([]);
      } finally {
        feed.close();
      }
    });
  });
});
