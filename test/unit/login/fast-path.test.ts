import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claimsFingerprint, decisiveClaims, loginMark, mayRemember, type FullLoginOutcome, type LoginMarkParts } from '../../../src/core/login/fast-path-rules.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SETTINGS = { groupsClaim: 'groups' };
const CLAIMS: Record<string, unknown> = { sub: 'u-1', groups: ['admins', 'dev'], email: 'a@example.test', email_verified: true, name: 'A', picture: 'https://x.test/a.png' };
const PARTS: LoginMarkParts = {
  claims: claimsFingerprint((claim) => CLAIMS[claim], SETTINGS),
  recordUpdated: '2026-12-03 10:00:00.123Z',
  collectionUpdated: '2026-12-01 09:00:00.000Z',
  groupsGeneration: '0',
};
const CLEAN: FullLoginOutcome = { linkedBefore: true, warnings: 0, profileHeldBack: false, stampedOnUpdate: true };

describe('claimsFingerprint', () => {
  it('reads the subject, the configured groups claim and the profile claims, nothing else', () => {
    expect(decisiveClaims({ groupsClaim: 'roles' })).toEqual(['sub', 'roles', 'email', 'email_verified', 'name', 'picture']);
    const withNoise: Record<string, unknown> = { ...CLAIMS, iat: 1, nonce: 'n', preferred_username: 'a' };
    expect(claimsFingerprint((claim) => withNoise[claim], SETTINGS)).toBe(PARTS.claims);
  });

  it('does not depend on the order of the claims map', () => {
    const reversed = Object.fromEntries(Object.entries(CLAIMS).reverse());
    expect(claimsFingerprint((claim) => reversed[claim], SETTINGS)).toBe(PARTS.claims);
  });

  it('tells every decisive change apart: a group, its order, a missing claim, the subject, the profile', () => {
    const variants: Array<Record<string, unknown>> = [
      { ...CLAIMS, groups: ['admins'] },
      { ...CLAIMS, groups: ['dev', 'admins'] },
      { ...CLAIMS, groups: undefined },
      { ...CLAIMS, groups: 'admins,dev' },
      { ...CLAIMS, sub: 'u-2' },
      { ...CLAIMS, email: 'b@example.test' },
      { ...CLAIMS, email_verified: false },
      { ...CLAIMS, name: 'B' },
      { ...CLAIMS, picture: undefined },
    ];
    const prints = variants.map((claims) => claimsFingerprint((claim) => claims[claim], SETTINGS));
    expect(new Set([PARTS.claims, ...prints]).size).toBe(variants.length + 1);
  });
});

describe('loginMark', () => {
  it('is the same for the same inputs', () => {
    expect(loginMark(PARTS, sha256)).toBe(loginMark({ ...PARTS }, sha256));
  });

  it('changes when the record, its collection or a group record changed', () => {
    const mark = loginMark(PARTS, sha256);
    expect(loginMark({ ...PARTS, recordUpdated: '2026-12-03 10:00:00.124Z' }, sha256)).not.toBe(mark);
    expect(loginMark({ ...PARTS, collectionUpdated: '2026-12-02 09:00:00.000Z' }, sha256)).not.toBe(mark);
    expect(loginMark({ ...PARTS, groupsGeneration: '1' }, sha256)).not.toBe(mark);
  });

  it('keeps the parts apart (no two inputs run together into the same text)', () => {
    expect(loginMark({ ...PARTS, recordUpdated: 'ab', collectionUpdated: 'c' }, sha256)).not.toBe(loginMark({ ...PARTS, recordUpdated: 'a', collectionUpdated: 'bc' }, sha256));
  });

  it('is undefined (never skip) without an updated stamp to tell an edit', () => {
    expect(loginMark({ ...PARTS, recordUpdated: '' }, sha256)).toBeUndefined();
    expect(loginMark({ ...PARTS, collectionUpdated: '' }, sha256)).toBeUndefined();
  });
});

describe('mayRemember', () => {
  it('only a clean login of a record already linked to this subject', () => {
    expect(mayRemember(CLEAN)).toBe(true);
    expect(mayRemember({ ...CLEAN, linkedBefore: false })).toBe(false);
    expect(mayRemember({ ...CLEAN, warnings: 1 })).toBe(false);
    expect(mayRemember({ ...CLEAN, profileHeldBack: true })).toBe(false);
    expect(mayRemember({ ...CLEAN, stampedOnUpdate: false })).toBe(false);
  });
});
