import { describe, expect, it } from 'vitest';
import { claimedProfile } from '../../../src/core/login/profile-rules.js';

describe('claimedProfile', () => {
  it.each([
    ['a full Authelia profile', { name: ' Ana Lee ', email: 'ana@example.test', email_verified: true, picture: 'https://img.example.test/a.png' },
      { name: 'Ana Lee', email: 'ana@example.test', avatarURL: 'https://img.example.test/a.png' }],
    ['an unverified email is left out', { email: 'ana@example.test', email_verified: false }, {}],
    ['email_verified must be the boolean true', { email: 'ana@example.test', email_verified: 'true' }, {}],
    ['a malformed email is left out', { email: 'not an email', email_verified: true }, {}],
    ['empty and blank names are left out', { name: '   ' }, {}],
    ['a name over 255 characters is left out', { name: 'x'.repeat(256) }, {}],
    ['a non-http picture is left out', { picture: 'javascript:alert(1)' }, {}],
    ['non-string values are left out', { name: 42, email: ['a@b.c'], email_verified: true, picture: {} }, {}],
    ['no claims at all', {}, {}],
  ])('%s', (_label, claims, expected) => {
    expect(claimedProfile(claims)).toEqual(expected);
  });
});
