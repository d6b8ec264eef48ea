import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/core/boot/config.js';
import { origin, parseHttpUrl, redactUrl, sameOrigin } from '../../../src/core/boot/urls.js';

describe('parseHttpUrl', () => {
  it('splits a full URL into its parts', () => {
    expect(parseHttpUrl('HTTPS://user:pw@Auth.Example.com:8443/a/b?x=1&y#top')).toEqual({
      scheme: 'https', userinfo: 'user:pw', host: 'Auth.Example.com', port: '8443', path: '/a/b', query: 'x=1&y', fragment: 'top',
    });
  });

  it.each([
    ['https://auth.example.com', { host: 'auth.example.com', port: '', path: '', query: undefined, fragment: undefined, userinfo: undefined }],
    ['http://authelia:9091/', { scheme: 'http', host: 'authelia', port: '9091', path: '/' }],
    ['http://[::1]:9091/x', { host: '[::1]', port: '9091', path: '/x' }],
    ['https://[2001:db8::1]', { host: '[2001:db8::1]', port: '' }],
    ['https://auth.example.com?', { path: '', query: '' }],
    ['https://@auth.example.com', { userinfo: '', host: 'auth.example.com' }],
    ['https://user:p@ss@auth.example.com', { userinfo: 'user:p@ss', host: 'auth.example.com' }],
    ['https://auth.example.com/@not-a-user', { userinfo: undefined, path: '/@not-a-user' }],
  ])('%s', (value, parts) => {
    expect(parseHttpUrl(value)).toMatchObject(parts);
  });

  it.each([
    ['ftp', 'ftp://auth.example.com'],
    ['no scheme', 'auth.example.com'],
    ['scheme-relative', '//auth.example.com'],
    ['javascript', 'javascript:alert(1)'],
    ['no host', 'https://'],
    ['no host, a path', 'https:///x'],
    ['no host, a port', 'https://:443'],
    ['a space in the host', 'https://auth example.com'],
    ['a space in the path', 'https://auth.example.com/a b'],
    ['a newline', 'https://auth.example.com/\nx'],
    ['an empty port', 'https://auth.example.com:/x'],
    ['a port that is not a number', 'https://auth.example.com:https'],
    ['a port above 65535', 'https://auth.example.com:65536'],
    ['an IPv6 address without brackets', 'http://::1:9091'],
    ['a slash in the password', 'https://user:p/w@auth.example.com'],
    ['an empty string', ''],
  ])('refuses %s', (_label, value) => {
    expect(parseHttpUrl(value)).toBeUndefined();
  });
});

describe('origin and sameOrigin', () => {
  it.each([
    ['https://auth.example.com/api/oidc/token', 'https://auth.example.com'],
    ['HTTPS://AUTH.Example.COM', 'https://auth.example.com'],
    ['https://auth.example.com:443/x', 'https://auth.example.com'],
    ['https://auth.example.com:0443', 'https://auth.example.com'],
    ['http://auth.example.com:80', 'http://auth.example.com'],
    ['http://auth.example.com:443', 'http://auth.example.com:443'],
    ['https://auth.example.com:80', 'https://auth.example.com:80'],
    ['http://127.0.0.1:9091/a?b#c', 'http://127.0.0.1:9091'],
  ])('%s → %s', (value, expected) => {
    expect(origin(parseHttpUrl(value)!)).toBe(expected);
  });

  it.each([
    ['same URL', 'https://auth.example.com', 'https://auth.example.com/api/oidc/token', true],
    ['case of scheme and host', 'HTTPS://Auth.Example.com', 'https://auth.example.com/x', true],
    ['explicit default port', 'https://auth.example.com', 'https://auth.example.com:443/x', true],
    ['another path', 'https://example.com/authelia', 'https://example.com/elsewhere/token', true],
    ['another scheme', 'https://auth.example.com', 'http://auth.example.com/x', false],
    ['another host', 'https://auth.example.com', 'https://evil.example.com/x', false],
    ['a subdomain', 'https://example.com', 'https://auth.example.com/x', false],
    ['another port', 'http://127.0.0.1:9091', 'http://127.0.0.1:9092/x', false],
    ['a default and an explicit other port', 'https://auth.example.com', 'https://auth.example.com:8443/x', false],
    ['userinfo that looks like the host', 'https://auth.example.com', 'https://auth.example.com@evil.example.com/x', false],
    ['not a URL', 'https://auth.example.com', '/api/oidc/token', false],
  ])('%s: %s vs %s → %s', (_label, a, b, expected) => {
    expect(sameOrigin(a, b)).toBe(expected);
    expect(sameOrigin(b, a)).toBe(expected);
  });
});

describe('redactUrl', () => {
  it.each([
    ['https://user:pw@auth.example.com', 'https://***@auth.example.com'],
    ['https://user@auth.example.com/a', 'https://***@auth.example.com/a'],
    ['https://user:p/w@auth.example.com', 'https://***@auth.example.com'],
    ['https://user:p@ss@auth.example.com?x', 'https://***@auth.example.com?x'],
    ['user:pw@auth.example.com/x', '***@auth.example.com/x'],
    ['ftp://user:pw@host', 'ftp://***@host'],
    ['https://auth.example.com', 'https://auth.example.com'],
    ['not a url', 'not a url'],
    ['', ''],
  ])('%s → %s', (value, expected) => {
    expect(redactUrl(value)).toBe(expected);
  });
});

describe('AUTHELIA_URL with credentials or errors is never echoed with them', () => {
  const SECRET = 'a-client-secret-that-is-long-enough-0123456789';
  const issuesFor = (url: string) => {
    const result = parseConfig({ AUTHELIA_URL: url, AUTHELIA_CLIENT_SECRET: SECRET }, () => {
      throw new Error('no files');
    });
    if (result.status !== 'invalid') throw new Error(`expected invalid, got ${result.status}`);
    return result.issues;
  };

  it.each([
    ['otherwise valid, user and password', 'https://admin:hunter2-pw@auth.example.com', 'holds a user name or password', 'https://***@auth.example.com'],
    ['otherwise valid, a user only', 'https://hunter2-pw@auth.example.com/authelia', 'holds a user name or password', 'https://***@auth.example.com/authelia'],
    ['invalid: a query', 'https://admin:hunter2-pw@auth.example.com?x=1', 'holds a user name or password', 'https://***@auth.example.com?x=1'],
    ['invalid: a scheme Authelia does not speak', 'ftp://admin:hunter2-pw@auth.example.com', 'is not an http(s) URL', 'ftp://***@auth.example.com'],
    ['invalid: no scheme', 'admin:hunter2-pw@auth.example.com', 'is not an http(s) URL', '***@auth.example.com'],
    ['invalid: a slash in the password', 'https://admin:hunter2/pw@auth.example.com', 'is not an http(s) URL', 'https://***@auth.example.com'],
  ])('%s', (_label, url, problem, shown) => {
    const issues = issuesFor(url);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.variable).toBe('AUTHELIA_URL');
    expect(issues[0]!.message).toContain(problem);
    expect(issues[0]!.message).toContain(`"${shown}"`);
    expect(issues[0]!.message).toContain('e.g. https://auth.example.com');
    expect(issues[0]!.message).not.toContain('hunter2');
  });

  it('the same through AUTHELIA_URL_FILE', () => {
    const result = parseConfig({ AUTHELIA_URL_FILE: '/run/url', AUTHELIA_CLIENT_SECRET: SECRET }, () => 'https://admin:hunter2-pw@auth.example.com\n');
    expect(result.status).toBe('invalid');
    expect(JSON.stringify(result)).not.toContain('hunter2');
  });
});
