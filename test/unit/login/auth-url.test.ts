import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { goJson, goQueryEscape, s256ChallengeFromHex, withQueryParams } from '../../../src/core/login/auth-url.js';

const toBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

describe('goQueryEscape matches Go url.QueryEscape', () => {
  // Expected values are what Go 1.22's url.QueryEscape returns for each input.
  const cases: Array<[string, string]> = [
    ['', ''],
    ['abcXYZ019', 'abcXYZ019'],
    ['-_.~', '-_.~'],
    [' ', '+'],
    ['a b', 'a+b'],
    ['openid email profile groups', 'openid+email+profile+groups'],
    ['!', '%21'],
    ['*', '%2A'],
    ["'", '%27'],
    ['(', '%28'],
    [')', '%29'],
    ["!*'()", '%21%2A%27%28%29'],
    ['+', '%2B'],
    ['%', '%25'],
    ['%20', '%2520'],
    ['&', '%26'],
    ['=', '%3D'],
    ['?', '%3F'],
    ['#', '%23'],
    ['/', '%2F'],
    [':', '%3A'],
    ['@', '%40'],
    ['$', '%24'],
    [',', '%2C'],
    [';', '%3B'],
    ['"', '%22'],
    ['<>', '%3C%3E'],
    ['\\', '%5C'],
    ['[]{}|^`', '%5B%5D%7B%7D%7C%5E%60'],
    ['\n', '%0A'],
    ['é', '%C3%A9'],
    ['Ärzte', '%C3%84rzte'],
    ['日本', '%E6%97%A5%E6%9C%AC'],
    ['😀', '%F0%9F%98%80'],
    ['https://pb.example.com/api/oauth2-redirect', 'https%3A%2F%2Fpb.example.com%2Fapi%2Foauth2-redirect'],
  ];
  it.each(cases)('%j → %s', (input, expected) => {
    expect(goQueryEscape(input)).toBe(expected);
  });
});

describe('withQueryParams', () => {
  const BASE = 'https://auth.example.com/api/oidc/authorization';
  const QUERY =
    'client_id=pocketbase&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256' +
    '&redirect_uri=https%3A%2F%2Fpb.example.com%2Fapi%2Foauth2-redirect&response_type=code&scope=openid+email+profile&state=st4te';
  const BUILT = `${BASE}?${QUERY}`;

  it('replaces an existing key in place', () => {
    expect(withQueryParams(BUILT, BASE.length, [['scope', 'openid email profile groups']])).toBe(
      `${BASE}?client_id=pocketbase&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256` +
        '&redirect_uri=https%3A%2F%2Fpb.example.com%2Fapi%2Foauth2-redirect&response_type=code&scope=openid+email+profile+groups&state=st4te',
    );
  });

  it('inserts a new key at its sorted position', () => {
    expect(withQueryParams(BUILT, BASE.length, [['prompt', 'consent']])).toBe(
      `${BASE}?client_id=pocketbase&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256` +
        '&prompt=consent&redirect_uri=https%3A%2F%2Fpb.example.com%2Fapi%2Foauth2-redirect&response_type=code&scope=openid+email+profile&state=st4te',
    );
  });

  it('inserts a key sorting first and one sorting last', () => {
    const built = `${BASE}?m=1&n=2`;
    expect(withQueryParams(built, BASE.length, [['z', 'last'], ['a', 'first']])).toBe(`${BASE}?a=first&m=1&n=2&z=last`);
  });

  it('escapes new keys and values as Go does', () => {
    const built = `${BASE}?a=1`;
    expect(withQueryParams(built, BASE.length, [['claims', '{"id_token":{"groups":null}}']])).toBe(
      `${BASE}?a=1&claims=%7B%22id_token%22%3A%7B%22groups%22%3Anull%7D%7D`,
    );
  });

  it('returns the URL unchanged when setting a key to its current value', () => {
    expect(withQueryParams(BUILT, BASE.length, [['scope', 'openid email profile']])).toBe(BUILT);
  });

  it('keeps the last value when a key is given twice', () => {
    expect(withQueryParams(`${BASE}?a=1`, BASE.length, [['b', 'x'], ['b', 'y']])).toBe(`${BASE}?a=1&b=y`);
  });

  it('continues with "&" when the configured authURL already has a query', () => {
    const base = 'https://x/auth?p=1';
    const built = `${base}&client_id=a&scope=openid&state=s`;
    expect(withQueryParams(built, base.length, [['scope', 'openid groups']])).toBe('https://x/auth?p=1&client_id=a&scope=openid+groups&state=s');
  });

  it('does not touch parameters of the configured authURL', () => {
    const base = 'https://x/auth?z=keep&scope=base';
    const built = `${base}&client_id=a&scope=openid`;
    expect(withQueryParams(built, base.length, [['scope', 'openid groups']])).toBe('https://x/auth?z=keep&scope=base&client_id=a&scope=openid+groups');
  });
});

describe('s256ChallengeFromHex', () => {
  it('reproduces RFC 7636 appendix B', () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    const hex = createHash('sha256').update(verifier).digest('hex');
    expect(s256ChallengeFromHex(hex, toBase64)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('agrees with node base64url for other verifiers', () => {
    for (const verifier of ['a', 'x'.repeat(43), '~.-_0123456789', 'M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag']) {
      const hex = createHash('sha256').update(verifier).digest('hex');
      const expected = createHash('sha256').update(verifier).digest('base64url');
      expect(s256ChallengeFromHex(hex, toBase64)).toBe(expected);
    }
  });

  it('passes the hex to toBase64 and makes its output URL-safe without padding', () => {
    const seen: string[] = [];
    const fake = (hex: string): string => {
      seen.push(hex);
      return 'ab+/cd+/==';
    };
    expect(s256ChallengeFromHex('00ff', fake)).toBe('ab-_cd-_');
    expect(seen).toEqual(['00ff']);
  });
});

describe('goJson', () => {
  it.each([
    [{ a: 1 }, '{"a":1}\n'],
    [{ url: 'https://x/auth?a=1&b=2' }, '{"url":"https://x/auth?a=1\\u0026b=2"}\n'],
    ['<script>alert("x")</script>', '"\\u003cscript\\u003ealert(\\"x\\")\\u003c/script\\u003e"\n'],
    ['a & b < c > d', '"a \\u0026 b \\u003c c \\u003e d"\n'],
    ['line\u2028sep\u2029', '"line\\u2028sep\\u2029"\n'],
    ['é日本😀', '"é日本😀"\n'],
    [[1, 'x', null, true], '[1,"x",null,true]\n'],
    [null, 'null\n'],
    [{ nested: { list: ['<', '>'] } }, '{"nested":{"list":["\\u003c","\\u003e"]}}\n'],
  ])('%j', (value, expected) => {
    expect(goJson(value)).toBe(expected);
  });

  it('ends with exactly one newline and contains no raw &, < or >', () => {
    const out = goJson({ authURL: 'https://auth.example.com/api/oidc/authorization?client_id=a&scope=openid+groups', name: '<Authelia>' });
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.endsWith('\n\n')).toBe(false);
    expect(out).not.toMatch(/[&<>]/);
    expect(JSON.parse(out)).toEqual({ authURL: 'https://auth.example.com/api/oidc/authorization?client_id=a&scope=openid+groups', name: '<Authelia>' });
  });
});
