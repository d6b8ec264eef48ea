// Logins that really overlap: the authorization codes are collected first (the sign-in at the IdP
// is sequential per login), then every code exchange is fired at PocketBase at once, so the group
// sync of many logins runs concurrently against one SQLite database.
import PocketBase, { ClientResponseError, type RecordAuthResponse, type RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdpUser } from '../../../testkit/idp.js';
import { loginAtIdp } from '../../../testkit/headless-login.js';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { logEntries } from '../../../testkit/pocketbase.js';
import { groupNamesById, startStack, storedUser, type Stack } from '../../support/stack.js';

const PEOPLE = 50;
const SAME_USER_LOGINS = 20;

/** Person i: everyone, a team (5), a department (3), a group of their own; duplicates and an unsorted order on purpose. */
const people: IdpUser[] = Array.from({ length: PEOPLE }, (_, i) => ({
  username: `person${i}`,
  password: `person${i}-password`,
  name: `Person ${i}`,
  email: `person${i}@example.test`,
  groups: [`u-${i}`, `team-${i % 5}`, 'everyone', `dept-${i % 3}`, `team-${i % 5}`],
}));
const expectedGroups = (i: number): string[] => [...new Set(people[i]!.groups as string[])].sort();
const allGroupNames = [...new Set(people.flatMap((p) => p.groups as string[]))].sort();

const flip = { username: 'flip', password: 'flip-password', name: 'Flip', email: 'flip@example.test', groups: ['common'] as string[] };
const SET_A = ['alpha', 'common'];
const SET_B = ['beta', 'common', 'gamma'];

interface PendingLogin {
  readonly client: PocketBase;
  readonly code: string;
  readonly codeVerifier: string;
  readonly redirectUrl: string;
}

type Outcome = { ok: true; auth: RecordAuthResponse<RecordModel> } | { ok: false; status: number; message: string };

/** Everything up to the redirect back with a code, as a browser would; no exchange yet. */
async function signInAtIdp(serverUrl: string, who: Pick<IdpUser, 'username' | 'password'>): Promise<PendingLogin> {
  const client = new PocketBase(serverUrl);
  client.autoCancellation(false);
  const methods = await client.collection('users').listAuthMethods();
  const provider = methods.oauth2.providers.find((p) => p.name === 'oidc');
  if (!provider) throw new Error(`no oidc provider: ${JSON.stringify(methods.oauth2)}`);
  const redirectUrl = client.buildURL('/api/oauth2-redirect');
  const { code, state } = await loginAtIdp(provider.authURL, redirectUrl, who.username, who.password);
  if (state !== provider.state) throw new Error('the IdP returned another state');
  return { client, code, codeVerifier: provider.codeVerifier, redirectUrl };
}

async function exchange(login: PendingLogin): Promise<Outcome> {
  try {
    return { ok: true, auth: await login.client.collection('users').authWithOAuth2Code('oidc', login.code, login.codeVerifier, login.redirectUrl) };
  } catch (error) {
    if (error instanceof ClientResponseError) return { ok: false, status: error.status, message: JSON.stringify(error.response) };
    return { ok: false, status: 0, message: String(error) };
  }
}

function failures(outcomes: readonly Outcome[]): string[] {
  return outcomes.flatMap((o, i) => (o.ok ? [] : [`login ${i}: HTTP ${o.status} ${o.message}`]));
}

describe.each(VERSIONS)('concurrent logins on PocketBase %s', (version) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ version, users: [...people, flip] });
  });
  afterAll(() => stack?.close());

  it(`${PEOPLE} different users at once: all succeed, each record gets exactly its groups, each group is created once`, async () => {
    const pending = await Promise.all(people.map((person) => signInAtIdp(stack.pb.url, person)));
    const outcomes = await Promise.all(pending.map(exchange));
    expect(failures(outcomes)).toEqual([]);
    outcomes.forEach((outcome, i) => {
      if (!outcome.ok) return;
      expect(outcome.auth.meta?.['isNew'], `person${i}`).toBe(true);
      expect(outcome.auth.record['email']).toBe(people[i]!.email);
      expect(outcome.auth.record['groups'], `person${i}`).toEqual(expectedGroups(i));
    });

    // Each group name exists exactly once.
    const names = await groupNamesById(stack.pb);
    const stored = [...names.values()].sort();
    expect(stored).toEqual(allGroupNames);

    // Every stored record: exactly its user's groups, and memberOf resolving to exactly those names.
    const superuser = await stack.pb.superuser();
    const records = await superuser.collection('users').getFullList({ batch: 200 });
    expect(records).toHaveLength(PEOPLE);
    for (const [i, person] of people.entries()) {
      const record = records.find((r) => r['email'] === person.email);
      expect(record, person.username).toBeDefined();
      expect(record!['groups'], person.username).toEqual(expectedGroups(i));
      expect((record!['memberOf'] as string[]).map((id) => names.get(id)), person.username).toEqual(expectedGroups(i));
    }
    expect(stack.pb.output()).not.toMatch(/database is locked/i);
  }, 60_000);

  it(`${SAME_USER_LOGINS} logins of one user while Authelia flips their groups: all succeed, each sees one whole set, the last login wins`, async () => {
    // The user exists before the burst: this is about concurrent updates, not concurrent sign-ups.
    stack.idp.setUser({ ...flip, groups: SET_A });
    const first = await exchange(await signInAtIdp(stack.pb.url, flip));
    expect(first.ok && first.auth.record['groups']).toEqual(SET_A);

    const pending = await Promise.all(Array.from({ length: SAME_USER_LOGINS }, () => signInAtIdp(stack.pb.url, flip)));
    let current = SET_A;
    const setGroups = (groups: string[]) => {
      current = groups;
      // The IdP sends the claim unsorted and with a duplicate; the sync must still store the set.
      stack.idp.setUser({ ...flip, groups: [...groups].reverse().concat(groups[0]!) });
    };
    const flipper = setInterval(() => setGroups(current === SET_A ? SET_B : SET_A), 3);
    let outcomes: Outcome[];
    try {
      outcomes = await Promise.all(pending.map((login, i) => {
        setGroups(i % 2 === 0 ? SET_B : SET_A);
        return exchange(login);
      }));
    } finally {
      clearInterval(flipper);
    }
    expect(failures(outcomes)).toEqual([]);

    const names = await groupNamesById(stack.pb);
    for (const outcome of outcomes) {
      if (!outcome.ok) continue;
      const groups = outcome.auth.record['groups'] as string[];
      expect([SET_A, SET_B]).toContainEqual(groups);
      // The response's membership matches its own groups, not the other set's.
      expect((outcome.auth.record['memberOf'] as string[]).map((id) => names.get(id))).toEqual(groups);
    }

    // Whichever save landed last, the stored record is one whole set, never a mix of the two.
    const afterBurst = await storedUser(stack.pb, flip.email);
    expect([SET_A, SET_B]).toContainEqual(afterBurst['groups']);
    expect((afterBurst['memberOf'] as string[]).map((id) => names.get(id))).toEqual(afterBurst['groups']);

    // A final, sequential login settles it on what Authelia says now.
    setGroups(SET_B);
    const last = await exchange(await signInAtIdp(stack.pb.url, flip));
    expect(last.ok && last.auth.record['groups']).toEqual(SET_B);
    const stored = await storedUser(stack.pb, flip.email);
    expect(stored['groups']).toEqual(SET_B);
    expect((stored['memberOf'] as string[]).map((id) => (names.get(id) ?? '?'))).toEqual(SET_B);
    expect([...(await groupNamesById(stack.pb)).values()].sort()).toEqual([...allGroupNames, 'alpha', 'beta', 'common', 'gamma'].sort());
    expect(stack.pb.output()).not.toMatch(/database is locked/i);
  }, 60_000);

  it('logged no errors during the bursts', async () => {
    const errors = logEntries(await stack.pb.logs()).filter((entry) => entry.level >= 8);
    expect(errors).toEqual([]);
  });
});
