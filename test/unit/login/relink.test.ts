import { describe, expect, it } from 'vitest';
import {
  AUTHELIA_REMEDY, BURST_GAP_MS, BURST_SHOWN_MS, claimedUsername, decideRelink, noteSubjectChange, shownSubjectChanges, type RelinkInput, type SubjectChanges,
} from '../../../src/core/login/relink-rules.js';

const JOHN: RelinkInput = {
  enabled: true,
  claims: { sub: 'new-sub', preferred_username: 'john', email: 'john@example.test', email_verified: true },
  recordEmail: 'john@example.test',
  keptUsername: 'john',
};

function claims(extra: Record<string, unknown>): RelinkInput['claims'] {
  return { ...JOHN.claims, ...extra };
}

describe('decideRelink', () => {
  it('relinks the Authelia user whose username and verified email are exactly those kept for the record', () => {
    expect(decideRelink(JOHN)).toEqual({ relink: true, username: 'john' });
  });

  it.each<[string, Partial<RelinkInput>, RegExp]>([
    ['another username with the same email', { claims: claims({ preferred_username: 'mallory' }) }, /username differs/],
    ['a username differing in case only', { claims: claims({ preferred_username: 'John' }) }, /username differs/],
    ['a username with a space', { claims: claims({ preferred_username: 'john ' }) }, /username differs/],
    ['no username claim', { claims: claims({ preferred_username: undefined }) }, /username differs/],
    ['a username that is no string', { claims: claims({ preferred_username: ['john'] }) }, /username differs/],
    ['the same username with another email', { claims: claims({ email: 'john.new@example.test' }) }, /email differs/],
    ['an email differing in case only', { claims: claims({ email: 'John@example.test' }) }, /email differs/],
    ['an unverified email', { claims: claims({ email_verified: false }) }, /email differs/],
    ['email_verified as a string', { claims: claims({ email_verified: 'true' }) }, /email differs/],
    ['no email claim', { claims: claims({ email: undefined }) }, /email differs/],
    ['no username kept for the record (linked before this release)', { keptUsername: '' }, /no Authelia username is kept/],
    ['no username kept, even when the claim is empty too', { keptUsername: '', claims: claims({ preferred_username: '' }) }, /no Authelia username is kept/],
  ])('refuses %s', (_label, change, why) => {
    const decision = decideRelink({ ...JOHN, ...change });
    expect(decision).toMatchObject({ relink: false, sameUser: false });
    expect(decision.relink === false && decision.why).toMatch(why);
  });

  it('AUTHELIA_RELINK off refuses the same user too, and says that it was the same user', () => {
    expect(decideRelink({ ...JOHN, enabled: false })).toEqual({ relink: false, sameUser: true, why: 'AUTHELIA_RELINK is off' });
    expect(decideRelink({ ...JOHN, enabled: false, claims: claims({ preferred_username: 'mallory' }) })).toMatchObject({ relink: false, sameUser: false });
  });
});

describe('claimedUsername', () => {
  it("reads Authelia's preferred_username from claims or from a claim reader, '' when absent or not a string", () => {
    expect(claimedUsername({ preferred_username: 'john' })).toBe('john');
    expect(claimedUsername((claim) => (claim === 'preferred_username' ? 'carol' : undefined))).toBe('carol');
    expect(claimedUsername({})).toBe('');
    expect(claimedUsername({ preferred_username: 42 })).toBe('');
  });
});

describe('subject changes: a burst of relinks', () => {
  const t0 = Date.parse('2026-12-07T10:00:00Z');

  it('announces once, at the second relink within the gap, and counts on', () => {
    const first = noteSubjectChange(undefined, t0);
    expect(first).toEqual({ next: { since: t0, last: t0, count: 1 }, announce: false });
    const second = noteSubjectChange(first.next, t0 + 10 * 60_000);
    expect(second).toEqual({ next: { since: t0, last: t0 + 10 * 60_000, count: 2 }, announce: true });
    const third = noteSubjectChange(second.next, t0 + 65 * 60_000); // within the gap of the second
    expect(third).toEqual({ next: { since: t0, last: t0 + 65 * 60_000, count: 3 }, announce: false });
  });

  it('starts a new burst after a quiet gap', () => {
    const burst: SubjectChanges = { since: t0, last: t0, count: 5 };
    expect(noteSubjectChange(burst, t0 + BURST_GAP_MS + 1)).toEqual({ next: { since: t0 + BURST_GAP_MS + 1, last: t0 + BURST_GAP_MS + 1, count: 1 }, announce: false });
  });

  it('shows several relinks for a day after the last one, a single one never', () => {
    expect(shownSubjectChanges(undefined, t0)).toBeNull();
    expect(shownSubjectChanges({ since: t0, last: t0, count: 1 }, t0)).toBeNull();
    const burst: SubjectChanges = { since: t0, last: t0 + 60_000, count: 2 };
    expect(shownSubjectChanges(burst, t0 + 120_000)).toEqual({ since: '2026-12-07T10:00:00.000Z', count: 2 });
    expect(shownSubjectChanges(burst, t0 + 60_000 + BURST_SHOWN_MS + 1)).toBeNull();
  });
});

describe("Authelia's remedy in the log", () => {
  it('names the export, the import (without users who signed in since) and the single-user command, and the guide', () => {
    expect(AUTHELIA_REMEDY).toContain('authelia storage user identifiers export --file ids.yml');
    expect(AUTHELIA_REMEDY).toContain('authelia storage user identifiers import ids.yml');
    expect(AUTHELIA_REMEDY).toContain('leaving out the users who signed in since');
    expect(AUTHELIA_REMEDY).toContain('authelia storage user identifiers add <username> --identifier <their old sub>');
    expect(AUTHELIA_REMEDY).toContain('docs/operations.md');
  });
});
