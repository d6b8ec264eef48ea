import { describe, expect, it } from 'vitest';
import { configWith } from '../../support/config-fixture.js';
import { parseConfig, type Config, type ConfigResult } from '../../../src/core/boot/config.js';
import type { ConfigIssue } from '../../../src/core/boot/errors.js';

const SECRET = 'Sup3r-Secret-Value-9f2c';
const BASE = { AUTHELIA_URL: 'https://auth.example.com', AUTHELIA_CLIENT_SECRET: SECRET } as const;

/** A reader for tests that set no `_FILE` variable: any call is a bug. */
const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

/** A reader backed by a literal map; a missing path throws an error that quotes "content". */
function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const content = map[path];
    if (content === undefined) throw new Error(`ENOENT: no such file, open '${path}' (LEAKED-FILE-CONTENT)`);
    return content;
  };
}

function parse(env: Record<string, string | undefined>, readFile: (path: string) => string = noFiles): ConfigResult {
  return parseConfig(env, readFile);
}

function valid(env: Record<string, string | undefined>, readFile?: (path: string) => string): { config: Config; warnings: readonly string[] } {
  const result = parse(env, readFile);
  if (result.status !== 'valid') throw new Error(`expected a valid config, got ${JSON.stringify(result)}`);
  return result;
}

function issues(env: Record<string, string | undefined>, readFile?: (path: string) => string): readonly ConfigIssue[] {
  const result = parse(env, readFile);
  if (result.status !== 'invalid') throw new Error(`expected an invalid config, got ${JSON.stringify(result)}`);
  return result.issues;
}

function variables(list: readonly ConfigIssue[]): string[] {
  return list.map((issue) => issue.variable).sort();
}

const DEFAULT_CONFIG: Config = configWith({ clientSecret: SECRET });

describe('parseConfig: defaults and disabled', () => {
  it('fills every default when only AUTHELIA_URL and the secret are set', () => {
    expect(parse(BASE)).toEqual({ status: 'valid', config: DEFAULT_CONFIG, warnings: [] });
  });

  it('ignores unrelated variables', () => {
    expect(valid({ ...BASE, PATH: '/usr/bin', AUTHELIA_UNKNOWN: 'x' }).config).toEqual(DEFAULT_CONFIG);
  });

  it.each([
    ['unset', {}],
    ['empty', { AUTHELIA_URL: '' }],
    ['whitespace only', { AUTHELIA_URL: '   ' }],
    ['unset, even with a secret', { AUTHELIA_CLIENT_SECRET: SECRET }],
    ['unset, even with other invalid variables', { AUTHELIA_PKCE: 'maybe', AUTHELIA_PROVIDER: 'google' }],
  ])('is disabled when AUTHELIA_URL is %s', (_label, env: Record<string, string>) => {
    expect(parse(env)).toEqual({ status: 'disabled', strict: false });
  });

  it('is not disabled when AUTHELIA_URL_FILE is set but unreadable', () => {
    const list = issues({ AUTHELIA_URL_FILE: '/run/secrets/url', AUTHELIA_CLIENT_SECRET: SECRET }, files({}));
    expect(variables(list)).toEqual(['AUTHELIA_URL_FILE']);
  });

  it('reads AUTHELIA_URL from AUTHELIA_URL_FILE', () => {
    const { config } = valid({ AUTHELIA_URL_FILE: '/run/url', AUTHELIA_CLIENT_SECRET: SECRET }, files({ '/run/url': 'https://sso.example.org/\n' }));
    expect(config.issuer).toBe('https://sso.example.org');
  });

  it('trims the values of variables', () => {
    const { config } = valid({ AUTHELIA_URL: '  https://auth.example.com  ', AUTHELIA_CLIENT_SECRET: `  ${SECRET}\n`, AUTHELIA_CLIENT_ID: ' app ' });
    expect(config.issuer).toBe('https://auth.example.com');
    expect(config.clientSecret).toBe(SECRET);
    expect(config.clientId).toBe('app');
  });

  it('treats empty optional variables as unset (defaults apply)', () => {
    const { config } = valid({ ...BASE, AUTHELIA_SCOPES: '', AUTHELIA_PKCE: ' ', AUTHELIA_PROVIDER: '', AUTHELIA_DISCOVERY_TIMEOUT: '' });
    expect(config).toEqual(DEFAULT_CONFIG);
  });
});

describe('parseConfig: the client secret and _FILE variables', () => {
  it('reads the secret from AUTHELIA_CLIENT_SECRET_FILE and trims it', () => {
    const paths: string[] = [];
    const readFile = (path: string): string => {
      paths.push(path);
      if (path === '/run/secrets/authelia') return `\n  ${SECRET}  \n\n`;
      throw new Error('no such file');
    };
    const { config } = valid({ AUTHELIA_URL: BASE.AUTHELIA_URL, AUTHELIA_CLIENT_SECRET_FILE: '/run/secrets/authelia' }, readFile);
    expect(config.clientSecret).toBe(SECRET);
    expect(paths).toEqual(['/run/secrets/authelia']);
  });

  it('refuses both AUTHELIA_CLIENT_SECRET and AUTHELIA_CLIENT_SECRET_FILE, naming AUTHELIA_CLIENT_SECRET', () => {
    const list = issues({ ...BASE, AUTHELIA_CLIENT_SECRET_FILE: '/run/secret' }, files({ '/run/secret': 'other' }));
    expect(list).toHaveLength(1);
    expect(list[0]?.variable).toBe('AUTHELIA_CLIENT_SECRET');
    expect(list[0]?.message).toContain('AUTHELIA_CLIENT_SECRET_FILE');
  });

  it('reports an unreadable file under the _FILE variable with the path and without the content', () => {
    const readFile = (): string => {
      throw new Error(`EACCES: permission denied; first line: ${SECRET}`);
    };
    const result = parse({ AUTHELIA_URL: BASE.AUTHELIA_URL, AUTHELIA_CLIENT_SECRET_FILE: '/run/secrets/missing' }, readFile);
    expect(result.status).toBe('invalid');
    if (result.status !== 'invalid') return;
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.variable).toBe('AUTHELIA_CLIENT_SECRET_FILE');
    expect(result.issues[0]?.message).toContain('/run/secrets/missing');
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain('EACCES');
  });

  it.each([['empty', ''], ['whitespace only', ' \n\t\n']])('reports a %s file under the _FILE variable', (_label, content) => {
    const list = issues({ AUTHELIA_URL: BASE.AUTHELIA_URL, AUTHELIA_CLIENT_SECRET_FILE: '/run/secret' }, files({ '/run/secret': content }));
    expect(list).toHaveLength(1);
    expect(list[0]?.variable).toBe('AUTHELIA_CLIENT_SECRET_FILE');
    expect(list[0]?.message).toContain('/run/secret');
    expect(list[0]?.message).toMatch(/empty/);
  });

  it.each([
    ['unset', {}],
    ['empty', { AUTHELIA_CLIENT_SECRET: '' }],
    ['whitespace', { AUTHELIA_CLIENT_SECRET: '  ' }],
    ['an empty _FILE path', { AUTHELIA_CLIENT_SECRET_FILE: '' }],
  ])('requires the secret when it is %s', (_label, extra: Record<string, string>) => {
    const list = issues({ AUTHELIA_URL: BASE.AUTHELIA_URL, ...extra });
    expect(variables(list)).toEqual(['AUTHELIA_CLIENT_SECRET']);
    expect(list[0]?.message).toContain('AUTHELIA_CLIENT_SECRET_FILE');
  });

  it('honours _FILE for other variables too', () => {
    const { config } = valid(
      { ...BASE, AUTHELIA_ROLES_FILE: '/cfg/roles', AUTHELIA_ALLOWED_GROUPS_FILE: '/cfg/allowed' },
      files({ '/cfg/roles': 'admin=admins\n', '/cfg/allowed': 'staff, admins\n' }),
    );
    expect(config.roles).toEqual([{ role: 'admin', groups: ['admins'] }]);
    expect(config.allowedGroups).toEqual(['staff', 'admins']);
  });

  const secretCases: Array<[string, Record<string, string>]> = [
    ['bad URL', { AUTHELIA_URL: 'ftp://auth.example.com' }],
    ['bad boolean', { AUTHELIA_PKCE: 'maybe' }],
    ['bad provider and scopes', { AUTHELIA_PROVIDER: 'google', AUTHELIA_SCOPES: 'openid "x"' }],
    ['both secret variables', { AUTHELIA_CLIENT_SECRET_FILE: '/run/secret' }],
    ['roles field clash', { AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FIELD: 'groups' }],
  ];
  it.each(secretCases)('never puts the client secret in an invalid result (%s)', (_label, extra) => {
    const result = parse({ ...BASE, ...extra }, files({ '/run/secret': SECRET }));
    expect(result.status).toBe('invalid');
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('never echoes a secret that would itself be an invalid value elsewhere', () => {
    // Spaces, quotes, "?", "#" and "@" are invalid in the client id, scopes and URL; the secret may hold them.
    const secret = 'p@ss word "q?#x" maybe';
    const result = parse({ AUTHELIA_URL: 'https://auth.example.com', AUTHELIA_CLIENT_SECRET: secret, AUTHELIA_CLIENT_ID: 'a b', AUTHELIA_STRICT: 'perhaps' });
    expect(result.status).toBe('invalid');
    if (result.status !== 'invalid') return;
    expect(variables(result.issues)).toEqual(['AUTHELIA_CLIENT_ID', 'AUTHELIA_STRICT']);
    expect(JSON.stringify(result)).not.toContain(secret);
    expect(JSON.stringify(result)).not.toContain('p@ss');
  });

  it('never puts the client secret in an invalid result even when the secret looks like a URL', () => {
    const secret = 'https://not-a-url?secret=1';
    const result = parse({ AUTHELIA_URL: 'https://auth.example.com?x', AUTHELIA_CLIENT_SECRET: secret, AUTHELIA_PKCE: 'nah' });
    expect(result.status).toBe('invalid');
    expect(JSON.stringify(result)).not.toContain(secret);
  });
});

describe('parseConfig: booleans', () => {
  const spellings: Array<[string, boolean]> = [
    ['true', true], ['TRUE', true], ['True', true], ['1', true], ['yes', true], ['YES', true], ['Yes', true], ['on', true], ['ON', true], ['oN', true],
    ['false', false], ['FALSE', false], ['False', false], ['0', false], ['no', false], ['NO', false], ['No', false], ['off', false], ['OFF', false], ['Off', false],
  ];
  it.each(spellings)('AUTHELIA_PKCE=%s → %s', (value, expected) => {
    expect(valid({ ...BASE, AUTHELIA_PKCE: value }).config.pkce).toBe(expected);
  });
  it.each(spellings)('AUTHELIA_STRICT=%s → %s', (value, expected) => {
    const result = valid({ ...BASE, AUTHELIA_STRICT: value });
    expect(result.config.strict).toBe(expected);
  });

  it.each(['maybe', 'y', 'n', '2', 'enabled', 'truee', 'tru e'])('AUTHELIA_PKCE=%s is an issue naming AUTHELIA_PKCE, not false', (value) => {
    const result = parse({ ...BASE, AUTHELIA_PKCE: value });
    expect(result.status).toBe('invalid');
    if (result.status !== 'invalid') return;
    expect(variables(result.issues)).toEqual(['AUTHELIA_PKCE']);
    expect(result.issues[0]?.message).toContain(value);
  });

  it.each(spellings)('AUTHELIA_RELINK=%s → %s', (value, expected) => {
    expect(valid({ ...BASE, AUTHELIA_RELINK: value }).config.relink).toBe(expected);
  });

  it('AUTHELIA_RELINK is on by default, also when empty, and read from AUTHELIA_RELINK_FILE', () => {
    expect(valid(BASE).config.relink).toBe(true);
    expect(valid({ ...BASE, AUTHELIA_RELINK: '' }).config.relink).toBe(true);
    expect(valid({ ...BASE, AUTHELIA_RELINK_FILE: '/run/secrets/relink' }, files({ '/run/secrets/relink': 'off\n' })).config.relink).toBe(false);
  });

  it.each(['disabled', 'never', 'y'])('AUTHELIA_RELINK=%s is an issue naming AUTHELIA_RELINK that says what to write, never a silent off', (value) => {
    const list = issues({ ...BASE, AUTHELIA_RELINK: value });
    expect(variables(list)).toEqual(['AUTHELIA_RELINK']);
    expect(list[0]?.message).toBe(`"${value}" is not a boolean; use true or false (also 1/0, yes/no, on/off)`);
  });

  it('AUTHELIA_STRICT=maybe is an issue naming AUTHELIA_STRICT and counts as strict', () => {
    const result = parse({ ...BASE, AUTHELIA_STRICT: 'maybe' });
    expect(result).toMatchObject({ status: 'invalid', strict: true });
    if (result.status !== 'invalid') return;
    expect(variables(result.issues)).toEqual(['AUTHELIA_STRICT']);
  });
});

describe('parseConfig: strictness of disabled and invalid results', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['OFF', false],
    ['0', false],
    ['no', false],
    ['true', true],
    ['Yes', true],
    ['1', true],
    ['maybe', true],
    ['strict', true],
  ])('AUTHELIA_STRICT=%s gives strict %s when disabled', (value, expected) => {
    const env: Record<string, string> = value === undefined ? {} : { AUTHELIA_STRICT: value };
    expect(parse(env)).toEqual({ status: 'disabled', strict: expected });
  });

  it.each([
    ['true', true],
    ['false', false],
    ['maybe', true],
  ])('AUTHELIA_STRICT=%s gives strict %s when another variable is invalid', (value, expected) => {
    expect(parse({ ...BASE, AUTHELIA_PROVIDER: 'google', AUTHELIA_STRICT: value })).toMatchObject({ status: 'invalid', strict: expected });
  });

  it('reads AUTHELIA_STRICT from AUTHELIA_STRICT_FILE', () => {
    expect(parse({ AUTHELIA_STRICT_FILE: '/cfg/strict' }, files({ '/cfg/strict': 'yes\n' }))).toEqual({ status: 'disabled', strict: true });
  });

  it('an unreadable AUTHELIA_STRICT_FILE counts as strict (whoever set it wanted care)', () => {
    const result = parse({ ...BASE, AUTHELIA_STRICT_FILE: '/cfg/strict' }, files({}));
    expect(result).toMatchObject({ status: 'invalid', strict: true });
    if (result.status !== 'invalid') return;
    expect(variables(result.issues)).toEqual(['AUTHELIA_STRICT_FILE']);
  });
});

describe('parseConfig: AUTHELIA_URL', () => {
  it.each([
    ['https://auth.example.com', 'https://auth.example.com'],
    ['https://auth.example.com/', 'https://auth.example.com'],
    ['https://auth.example.com///', 'https://auth.example.com'],
    ['http://authelia:9091', 'http://authelia:9091'],
    ['http://127.0.0.1:9091/', 'http://127.0.0.1:9091'],
    ['https://example.com/authelia', 'https://example.com/authelia'],
    ['https://example.com/authelia/', 'https://example.com/authelia'],
    ['https://example.com/sso/authelia//', 'https://example.com/sso/authelia'],
    ['HTTPS://Auth.Example.com', 'HTTPS://Auth.Example.com'],
  ])('%s → issuer %s', (url, issuer) => {
    expect(valid({ ...BASE, AUTHELIA_URL: url }).config.issuer).toBe(issuer);
  });

  it.each([
    ['ftp', 'ftp://auth.example.com'],
    ['no scheme', 'auth.example.com'],
    ['scheme-relative', '//auth.example.com'],
    ['a query', 'https://auth.example.com?x=1'],
    ['a query after the path', 'https://auth.example.com/authelia?x=1'],
    ['a fragment', 'https://auth.example.com#top'],
    ['a fragment after the path', 'https://auth.example.com/a#top'],
    ['a user', 'https://user@auth.example.com'],
    ['user and password', 'https://user:pw@auth.example.com'],
    ['a space', 'https://auth example.com'],
    ['no host', 'https://'],
    ['no host but a path', 'https:///path'],
    ['javascript', 'javascript:alert(1)'],
  ])('refuses a URL with %s, naming AUTHELIA_URL', (_label, url) => {
    const list = issues({ ...BASE, AUTHELIA_URL: url });
    expect(variables(list)).toEqual(['AUTHELIA_URL']);
  });
});

describe('parseConfig: scopes', () => {
  it.each([
    ['openid profile', ['openid', 'profile']],
    ['openid,profile,groups', ['openid', 'profile', 'groups']],
    ['openid, profile ,  groups', ['openid', 'profile', 'groups']],
    ['  openid\tprofile\n groups  ', ['openid', 'profile', 'groups']],
    ['openid openid profile openid', ['openid', 'profile']],
    ['profile openid', ['profile', 'openid']],
    [',,openid,,profile,', ['openid', 'profile']],
    ['openid profile offline_access authelia.bearer.authz', ['openid', 'profile', 'offline_access', 'authelia.bearer.authz']],
  ])('AUTHELIA_SCOPES=%j → %j', (value, expected) => {
    expect(valid({ ...BASE, AUTHELIA_SCOPES: value }).config.scopes).toEqual(expected);
  });

  it.each([
    ['no openid', 'email profile groups'],
    ['a near miss of openid', 'OpenID email'],
    ['only separators', ', ,'],
    ['a quote', 'openid "groups"'],
    ['a lone quote', 'openid gro"ups'],
    ['a backslash', 'openid gro\\ups'],
    ['a non-ASCII character', 'openid grüppen'],
    ['no profile (no claim would show that Authelia looked the user up)', 'openid groups'],
    ['email without profile (a user without an address would look removed)', 'openid email groups'],
    ['openid alone', 'openid'],
  ])('refuses scopes with %s, naming AUTHELIA_SCOPES', (_label, value) => {
    expect(variables(issues({ ...BASE, AUTHELIA_SCOPES: value }))).toEqual(['AUTHELIA_SCOPES']);
  });

  it('says why profile is needed', () => {
    expect(issues({ ...BASE, AUTHELIA_SCOPES: 'openid email groups offline_access' })[0]?.message).toMatch(/must include "profile".*removed user cannot be told from a live one/);
  });

  it('names the invalid scope token', () => {
    const list = issues({ ...BASE, AUTHELIA_SCOPES: 'openid "groups"' });
    expect(list[0]?.message).toContain('"groups"');
  });
});

describe('parseConfig: provider, fields, claim, collection, client id, display name', () => {
  it.each(['oidc', 'oidc2', 'oidc3'] as const)('accepts AUTHELIA_PROVIDER=%s', (slot) => {
    expect(valid({ ...BASE, AUTHELIA_PROVIDER: slot }).config.provider).toBe(slot);
  });

  it.each(['google', 'OIDC', 'oidc4', 'oidc1', 'authelia'])('refuses AUTHELIA_PROVIDER=%s', (value) => {
    const list = issues({ ...BASE, AUTHELIA_PROVIDER: value });
    expect(variables(list)).toEqual(['AUTHELIA_PROVIDER']);
    expect(list[0]?.message).toContain('oidc2');
  });

  const reserved = ['id', 'password', 'tokenKey', 'email', 'emailVisibility', 'verified', 'created', 'updated', 'collectionId', 'collectionName', 'expand'];
  const badNames = ['my-groups', 'my groups', 'groups.list', 'gruppé', 'a'.repeat(101), 'g"'];
  const fieldOf = {
    AUTHELIA_GROUPS_FIELD: (config: Config) => config.groupsField,
    AUTHELIA_MEMBERSHIP_FIELD: (config: Config) => config.membershipField,
    AUTHELIA_ROLES_FIELD: (config: Config) => config.rolesField,
  } as const;
  for (const variable of ['AUTHELIA_GROUPS_FIELD', 'AUTHELIA_MEMBERSHIP_FIELD', 'AUTHELIA_ROLES_FIELD'] as const) {
    it.each(reserved)(`refuses the reserved field name %s for ${variable}`, (name) => {
      expect(variables(issues({ ...BASE, [variable]: name }))).toEqual([variable]);
    });
    it.each(badNames)(`refuses the field name %j for ${variable}`, (name) => {
      expect(variables(issues({ ...BASE, [variable]: name }))).toEqual([variable]);
    });
    it.each(['sso_groups', 'Groups2', '_x', 'a'.repeat(100)])(`accepts the field name %s for ${variable}`, (name) => {
      const { config } = valid({ ...BASE, [variable]: name });
      expect(fieldOf[variable](config)).toBe(name);
    });
  }

  it('refuses AUTHELIA_ROLES_FIELD equal to AUTHELIA_GROUPS_FIELD when roles are set', () => {
    const list = issues({ ...BASE, AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FIELD: 'groups' });
    expect(variables(list)).toEqual(['AUTHELIA_ROLES_FIELD']);
    expect(list[0]?.message).toContain('AUTHELIA_GROUPS_FIELD');
  });

  it('refuses equal custom fields when roles are set', () => {
    const list = issues({ ...BASE, AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FIELD: 'sso', AUTHELIA_GROUPS_FIELD: 'sso' });
    expect(variables(list)).toEqual(['AUTHELIA_ROLES_FIELD']);
  });

  it('refuses AUTHELIA_ROLES_FIELD equal to AUTHELIA_MEMBERSHIP_FIELD when roles are set', () => {
    const list = issues({ ...BASE, AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FIELD: 'memberOf' });
    expect(variables(list)).toEqual(['AUTHELIA_ROLES_FIELD']);
    expect(list[0]?.message).toContain('AUTHELIA_MEMBERSHIP_FIELD');
  });

  it.each([
    ['membership field set to the default groups field', { AUTHELIA_MEMBERSHIP_FIELD: 'groups' }],
    ['groups field set to the default membership field', { AUTHELIA_GROUPS_FIELD: 'memberOf' }],
    ['both set to the same custom name', { AUTHELIA_GROUPS_FIELD: 'sso', AUTHELIA_MEMBERSHIP_FIELD: 'sso' }],
  ])('refuses AUTHELIA_MEMBERSHIP_FIELD equal to AUTHELIA_GROUPS_FIELD (%s)', (_label, extra: Record<string, string>) => {
    const list = issues({ ...BASE, ...extra });
    expect(variables(list)).toEqual(['AUTHELIA_MEMBERSHIP_FIELD']);
    expect(list[0]?.message).toContain('AUTHELIA_GROUPS_FIELD');
  });

  it('accepts swapped groups and membership field names', () => {
    const { config } = valid({ ...BASE, AUTHELIA_GROUPS_FIELD: 'memberOf', AUTHELIA_MEMBERSHIP_FIELD: 'groups' });
    expect([config.groupsField, config.membershipField]).toEqual(['memberOf', 'groups']);
  });

  it.each(['sso_groups', 'G', 'a'.repeat(100)])('accepts AUTHELIA_GROUPS_COLLECTION=%s', (name) => {
    expect(valid({ ...BASE, AUTHELIA_GROUPS_COLLECTION: name }).config.groupsCollection).toBe(name);
  });

  it.each(['1groups', '_groups', 'my-groups', 'my groups', 'a'.repeat(101)])('refuses AUTHELIA_GROUPS_COLLECTION=%j', (name) => {
    expect(variables(issues({ ...BASE, AUTHELIA_GROUPS_COLLECTION: name }))).toEqual(['AUTHELIA_GROUPS_COLLECTION']);
  });

  it('allows AUTHELIA_ROLES_FIELD equal to AUTHELIA_GROUPS_FIELD when no roles are set (the roles field is unused)', () => {
    expect(valid({ ...BASE, AUTHELIA_ROLES_FIELD: 'groups' }).config.rolesField).toBe('groups');
  });

  it.each(['groups', 'memberOf', 'https://example.com/claims/groups', 'a'.repeat(200)])('accepts AUTHELIA_GROUPS_CLAIM=%s', (claim) => {
    expect(valid({ ...BASE, AUTHELIA_GROUPS_CLAIM: claim }).config.groupsClaim).toBe(claim);
  });

  it.each(['member of', 'gr"oups', 'a'.repeat(201)])('refuses AUTHELIA_GROUPS_CLAIM=%j', (claim) => {
    expect(variables(issues({ ...BASE, AUTHELIA_GROUPS_CLAIM: claim }))).toEqual(['AUTHELIA_GROUPS_CLAIM']);
  });

  it.each(['members', '_pb_users_auth_', 'abc123'])('accepts AUTHELIA_COLLECTION=%s', (name) => {
    expect(valid({ ...BASE, AUTHELIA_COLLECTION: name }).config.collection).toBe(name);
  });

  it.each(['my users', 'users/x', 'a'.repeat(101)])('refuses AUTHELIA_COLLECTION=%j', (name) => {
    expect(variables(issues({ ...BASE, AUTHELIA_COLLECTION: name }))).toEqual(['AUTHELIA_COLLECTION']);
  });

  it('refuses a client id with spaces', () => {
    expect(variables(issues({ ...BASE, AUTHELIA_CLIENT_ID: 'poc ket' }))).toEqual(['AUTHELIA_CLIENT_ID']);
  });

  it('accepts a display name of 100 characters and refuses 101', () => {
    expect(valid({ ...BASE, AUTHELIA_DISPLAY_NAME: 'n'.repeat(100) }).config.displayName).toBe('n'.repeat(100));
    expect(variables(issues({ ...BASE, AUTHELIA_DISPLAY_NAME: 'n'.repeat(101) }))).toEqual(['AUTHELIA_DISPLAY_NAME']);
  });

  it('parses allowed groups: split on commas, trimmed, deduplicated, order kept', () => {
    expect(valid({ ...BASE, AUTHELIA_ALLOWED_GROUPS: ' staff , admins,,staff, Staff ' }).config.allowedGroups).toEqual(['staff', 'admins', 'Staff']);
  });

  it('parses roles into rules', () => {
    expect(valid({ ...BASE, AUTHELIA_ROLES: 'admin=admins;editor=editors,writers' }).config.roles).toEqual([
      { role: 'admin', groups: ['admins'] },
      { role: 'editor', groups: ['editors', 'writers'] },
    ]);
  });

  it('refuses invalid roles syntax, naming AUTHELIA_ROLES with the parser message', () => {
    const list = issues({ ...BASE, AUTHELIA_ROLES: 'admin=admins;editor' });
    expect(variables(list)).toEqual(['AUTHELIA_ROLES']);
    expect(list[0]?.message).toContain('entry 2');
  });
});

describe('parseConfig: AUTHELIA_DISCOVERY_TIMEOUT', () => {
  it.each([['1', 1], ['60', 60], ['15', 15], ['007', 7]])('accepts %s → %d', (value, seconds) => {
    expect(valid({ ...BASE, AUTHELIA_DISCOVERY_TIMEOUT: value }).config.discoveryTimeoutSeconds).toBe(seconds);
  });

  it.each(['0', '61', '1.5', 'abc', '-1', '1e1', '0x10', '3s', '100000'])('refuses %s', (value) => {
    const list = issues({ ...BASE, AUTHELIA_DISCOVERY_TIMEOUT: value });
    expect(variables(list)).toEqual(['AUTHELIA_DISCOVERY_TIMEOUT']);
    expect(list[0]?.message).toContain(value);
  });
});

describe('parseConfig: several problems at once', () => {
  it('reports every invalid variable together', () => {
    const list = issues({
      AUTHELIA_URL: 'ftp://auth.example.com',
      AUTHELIA_PKCE: 'maybe',
      AUTHELIA_PROVIDER: 'google',
      AUTHELIA_SCOPES: 'email',
      AUTHELIA_GROUPS_FIELD: 'email',
      AUTHELIA_DISCOVERY_TIMEOUT: '0',
      AUTHELIA_ROLES: 'admin',
      AUTHELIA_COLLECTION_FILE: '/missing',
    }, files({}));
    expect(variables(list)).toEqual([
      'AUTHELIA_CLIENT_SECRET',
      'AUTHELIA_COLLECTION_FILE',
      'AUTHELIA_DISCOVERY_TIMEOUT',
      'AUTHELIA_GROUPS_FIELD',
      'AUTHELIA_PKCE',
      'AUTHELIA_PROVIDER',
      'AUTHELIA_ROLES',
      'AUTHELIA_SCOPES',
      'AUTHELIA_URL',
    ]);
  });

  it('reports each variable once, even when both X and X_FILE are set and X is invalid', () => {
    const list = issues({ ...BASE, AUTHELIA_PKCE: 'maybe', AUTHELIA_PKCE_FILE: '/cfg/pkce' }, files({ '/cfg/pkce': 'true' }));
    expect(variables(list)).toEqual(['AUTHELIA_PKCE']);
  });

  it('does not hide an AUTHELIA_ROLES problem behind an AUTHELIA_ROLES_FIELD problem', () => {
    const list = issues(
      { ...BASE, AUTHELIA_ROLES: 'admin', AUTHELIA_ROLES_FIELD: 'app_roles', AUTHELIA_ROLES_FIELD_FILE: '/cfg/field' },
      files({ '/cfg/field': 'app_roles' }),
    );
    expect(variables(list)).toEqual(['AUTHELIA_ROLES', 'AUTHELIA_ROLES_FIELD']);
  });

  it('reports the roles-field clash together with other problems', () => {
    const list = issues({ ...BASE, AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FIELD: 'groups', AUTHELIA_PKCE: 'maybe' });
    expect(variables(list)).toEqual(['AUTHELIA_PKCE', 'AUTHELIA_ROLES_FIELD']);
  });

  it('reports the membership-field clash together with other problems', () => {
    const list = issues({ ...BASE, AUTHELIA_MEMBERSHIP_FIELD: 'groups', AUTHELIA_PROVIDER: 'google' });
    expect(variables(list)).toEqual(['AUTHELIA_MEMBERSHIP_FIELD', 'AUTHELIA_PROVIDER']);
  });

  it('reports both field clashes at once', () => {
    const list = issues({ ...BASE, AUTHELIA_MEMBERSHIP_FIELD: 'groups', AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FIELD: 'groups' });
    expect(variables(list)).toEqual(['AUTHELIA_MEMBERSHIP_FIELD', 'AUTHELIA_ROLES_FIELD']);
  });
});

describe('parseConfig: warnings', () => {
  it('warns when the scopes lack groups and the claim is the default', () => {
    const { warnings } = valid({ ...BASE, AUTHELIA_SCOPES: 'openid email profile' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('AUTHELIA_SCOPES');
    expect(warnings[0]).toContain('groups');
  });

  it('does not warn about the groups scope for a custom claim', () => {
    expect(valid({ ...BASE, AUTHELIA_SCOPES: 'openid email profile', AUTHELIA_GROUPS_CLAIM: 'memberOf' }).warnings).toEqual([]);
  });

  it('warns when PKCE is off', () => {
    const { warnings } = valid({ ...BASE, AUTHELIA_PKCE: 'off' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('AUTHELIA_PKCE');
  });

  it('gives both warnings together', () => {
    expect(valid({ ...BASE, AUTHELIA_PKCE: 'no', AUTHELIA_SCOPES: 'openid profile' }).warnings).toHaveLength(2);
  });

  it('warnings never contain the secret', () => {
    const { warnings } = valid({ ...BASE, AUTHELIA_PKCE: 'no', AUTHELIA_SCOPES: 'openid profile' });
    expect(JSON.stringify(warnings)).not.toContain(SECRET);
  });
});
