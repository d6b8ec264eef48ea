// Hostile and odd `groups` claims, sent as-is by the Authelia-like IdP, through real logins.
// The rule (README, "How the claim becomes groups"): a list keeps its string entries, trimmed;
// empty, over-long (> 255) or control-character names and non-string entries are dropped with a
// warning; duplicates collapse; the result is sorted by code unit. A single string is one group;
// missing or null is none. Over 5,000 groups: the first 5,000 are kept, with a warning. A bad
// entry never fails a login.
import type { RecordModel } from 'pocketbase';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdpUser } from '../../../testkit/idp.js';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { logEntries, type LogEntry } from '../../../testkit/pocketbase.js';
import { groupNamesById, ssoLogin, startStack, storedUser, type Stack } from '../../support/stack.js';

const WARN = 4; // slog.LevelWarn, as PocketBase stores it

/** A user of its own per case, with a fixed sub so that log lines can be traced back to it. */
function user(name: string, index: number): IdpUser & { sub: string } {
  return {
    username: name,
    password: `${name}-password`,
    name,
    email: `${name}@example.test`,
    groups: undefined,
    sub: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
  };
}

const single = user('single', 1);
const nul = user('nul', 2);
const object = user('object', 3);
const messy = user('messy', 4);
const unicode = user('unicode', 5);
const thousand = user('thousand', 6);
const tooMany = user('toomany', 7);
const huge = user('huge', 8);
const steady = user('steady', 9);
const empty = user('empty', 10);
const astral = user('astral', 11);

function numbered(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
}

describe.each(VERSIONS)('hostile and odd groups claims on PocketBase %s', (version) => {
  let stack: Stack;
  let logs: Promise<LogEntry[]> | undefined;

  beforeAll(async () => {
    stack = await startStack({ version, users: [single, nul, object, messy, unicode, thousand, tooMany, huge, steady, empty, astral] });
  });
  afterAll(() => stack?.close());

  /** Logs in with this claim; asserts the response, the stored record and the membership relation are exactly `expected`. */
  async function loginExpecting(who: IdpUser, claim: unknown, expected: string[]): Promise<RecordModel> {
    stack.idp.setUser({ ...who, groups: claim });
    const { auth } = await ssoLogin(stack.pb.url, who);
    expect(auth.record['groups']).toEqual(expected);
    const stored = await storedUser(stack.pb, who.email);
    expect(stored['groups']).toEqual(expected);
    const memberOf = stored['memberOf'] as string[];
    expect(auth.record['memberOf']).toEqual(memberOf);
    expect(new Set(memberOf).size).toBe(memberOf.length);
    const names = await groupNamesById(stack.pb);
    expect(memberOf.map((id) => names.get(id))).toEqual(expected);
    return stored;
  }

  /** PocketBase's log, read once (each read waits for a log flush), after the logins above. */
  function warningsFor(who: { sub: string }): Promise<string[]> {
    logs ??= stack.pb.logs(/kept the first 5000/).then(logEntries);
    return logs.then((entries) => entries.filter((e) => e.level === WARN && e.data['sub'] === who.sub).map((e) => e.message));
  }

  it('a single string is one group', async () => {
    await loginExpecting(single, 'admins', ['admins']);
  });

  it('null means no groups', async () => {
    await loginExpecting(nul, null, []);
  });

  it('an object means no groups, and the login still succeeds', async () => {
    await loginExpecting(object, { a: 1 }, []);
  });

  it('a messy list keeps only the valid trimmed strings, deduplicated, sorted by code unit', async () => {
    const claim = [
      '  dev ', 'dev', '', '   ', 42, { x: 1 }, null, 'admins', 'admins ', ['nested'], true, 'Zeta', 'alpha', 'Admins',
      'bad\u0007bell', 'new\nline', 'x'.repeat(255), 'y'.repeat(256), '\tops\t', 0, -1.5, false,
    ];
    await loginExpecting(messy, claim, ['Admins', 'Zeta', 'admins', 'alpha', 'dev', 'ops', 'x'.repeat(255)]);
  });

  it('unicode names are kept exactly: no normalisation, no case folding', async () => {
    const nfc = 'Ünïcødé';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const claim = ['日本語', '😀', nfc, 'émile', 'zulu', 'Zulu', nfd, '😀', ' 日本語 '];
    await loginExpecting(unicode, claim, [nfd, 'Zulu', 'zulu', nfc, 'émile', '日本語', '😀']);
  });

  it('the order is by UTF-16 code unit, also past the Basic Multilingual Plane', async () => {
    // U+1F600 is 0xD83D 0xDE00 in UTF-16, so by code unit it sorts before U+FF3A (by code point it would sort after).
    expect(['Ｚenkaku', '😀', 'a'].sort()).toEqual(['a', '😀', 'Ｚenkaku']);
    await loginExpecting(astral, ['Ｚenkaku', '😀', 'a'], ['a', '😀', 'Ｚenkaku']);
  });

  it('1,000 distinct groups are all kept, in groups and memberOf, with a group record each', async () => {
    const names = numbered('bulk', 1000);
    await loginExpecting(thousand, [...names].reverse(), names);
    const records = [...(await groupNamesById(stack.pb)).values()].filter((name) => name.startsWith('bulk-'));
    expect(records.sort()).toEqual(names);
  }, 60_000);

  it('5,200 groups: the first 5,000 of the claim are kept, and the log says so', async () => {
    const names = numbered('many', 5200);
    const claim = [...names].reverse(); // the first 5,000 of the claim are many-5199 … many-0200
    await loginExpecting(tooMany, claim, names.slice(200));
    const records = [...(await groupNamesById(stack.pb)).values()].filter((name) => name.startsWith('many-'));
    expect(records.sort()).toEqual(names.slice(200));
  }, 90_000);

  it('a 10 KB name next to valid ones is dropped, the others are kept', async () => {
    await loginExpecting(huge, ['valid-b', 'n'.repeat(10 * 1024), 'valid-a'], ['valid-a', 'valid-b']);
  });

  it('logging in again with unchanged groups saves nothing (updated stays); a change saves', async () => {
    const first = await loginExpecting(steady, ['ops', 'dev'], ['dev', 'ops']);
    await new Promise((done) => setTimeout(done, 20)); // `updated` has millisecond precision
    const again = await loginExpecting(steady, ['dev', 'ops', 'dev'], ['dev', 'ops']);
    expect(again['updated']).toBe(first['updated']);
    expect(again['memberOf']).toEqual(first['memberOf']);
    const changed = await loginExpecting(steady, ['dev'], ['dev']);
    expect(changed['updated']).not.toBe(first['updated']);
  });

  it('logs a warning for each kind of dropped entry, naming the user', async () => {
    expect(await warningsFor(single)).toEqual([]);
    expect(await warningsFor(nul)).toEqual([expect.stringMatching(/^authelia: the "groups" claim is missing: the user gets no groups; check that the client may request the "groups" scope/)]);
    expect(await warningsFor(object)).toEqual([expect.stringMatching(/^authelia: the "groups" claim is an object, not a list of names: the user gets no groups$/)]);
    expect(await warningsFor(messy)).toEqual([
      'authelia: dropped 8 non-string entries of the "groups" claim',
      'authelia: dropped 2 empty names of the "groups" claim',
      'authelia: dropped 3 names of the "groups" claim that are longer than 255 characters or contain control characters',
    ]);
    expect(await warningsFor(unicode)).toEqual([]);
    expect(await warningsFor(thousand)).toEqual([]);
    expect(await warningsFor(tooMany)).toEqual(['authelia: the "groups" claim has 5200 groups; kept the first 5000']);
    expect(await warningsFor(huge)).toEqual([
      'authelia: dropped 1 names of the "groups" claim that are longer than 255 characters or contain control characters',
    ]);
    expect(await warningsFor(steady)).toEqual([]);
  });

  // README: "empty names, names longer than 255 characters or containing control characters, and
  // non-string entries are dropped with a warning in the log".
  it('an empty or blank name is dropped with a warning, as the README promises', async () => {
    await loginExpecting(empty, ['dev', '', '   '], ['dev']);
    logs = undefined; // this login came after the first read
    expect(await warningsFor(empty)).toEqual(['authelia: dropped 2 empty names of the "groups" claim']);
  });
});
