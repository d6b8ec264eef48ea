import { describe, expect, it } from 'vitest';
import {
  believeFallback, classifyRefresh, dueAtRefresh, mayAskAgain, hasUsableToken, pastMaxSession, readUserinfo, refreshVerdict,
  sweepAction, sessionHorizon, sessionsMayBeAlive, type BackendEvidence, type HttpAnswer, type RevalidationSettings, type VaultEntry,
} from '../../../src/core/checks/revalidation.js';
import { legacyVaultKey, vaultKey } from '../../../src/core/boot/token-key.js';
import { isNormalUserinfo, LOOKUP_ONLY_CLAIMS } from '../../../src/core/login/userinfo-lookup.js';
import { createHash } from 'node:crypto';

const SUB = '6f1c2a4e-1b7d-4c55-9a0e-3d2f8b7a1c01';
const DEFAULTS: RevalidationSettings = { revalidateAfterSeconds: 300, maxSessionSeconds: 86400, sweep: '*/10 * * * *' };
const NOW = 1_800_000_000_000;
const MIN = 60_000;

const FALLBACK = { iss: 'https://auth.example.test', sub: SUB, aud: ['pocketbase'], iat: 1, auth_time: 1, amr: ['pwd'], azp: 'pocketbase' };

describe('readUserinfo: what an Authelia userinfo answer says', () => {
  it.each<[string, HttpAnswer, string]>([
    ['current claims', { status: 200, body: { ...FALLBACK, rat: 1, preferred_username: 'alice', email: 'a@x.test', groups: ['dev'] } }, 'current'],
    ['rat without a profile or email claim: the fallback repeats an ID token that held rat', { status: 200, body: { ...FALLBACK, rat: 1 } }, 'suspect'],
    ["the fallback repeating 4.38's login-time groups (scope claims in the ID token)", { status: 200, body: { ...FALLBACK, groups: ['admins'] } }, 'suspect'],
    ['the fallback repeating groups, rat and a custom claim a claims policy put in the ID token', { status: 200, body: { ...FALLBACK, groups: ['admins'], rat: 1, department: 'ops' } }, 'suspect'],
    ['email only (a client with the email scope, no profile)', { status: 200, body: { ...FALLBACK, rat: 1, email: 'a@x.test', email_verified: true, groups: ['dev'] } }, 'current'],
    ['a username without email is still a user', { status: 200, body: { sub: SUB, preferred_username: 'alice' } }, 'current'],
    ["Authelia's fallback: deleted, disabled, or the user backend down", { status: 200, body: FALLBACK }, 'suspect'],
    ['the fallback with exp, jti and nonce too', { status: 200, body: { ...FALLBACK, exp: 2, jti: 'j', nonce: 'n' } }, 'suspect'],
    ['sub only', { status: 200, body: { sub: SUB } }, 'suspect'],
    ['401 invalid_token (expired): about the token', { status: 401, body: { error: 'invalid_token' } }, 'token-refused'],
    ['401 request_unauthorized (revoked, rotated away, redeployed): about the token', { status: 401, body: { error: 'request_unauthorized' } }, 'token-refused'],
    ['claims of another subject', { status: 200, body: { sub: 'someone-else', preferred_username: 'mallory' } }, 'gone'],
    ['Authelia unreachable', { failure: 'dial tcp: connection refused' }, 'unreachable'],
    ['a proxy in front of a stopped Authelia (502)', { status: 502, body: undefined }, 'unreachable'],
    ['a 503 while Authelia restarts', { status: 503, body: { error: 'temporarily_unavailable' } }, 'unreachable'],
    ['a 500', { status: 500, body: undefined }, 'undecided'],
    ['a 200 that is not JSON', { status: 200, body: undefined }, 'undecided'],
    ['a 200 with a JSON list', { status: 200, body: [1, 2] }, 'undecided'],
    ['403 insufficient scope', { status: 403, body: { error: 'insufficient_scope' } }, 'undecided'],
  ])('%s → %s', (_label, answer, kind) => {
    expect(readUserinfo(answer, SUB).kind).toBe(kind);
  });

  it('hands back the claims it read as current', () => {
    const body = { sub: SUB, email: 'a@x.test', groups: ['ops'] };
    expect(readUserinfo({ status: 200, body }, SUB)).toEqual({ kind: 'current', claims: body });
  });

  it("counts only the claims Authelia's fallback never copies from the ID token as a lookup", () => {
    for (const claim of LOOKUP_ONLY_CLAIMS) expect(isNormalUserinfo({ ...FALLBACK, [claim]: 'x' })).toBe(true);
    for (const claim of ['groups', 'rat', 'updated_at', 'department', 'exp', 'jti', 'nonce', 'at_hash']) expect(isNormalUserinfo({ ...FALLBACK, [claim]: 'x' })).toBe(false);
    expect(isNormalUserinfo({ ...FALLBACK, preferred_username: null })).toBe(false);
  });
});

describe('believeFallback: a removal is believed only while Authelia demonstrably works', () => {
  it.each<[BackendEvidence, boolean]>([
    ['works', true],
    ['lone', true],
    ['silent', false],
    ['unreachable', false],
  ])('%s → %s', (evidence, believed) => {
    expect(believeFallback(evidence)).toBe(believed);
  });
});

describe('classifyRefresh: the token endpoint after a refresh grant', () => {
  it('takes the rotated refresh token and the lifetime', () => {
    expect(classifyRefresh({ status: 200, body: { access_token: 'a2', refresh_token: 'r2', expires_in: 12, token_type: 'bearer' } }))
      .toEqual({ kind: 'tokens', accessToken: 'a2', refreshToken: 'r2', expiresInSeconds: 12 });
  });

  it('assumes Authelia\'s one hour when no lifetime is given, and no refresh token when none came', () => {
    expect(classifyRefresh({ status: 200, body: { access_token: 'a2' } })).toEqual({ kind: 'tokens', accessToken: 'a2', refreshToken: '', expiresInSeconds: 3600 });
  });

  it.each<[string, HttpAnswer, boolean]>([
    ['invalid_grant (expired, reused or revoked token): never a removal', { status: 400, body: { error: 'invalid_grant' } }, true],
    ['invalid_request (a concurrent or reused refresh): the token is dead too', { status: 400, body: { error: 'invalid_request' } }, true],
    ['invalid_client (the client secret changed)', { status: 401, body: { error: 'invalid_client' } }, false],
    ['a server error', { status: 500, body: undefined }, false],
    ['a 200 without access token', { status: 200, body: { refresh_token: 'r2' } }, false],
  ])('%s → cannot tell', (_label, answer, drop) => {
    const result = classifyRefresh(answer);
    expect(result.kind).toBe('undecided');
    expect(result.kind === 'undecided' && result.dropRefreshToken).toBe(drop);
  });

  it.each<[string, HttpAnswer]>([
    ['no answer (timeout, refused): maybe performed, its answer lost', { failure: 'timeout' }],
    ['a proxy answering for a stopped Authelia', { status: 503, body: undefined }],
  ])('%s → unreachable, the refresh token kept', (_label, answer) => {
    expect(classifyRefresh(answer).kind).toBe('unreachable');
  });
});

function entry(overrides: Partial<VaultEntry> = {}): VaultEntry {
  return { hasAccessToken: true, hasRefreshToken: false, accessExpiresAt: NOW + 30 * MIN, checkedAt: NOW - MIN, sessionsEnded: false, sessionUntil: NOW + 7 * 24 * 60 * MIN, ...overrides };
}

describe('mayAskAgain: a refresh loop cannot make every call ask Authelia', () => {
  it.each<[string, { checkedAt: number; attemptedAt: number }, Partial<RevalidationSettings>, boolean]>([
    ['the last attempt succeeded', { checkedAt: NOW - 10 * MIN, attemptedAt: NOW - 10 * MIN }, {}, true],
    ['never attempted since the login', { checkedAt: NOW - 10 * MIN, attemptedAt: 0 }, {}, true],
    ['a failed attempt 10 s ago, default interval: wait for 30 s', { checkedAt: NOW - 10 * MIN, attemptedAt: NOW - 10_000 }, {}, false],
    ['a failed attempt 31 s ago', { checkedAt: NOW - 10 * MIN, attemptedAt: NOW - 31_000 }, {}, true],
    ['a failed attempt 2 s ago with AUTHELIA_REVALIDATE_AFTER=1s', { checkedAt: NOW - MIN, attemptedAt: NOW - 2_000 }, { revalidateAfterSeconds: 1 }, true],
    ['a failed attempt 0.5 s ago with AUTHELIA_REVALIDATE_AFTER=1s', { checkedAt: NOW - MIN, attemptedAt: NOW - 500 }, { revalidateAfterSeconds: 1 }, false],
  ])('%s → %s', (_label, entry, overrides, may) => {
    expect(mayAskAgain(entry, NOW, { ...DEFAULTS, ...overrides })).toBe(may);
  });
});

describe('when an auth-refresh asks Authelia', () => {
  it.each<[string, number, Partial<RevalidationSettings>, boolean]>([
    ['within AUTHELIA_REVALIDATE_AFTER: nothing is sent', 4 * MIN, {}, false],
    ['exactly at the interval', 5 * MIN, {}, true],
    ['past the interval', 6 * MIN, {}, true],
    ['revalidation off, however old the check', 30 * 24 * 60 * MIN, { revalidateAfterSeconds: 0 }, false],
    ['a max session shorter than the interval still forces a check', 3 * MIN, { maxSessionSeconds: 120 }, true],
  ])('%s', (_label, age, overrides, due) => {
    expect(dueAtRefresh({ checkedAt: NOW - age }, NOW, { ...DEFAULTS, ...overrides })).toBe(due);
  });
});

describe('how an auth-refresh ends', () => {
  const young = { checkedAt: NOW - 60 * MIN };
  const old = { checkedAt: NOW - 25 * 60 * MIN };
  it.each<[string, 'current' | 'gone' | 'undecided' | 'busy', { checkedAt: number }, string]>([
    ['current claims are answered', 'current', old, 'answer'],
    ['gone is refused at once', 'gone', young, 'refuse-gone'],
    ['cannot tell within the bound is allowed', 'undecided', young, 'answer'],
    ['cannot tell past AUTHELIA_MAX_SESSION is refused', 'undecided', old, 'refuse-expired'],
    ['another check running, within the bound', 'busy', young, 'answer'],
    ['another check running, past the bound', 'busy', old, 'refuse-expired'],
  ])('%s', (_label, outcome, stored, verdict) => {
    expect(refreshVerdict(outcome, stored, NOW, DEFAULTS)).toBe(verdict);
  });

  it('counts the bound from the last successful check', () => {
    expect(pastMaxSession({ checkedAt: NOW - 86_400_000 + 1 }, NOW, DEFAULTS)).toBe(false);
    expect(pastMaxSession({ checkedAt: NOW - 86_400_000 }, NOW, DEFAULTS)).toBe(true);
  });
});

describe('what the sweep does with a record', () => {
  it.each<[string, Partial<VaultEntry>, string]>([
    ['a live access token: checked, however recent the last check', { checkedAt: NOW }, 'check'],
    ['an expired access token with a refresh token: checked', { accessExpiresAt: NOW - MIN, hasRefreshToken: true }, 'check'],
    ['an access token within 10 s of expiry counts as expired', { accessExpiresAt: NOW + 5_000 }, 'skip'],
    ['no usable token, within the bound: left alone', { hasAccessToken: false }, 'skip'],
    ['no usable token, past the bound: sessions ended', { hasAccessToken: false, checkedAt: NOW - 25 * 60 * MIN }, 'end-sessions'],
    ['no usable token, past the bound, already ended: left alone', { hasAccessToken: false, checkedAt: NOW - 25 * 60 * MIN, sessionsEnded: true }, 'skip'],
  ])('%s', (_label, overrides, action) => {
    expect(sweepAction(entry(overrides), NOW, DEFAULTS)).toBe(action);
  });

  it.each<[string, Partial<VaultEntry>]>([
    ['a live access token', {}],
    ['an expired access token with a refresh token', { accessExpiresAt: NOW - MIN, hasRefreshToken: true }],
    ['no usable token, past the bound', { hasAccessToken: false, checkedAt: NOW - 25 * 60 * MIN }],
  ])('%s, but every PocketBase token of the record has expired: left alone, Authelia asked nothing', (_label, overrides) => {
    expect(sweepAction(entry({ ...overrides, sessionUntil: NOW - 1 }), NOW, DEFAULTS)).toBe('skip');
    expect(sweepAction(entry({ ...overrides, sessionUntil: NOW }), NOW, DEFAULTS)).toBe('skip');
  });

  it('a realtime connection signed in as the record is a live session, whatever its tokens', () => {
    expect(sessionsMayBeAlive({ sessionUntil: NOW - 1 }, NOW, true)).toBe(true);
    expect(sweepAction(entry({ sessionUntil: NOW - 1 }), NOW, DEFAULTS, true)).toBe('check');
    expect(sessionsMayBeAlive({ sessionUntil: NOW + 1 }, NOW)).toBe(true);
  });

  it('stores a session horizon never earlier than the token, a little later so that most renewals write nothing', () => {
    const week = 7 * 24 * 60 * MIN;
    expect(sessionHorizon(NOW + week, week)).toBe(NOW + week + 21 * 60 * MIN); // an eighth of a week
    expect(sessionHorizon(NOW + 4 * week, 4 * week)).toBe(NOW + 4 * week + 24 * 60 * MIN); // at most a day
    expect(sessionHorizon(NOW + 10_000, 10_000)).toBe(NOW + 11_250);
    expect(sessionHorizon(NOW + 10_000, -5)).toBe(NOW + 10_000);
    // Whole milliseconds (an INTEGER column), rounded up: never earlier than the token.
    expect(sessionHorizon(NOW + 3_600_007, 3_600_007)).toBe(NOW + 3_600_007 + Math.ceil(3_600_007 / 8));
  });

  it('treats a refresh token alone as usable', () => {
    expect(hasUsableToken(entry({ hasAccessToken: false, hasRefreshToken: true }), NOW)).toBe(true);
  });
});

describe('the token vault key', () => {
  const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
  const hexToBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

  it('is AUTHELIA_TOKEN_KEY when set', () => {
    expect(vaultKey('k'.repeat(32), () => 'r'.repeat(32))).toEqual({ key: 'k'.repeat(32), source: 'environment' });
  });

  it('is a random key held in memory otherwise, never one derived from what the database holds', () => {
    expect(vaultKey(null, () => 'r'.repeat(32))).toEqual({ key: 'r'.repeat(32), source: 'memory' });
  });

  it('knows the key earlier releases derived from the client secret, to re-encrypt what they stored', () => {
    const key = legacyVaultKey('client-secret-1', sha256Hex, hexToBase64);
    expect(key).toHaveLength(32);
    expect(key).not.toContain('client-secret-1');
    expect(key).not.toBe(legacyVaultKey('client-secret-2', sha256Hex, hexToBase64));
  });
});

