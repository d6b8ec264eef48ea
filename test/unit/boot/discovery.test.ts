import { describe, expect, it } from 'vitest';
import { DISCOVERY_PATH, fallbackEndpoints, judgeEndpoint, parseDiscovery, tokenEndpointAuth, type DiscoveryResult } from '../../../src/core/boot/discovery-rules.js';

const ISSUER = 'https://auth.example.com';
const WANTED = { scopes: ['openid', 'email', 'profile', 'groups'], pkce: true };

/** Trimmed from what Authelia 4.38 serves at /.well-known/openid-configuration. */
const AUTHELIA_DOC = {
  issuer: ISSUER,
  jwks_uri: `${ISSUER}/jwks.json`,
  authorization_endpoint: `${ISSUER}/api/oidc/authorization`,
  token_endpoint: `${ISSUER}/api/oidc/token`,
  userinfo_endpoint: `${ISSUER}/api/oidc/userinfo`,
  revocation_endpoint: `${ISSUER}/api/oidc/revocation`,
  response_types_supported: ['code', 'id_token', 'code id_token'],
  scopes_supported: ['offline_access', 'openid', 'profile', 'groups', 'email', 'address', 'phone'],
  claims_supported: ['amr', 'aud', 'auth_time', 'email', 'email_verified', 'groups', 'iat', 'iss', 'name', 'preferred_username', 'sub'],
  token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
  code_challenge_methods_supported: ['S256', 'plain'],
  request_object_signing_alg_values_supported: ['RS256', 'none'],
} as const;

function ok(result: DiscoveryResult): Extract<DiscoveryResult, { ok: true }> {
  if (!result.ok) throw new Error(`expected ok, got ${result.problem}`);
  return result;
}

function problem(result: DiscoveryResult): string {
  if (result.ok) throw new Error(`expected a problem, got ${JSON.stringify(result)}`);
  return result.problem;
}

describe('parseDiscovery: a valid document', () => {
  it('gives the discovered endpoints, source discovery, no warnings', () => {
    expect(parseDiscovery(AUTHELIA_DOC, ISSUER, WANTED)).toEqual({
      ok: true,
      endpoints: {
        authURL: 'https://auth.example.com/api/oidc/authorization',
        tokenURL: 'https://auth.example.com/api/oidc/token',
        userInfoURL: 'https://auth.example.com/api/oidc/userinfo',
        revocationURL: 'https://auth.example.com/api/oidc/revocation',
        source: 'discovery',
      },
      warnings: [],
    });
  });

  it("takes the revocation endpoint from discovery on the issuer's origin, else Authelia's fixed path (with a warning when off-origin)", () => {
    const { revocation_endpoint: _omitted, ...without } = AUTHELIA_DOC as Record<string, unknown>;
    expect(ok(parseDiscovery(without, ISSUER, WANTED)).endpoints.revocationURL).toBe(`${ISSUER}/api/oidc/revocation`);
    const moved = ok(parseDiscovery({ ...AUTHELIA_DOC, revocation_endpoint: `${ISSUER}/other/revoke` }, ISSUER, WANTED));
    expect(moved.endpoints.revocationURL).toBe(`${ISSUER}/other/revoke`);
    const foreign = ok(parseDiscovery({ ...AUTHELIA_DOC, revocation_endpoint: 'https://evil.example.net/revoke' }, ISSUER, WANTED));
    expect(foreign.endpoints.revocationURL).toBe(`${ISSUER}/api/oidc/revocation`);
    expect(foreign.warnings.join(' ')).toMatch(/"revocation_endpoint" https:\/\/evil\.example\.net\/revoke is off the issuer's origin/);
  });

  it('accepts an issuer with a base path', () => {
    const issuer = 'https://example.com/authelia';
    const doc = { ...AUTHELIA_DOC, issuer, authorization_endpoint: `${issuer}/api/oidc/authorization`, token_endpoint: `${issuer}/api/oidc/token`, userinfo_endpoint: `${issuer}/api/oidc/userinfo` };
    expect(ok(parseDiscovery(doc, issuer, WANTED)).endpoints.authURL).toBe('https://example.com/authelia/api/oidc/authorization');
  });

  it.each([
    ['another path on the same origin', 'https://auth.example.com/elsewhere/token'],
    ['the default port written out', 'https://auth.example.com:443/api/oidc/token'],
    ['another letter case in scheme and host', 'HTTPS://AUTH.example.com/api/oidc/token'],
  ])('uses an endpoint on the issuer\'s origin: %s', (_label, tokenURL) => {
    expect(ok(parseDiscovery({ ...AUTHELIA_DOC, token_endpoint: tokenURL }, ISSUER, WANTED)).endpoints.tokenURL).toBe(tokenURL);
  });

  it('gives no warnings when capability lists are absent', () => {
    const { scopes_supported: _s, token_endpoint_auth_methods_supported: _t, code_challenge_methods_supported: _c, ...bare } = AUTHELIA_DOC;
    expect(ok(parseDiscovery(bare, ISSUER, WANTED)).warnings).toEqual([]);
  });

  it('ignores capability lists that are not lists of strings', () => {
    const doc = { ...AUTHELIA_DOC, scopes_supported: 'openid', token_endpoint_auth_methods_supported: [1, 2], code_challenge_methods_supported: null };
    expect(ok(parseDiscovery(doc, ISSUER, WANTED)).warnings).toEqual([]);
  });
});

describe('parseDiscovery: refused documents', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', '{"issuer":"https://auth.example.com"}'],
    ['a number', 42],
    ['an array', [AUTHELIA_DOC]],
    ['an empty array', []],
    ['a boolean', true],
  ])('%s is not a JSON object', (_label, document) => {
    expect(problem(parseDiscovery(document, ISSUER, WANTED))).toContain('not a JSON object');
  });

  it.each([
    ['a trailing slash in the document', 'https://auth.example.com/'],
    ['another host', 'https://evil.example.com'],
    ['http instead of https', 'http://auth.example.com'],
    ['other case', 'https://Auth.example.com'],
    ['a base path', 'https://auth.example.com/authelia'],
    ['a missing issuer', undefined],
    ['a non-string issuer', 1],
  ])('refuses an issuer mismatch: %s', (_label, issuer) => {
    const message = problem(parseDiscovery({ ...AUTHELIA_DOC, issuer }, ISSUER, WANTED));
    expect(message).toContain('AUTHELIA_URL');
    expect(message).toContain(`"${ISSUER}"`);
  });

  it('refuses when the configured issuer has the trailing slash and the document has none', () => {
    expect(problem(parseDiscovery(AUTHELIA_DOC, `${ISSUER}/`, WANTED))).toContain('AUTHELIA_URL');
  });

  it('quotes the issuer the document names', () => {
    expect(problem(parseDiscovery({ ...AUTHELIA_DOC, issuer: 'https://other.example' }, ISSUER, WANTED))).toContain('"https://other.example"');
  });

  const offOrigin: Array<[string, string]> = [
    ['another host', 'https://evil.example.com/api/oidc/token'],
    ['a subdomain', 'https://sso.auth.example.com/api/oidc/token'],
    ['http instead of https', 'http://auth.example.com/api/oidc/token'],
    ['another port', 'https://auth.example.com:8443/api/oidc/token'],
    ['the issuer as a prefix of another host', 'https://auth.example.com.evil.example/api/oidc/token'],
  ];
  for (const claim of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint'] as const) {
    it.each(offOrigin)(`refuses the whole document when ${claim} is off the issuer's origin: %s`, (_label, url) => {
      const result = parseDiscovery({ ...AUTHELIA_DOC, [claim]: url }, ISSUER, WANTED);
      expect(result).toEqual({
        ok: false,
        issuerMatched: true,
        problem: `the discovery document's "${claim}" ${url} is off the issuer's origin https://auth.example.com; ` +
          'Authelia serves every endpoint there, so a proxy may be rewriting the document, or AUTHELIA_URL is not Authelia',
      });
    });
  }

  it('names every endpoint off the issuer\'s origin', () => {
    const doc = { ...AUTHELIA_DOC, token_endpoint: 'https://a.example/token', userinfo_endpoint: 'https://b.example/userinfo' };
    const message = problem(parseDiscovery(doc, ISSUER, WANTED));
    expect(message).toContain('"token_endpoint" https://a.example/token is off');
    expect(message).toContain('"userinfo_endpoint" https://b.example/userinfo is off');
    expect(message).not.toContain('authorization_endpoint');
  });

  it('compares against the issuer\'s origin with its port and letter case normalised', () => {
    const issuer = 'HTTPS://Auth.Example.com:443';
    const doc = { ...AUTHELIA_DOC, issuer };
    expect(ok(parseDiscovery(doc, issuer, WANTED)).endpoints.tokenURL).toBe(AUTHELIA_DOC.token_endpoint);
    expect(problem(parseDiscovery({ ...doc, token_endpoint: 'https://auth.example.com:444/t' }, issuer, WANTED)))
      .toContain("off the issuer's origin https://auth.example.com;");
  });

  it('never quotes credentials a document puts in its issuer', () => {
    const message = problem(parseDiscovery({ ...AUTHELIA_DOC, issuer: 'https://admin:hunter2@auth.example.com' }, ISSUER, WANTED));
    expect(message).toContain('"https://***@auth.example.com"');
    expect(message).not.toContain('hunter2');
  });

  const endpointClaims = ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint'] as const;
  const badValues: Array<[string, unknown]> = [
    ['missing', undefined],
    ['null', null],
    ['a number', 443],
    ['empty', ''],
    ['relative', '/api/oidc/token'],
    ['ftp', 'ftp://auth.example.com/x'],
    ['without host', 'https:///x'],
    ['javascript', 'javascript:alert(1)'],
    ['a list', ['https://auth.example.com/x']],
    ['with credentials', 'https://client:secret@auth.example.com/x'],
    ['with a space', 'https://auth.example.com/a b'],
  ];
  for (const claim of endpointClaims) {
    it.each(badValues)(`refuses ${claim} that is %s`, (_label, value) => {
      const doc: Record<string, unknown> = { ...AUTHELIA_DOC, [claim]: value };
      if (value === undefined) delete doc[claim];
      expect(problem(parseDiscovery(doc, ISSUER, WANTED))).toContain(`"${claim}"`);
    });
  }
});

describe('parseDiscovery: capability warnings', () => {
  it('warns when scopes_supported lacks groups, naming the missing scope', () => {
    const doc = { ...AUTHELIA_DOC, scopes_supported: ['openid', 'email', 'profile'] };
    const { warnings } = ok(parseDiscovery(doc, ISSUER, WANTED));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('groups');
    expect(warnings[0]).toContain('AUTHELIA_SCOPES');
  });

  it('names every missing scope', () => {
    const doc = { ...AUTHELIA_DOC, scopes_supported: ['openid'] };
    const { warnings } = ok(parseDiscovery(doc, ISSUER, { scopes: ['openid', 'email', 'groups'], pkce: true }));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('email, groups');
  });

  it('does not warn about scopes the configuration does not want', () => {
    const doc = { ...AUTHELIA_DOC, scopes_supported: ['openid', 'email'] };
    expect(ok(parseDiscovery(doc, ISSUER, { scopes: ['openid', 'email'], pkce: true })).warnings).toEqual([]);
  });

  it('warns when token_endpoint_auth_methods_supported lacks both client secret methods', () => {
    const doc = { ...AUTHELIA_DOC, token_endpoint_auth_methods_supported: ['private_key_jwt'] };
    const { warnings } = ok(parseDiscovery(doc, ISSUER, WANTED));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('client_secret_basic');
  });

  it('does not warn when only client_secret_post is advertised (PocketBase falls back to it)', () => {
    const doc = { ...AUTHELIA_DOC, token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt'] };
    expect(ok(parseDiscovery(doc, ISSUER, WANTED)).warnings).toEqual([]);
  });

  it.each([
    ['only plain', ['plain']],
    ['empty', []],
    ['lowercase s256', ['s256']],
  ])('warns when PKCE is on and S256 is missing (%s)', (_label, methods) => {
    const doc = { ...AUTHELIA_DOC, code_challenge_methods_supported: methods };
    const { warnings } = ok(parseDiscovery(doc, ISSUER, WANTED));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('S256');
  });

  it('does not warn about S256 when PKCE is off', () => {
    const doc = { ...AUTHELIA_DOC, code_challenge_methods_supported: ['plain'] };
    expect(ok(parseDiscovery(doc, ISSUER, { ...WANTED, pkce: false })).warnings).toEqual([]);
  });

  it('collects all three warnings together', () => {
    const doc = { ...AUTHELIA_DOC, scopes_supported: ['openid'], token_endpoint_auth_methods_supported: ['none'], code_challenge_methods_supported: ['plain'] };
    expect(ok(parseDiscovery(doc, ISSUER, WANTED)).warnings).toHaveLength(3);
  });
});

describe('fallbackEndpoints', () => {
  it.each([
    ['https://auth.example.com', 'https://auth.example.com/api/oidc'],
    ['http://authelia:9091', 'http://authelia:9091/api/oidc'],
    ['https://example.com/authelia', 'https://example.com/authelia/api/oidc'],
  ])('%s', (issuer, base) => {
    expect(fallbackEndpoints(issuer)).toEqual({
      authURL: `${base}/authorization`,
      tokenURL: `${base}/token`,
      userInfoURL: `${base}/userinfo`,
      revocationURL: `${base}/revocation`,
      source: 'fallback',
    });
  });

  it('matches the paths Authelia advertises', () => {
    const fallback = fallbackEndpoints(ISSUER);
    const discovered = ok(parseDiscovery(AUTHELIA_DOC, ISSUER, WANTED)).endpoints;
    expect({ ...fallback, source: 'discovery' }).toEqual(discovered);
  });

  it('uses the well-known discovery path', () => {
    expect(DISCOVERY_PATH).toBe('/.well-known/openid-configuration');
  });
});

describe('tokenEndpointAuth: what PocketBase will use at the token endpoint', () => {
  it.each([
    ['both advertised: basic, PocketBase\'s first try', ['client_secret_basic', 'client_secret_post'], 'basic'],
    ['only basic', ['client_secret_basic'], 'basic'],
    ['only post: reached after a refused Basic try', ['client_secret_post', 'private_key_jwt'], 'post'],
    ['neither', ['private_key_jwt', 'none'], 'neither'],
    ['an empty list', [], 'neither'],
    ['absent: the default is client_secret_basic', undefined, 'unlisted'],
    ['not a list of strings', [1, 2], 'unlisted'],
  ])('%s', (_label, methods, expected) => {
    expect(tokenEndpointAuth({ token_endpoint_auth_methods_supported: methods })).toBe(expected);
  });
});

describe('judgeEndpoint', () => {
  it.each([
    ['https://auth.example.com/api/oidc/token', { kind: 'usable', url: 'https://auth.example.com/api/oidc/token' }],
    ['https://other.example.com/token', { kind: 'off-origin', url: 'https://other.example.com/token', issuerOrigin: 'https://auth.example.com' }],
    ['https://u:p@auth.example.com/token', { kind: 'unusable' }],
    ['/api/oidc/token', { kind: 'unusable' }],
    [42, { kind: 'unusable' }],
  ])('%s', (value, verdict) => {
    expect(judgeEndpoint(value, ISSUER)).toEqual(verdict);
  });
});
