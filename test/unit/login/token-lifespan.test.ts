import { describe, expect, it } from 'vitest';
import {
  MINIMUM_ACCESS_TOKEN_LIFESPAN, refreshedAtLogin, secondsLeft, shortTokenProblem, shortTokenWarning, STRICT_REFUSAL,
} from '../../../src/core/login/token-lifespan-rules.js';

const NOW = 1_800_000_000_000;

describe('refreshedAtLogin: did PocketBase refresh the access token before it read userinfo?', () => {
  it.each<[string, number | undefined, boolean]>([
    ['no expiry named: the OAuth2 client never refreshes', undefined, false],
    ["Authelia's lifespan 5 s (measured: 3.7 s left in the hook)", NOW + 3_700, true],
    ["lifespan 11 s (measured: 9.7 s left; PocketBase did refresh)", NOW + 9_700, true],
    ['within the margin: counted as refreshed, so a spent token is never kept', NOW + 10_499, true],
    ['10.5 s left', NOW + 10_500, false],
    ["lifespan 12 s (measured: 11 s left; PocketBase did not refresh)", NOW + 10_996, false],
    ["lifespan 13 s (measured: 12 s left)", NOW + 12_000, false],
    ["Authelia's default hour", NOW + 3_600_000, false],
    ['already expired', NOW - 1_000, true],
  ])('%s', (_, expiresAt, refreshed) => {
    expect(refreshedAtLogin(expiresAt, NOW)).toBe(refreshed);
  });
});

describe('what the operator is told', () => {
  it('rounds the time left to a tenth of a second', () => {
    expect(secondsLeft(NOW + 3_725, NOW)).toBe(3.7);
    expect(secondsLeft(NOW + 3_750, NOW)).toBe(3.8);
  });

  it("names Authelia's setting, the value seen and the minimum; says what strict mode does", () => {
    const warning = shortTokenWarning(3.7, false);
    expect(warning).toContain('had 3.7 s left after PocketBase read userinfo');
    expect(warning).toContain("set identity_providers.oidc.lifespans.access_token (or the client's lifespan) to at least 15s");
    expect(warning).toContain('keeps no Authelia token');
    expect(shortTokenWarning(3.7, true)).toContain('AUTHELIA_STRICT is on: such sign-ins are refused');
    expect(STRICT_REFUSAL).toContain(`at least ${MINIMUM_ACCESS_TOKEN_LIFESPAN}`);
  });

  it('keeps the first sighting and updates the latest', () => {
    const first = shortTokenProblem(3.7, NOW, undefined);
    expect(first).toMatchObject({ minimum: '15s', secondsLeftAtSignIn: 3.7, since: new Date(NOW).toISOString(), lastSeen: new Date(NOW).toISOString() });
    const later = shortTokenProblem(3.6, NOW + 60_000, first);
    expect(later).toMatchObject({ secondsLeftAtSignIn: 3.6, since: first.since, lastSeen: new Date(NOW + 60_000).toISOString() });
  });
});
