import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/boot/config.js';
import { autheliaSignOutURL, boundedHead, MAX_PENDING_REVOCATIONS } from '../../../src/core/sign-out/sign-out-rules.js';

const BASE = { AUTHELIA_URL: 'https://auth.example.com', AUTHELIA_CLIENT_SECRET: 'secret-1' };
const noFiles = (): string => {
  throw new Error('no files here');
};

describe("autheliaSignOutURL: Authelia's portal sign-out page", () => {
  it.each<[string, string | null, string]>([
    ['https://auth.example.com', null, 'https://auth.example.com/logout'],
    ['https://example.com/authelia', null, 'https://example.com/authelia/logout'],
    ['https://auth.example.com', 'https://app.example.com/?signed=out&x=1', 'https://auth.example.com/logout?rd=https%3A%2F%2Fapp.example.com%2F%3Fsigned%3Dout%26x%3D1'],
  ])('%s with rd %s', (issuer, redirect, url) => {
    expect(autheliaSignOutURL(issuer, redirect)).toBe(url);
  });
});

describe('AUTHELIA_SIGN_OUT_REDIRECT', () => {
  it('defaults to none', () => {
    const result = parseConfig(BASE, noFiles);
    expect(result.status === 'valid' && result.config.signOutRedirect).toBeNull();
  });

  it('takes an http(s) URL', () => {
    const result = parseConfig({ ...BASE, AUTHELIA_SIGN_OUT_REDIRECT: 'https://app.example.com/bye' }, noFiles);
    expect(result.status === 'valid' && result.config.signOutRedirect).toBe('https://app.example.com/bye');
  });

  it.each(['javascript:alert(1)', '/relative', 'https://user:pw@app.example.com/'])('refuses %s, naming the variable and never echoing a password', (value) => {
    const result = parseConfig({ ...BASE, AUTHELIA_SIGN_OUT_REDIRECT: value }, noFiles);
    expect(result.status).toBe('invalid');
    const issues = result.status === 'invalid' ? result.issues : [];
    expect(issues.map((issue) => issue.variable)).toEqual(['AUTHELIA_SIGN_OUT_REDIRECT']);
    expect(JSON.stringify(issues)).not.toContain(':pw@');
  });
});

describe('boundedHead: a revocation queue keeps its newest MAX_PENDING_REVOCATIONS entries', () => {
  it.each<[number, number, number, number]>([
    [0, 3, 5, 0],
    [0, 5, 5, 0],
    [0, 6, 5, 1],
    [4, 12, 5, 7],
    [9, 12, 5, 9],
  ])('head %i, tail %i, max %i → head %i', (head, tail, max, expected) => {
    expect(boundedHead(head, tail, max)).toBe(expected);
  });

  it('defaults to MAX_PENDING_REVOCATIONS', () => {
    expect(boundedHead(0, MAX_PENDING_REVOCATIONS + 7)).toBe(7);
  });
});
