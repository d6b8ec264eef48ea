import { describe, expect, it } from 'vitest';
import { decideLogin, managedFields, sameNames, type LoginDecision, type LoginSettings } from '../../../src/core/login/login-decision.js';

const PLAIN: LoginSettings = {
  groupsClaim: 'groups',
  groupsField: 'groups',
  membershipField: 'memberOf',
  groupsCollection: 'authelia_groups',
  allowedGroups: [],
  roles: [],
  rolesField: 'roles',
  syncProfile: true,
  autheliaOnly: true,
  relink: true,
};
const WITH_ROLES: LoginSettings = {
  ...PLAIN,
  roles: [
    { role: 'admin', groups: ['admins'] },
    { role: 'editor', groups: ['editors', 'writers'] },
  ],
};

function allowed(decision: LoginDecision): Extract<LoginDecision, { allowed: true }> {
  if (!decision.allowed) throw new Error(`expected an allowed login, got ${JSON.stringify(decision)}`);
  return decision;
}

function refused(decision: LoginDecision): Extract<LoginDecision, { allowed: false }> {
  if (decision.allowed) throw new Error(`expected a refused login, got ${JSON.stringify(decision)}`);
  return decision;
}

describe('decideLogin: managed values', () => {
  it('stores the normalized groups when no roles are configured, and no roles or membership field', () => {
    const decision = allowed(decideLogin({ groups: ['dev', ' admins', 'dev'] }, PLAIN));
    expect(decision.values).toEqual({ groups: ['admins', 'dev'] });
    expect(Object.keys(decision.values)).toEqual(['groups']);
    expect(decision.warnings).toEqual([]);
  });

  it('adds the roles field when roles are configured', () => {
    const decision = allowed(decideLogin({ groups: ['writers', 'admins'] }, WITH_ROLES));
    expect(decision.values).toEqual({ groups: ['admins', 'writers'], roles: ['admin', 'editor'] });
  });

  it('writes an empty roles list when roles are configured but none match', () => {
    const decision = allowed(decideLogin({ groups: ['dev'] }, WITH_ROLES));
    expect(decision.values).toEqual({ groups: ['dev'], roles: [] });
  });

  it('uses the configured claim and field names', () => {
    const settings: LoginSettings = { ...WITH_ROLES, groupsClaim: 'memberOf', groupsField: 'sso_groups', rolesField: 'sso_roles' };
    const decision = allowed(decideLogin({ groups: ['ignored'], memberOf: ['admins'] }, settings));
    expect(decision.values).toEqual({ sso_groups: ['admins'], sso_roles: ['admin'] });
  });

  it('gives empty groups and passes the warning on when the claim is missing', () => {
    const decision = allowed(decideLogin({ email: 'a@example.com' }, WITH_ROLES));
    expect(decision.values).toEqual({ groups: [], roles: [] });
    expect(decision.warnings).toHaveLength(1);
    expect(decision.warnings[0]).toContain('"groups"');
  });

  it('passes normalization warnings on', () => {
    const decision = allowed(decideLogin({ groups: ['dev', 5] }, PLAIN));
    expect(decision.values).toEqual({ groups: ['dev'] });
    expect(decision.warnings).toHaveLength(1);
  });
});

describe('decideLogin: allowed-groups gate', () => {
  const GATED: LoginSettings = { ...PLAIN, allowedGroups: ['secret-team-alpha', 'hidden-ops-beta'] };

  it.each([
    ['one allowed group', ['secret-team-alpha']],
    ['the other allowed group among others', ['dev', 'hidden-ops-beta']],
    ['an allowed group after trimming', [' secret-team-alpha ']],
    ['a single-string claim', 'hidden-ops-beta'],
  ])('lets in a user with %s', (_label, groups) => {
    expect(decideLogin({ groups }, GATED).allowed).toBe(true);
  });

  it.each([
    ['no groups', []],
    ['a missing claim', undefined],
    ['unrelated groups', ['dev', 'staff']],
    ['other case', ['Secret-Team-Alpha']],
    ['a prefix', ['secret-team']],
    ['a longer name', ['secret-team-alpha2', 'xhidden-ops-beta']],
    ['a comma-joined string', 'secret-team-alpha,dev'],
    ['a non-string entry', [{ name: 'secret-team-alpha' }]],
  ])('refuses a user with %s', (_label, groups) => {
    const claims: Record<string, unknown> = groups === undefined ? {} : { groups };
    const decision = refused(decideLogin(claims, GATED));
    expect(decision.reason).not.toContain('secret-team-alpha');
    expect(decision.reason).not.toContain('hidden-ops-beta');
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it('returns the normalized groups of a refused user and no managed values', () => {
    const decision = refused(decideLogin({ groups: ['staff', 'dev', 'staff'] }, GATED));
    expect(decision.groups).toEqual(['dev', 'staff']);
    expect(decision).not.toHaveProperty('values');
  });

  it('lets everyone in when the allowed list is empty, even without groups', () => {
    expect(decideLogin({}, PLAIN).allowed).toBe(true);
  });

  it('checks the gate against the configured claim', () => {
    const settings: LoginSettings = { ...GATED, groupsClaim: 'memberOf' };
    expect(decideLogin({ groups: ['secret-team-alpha'] }, settings).allowed).toBe(false);
    expect(decideLogin({ memberOf: ['secret-team-alpha'] }, settings).allowed).toBe(true);
  });

  it('gives allowed users their roles', () => {
    const decision = allowed(decideLogin({ groups: ['admins'] }, { ...WITH_ROLES, allowedGroups: ['admins'] }));
    expect(decision.values).toEqual({ groups: ['admins'], roles: ['admin'] });
  });
});

describe('managedFields', () => {
  it.each([
    ['no roles', PLAIN, ['groups', 'memberOf']],
    ['roles', WITH_ROLES, ['groups', 'memberOf', 'roles']],
    ['custom names without roles', { ...PLAIN, groupsField: 'g', membershipField: 'm', rolesField: 'r' }, ['g', 'm']],
    ['custom names with roles', { ...WITH_ROLES, groupsField: 'g', membershipField: 'm', rolesField: 'r' }, ['g', 'm', 'r']],
  ])('%s', (_label, settings: LoginSettings, expected) => {
    expect(managedFields(settings)).toEqual(expected);
  });
});

describe('sameNames', () => {
  const cases: Array<[string[], string[], boolean]> = [
    [[], [], true],
    [['a'], ['a'], true],
    [['a', 'b'], ['a', 'b'], true],
    [['a', 'b'], ['b', 'a'], false],
    [['a'], ['a', 'b'], false],
    [['a', 'b'], ['a'], false],
    [[], ['a'], false],
    [['a'], [], false],
    [['a'], ['A'], false],
    [['a'], ['a '], false],
    [['a', 'a'], ['a'], false],
  ];
  it.each(cases)('%j vs %j → %s', (current, next, expected) => {
    expect(sameNames(current, next)).toBe(expected);
  });
});

describe('loginSettings', () => {
  it('takes exactly what a login needs from the configuration, and never the secret', async () => {
    const { configWith } = await import('../../support/config-fixture.js');
    const { loginSettings } = await import('../../../src/core/login/login-decision.js');
    const settings = loginSettings(configWith({ clientSecret: 'do-not-copy', roles: [{ role: 'admin', groups: ['admins'] }] }));
    expect(settings).toEqual({
      groupsClaim: 'groups', groupsField: 'groups', membershipField: 'memberOf', groupsCollection: 'authelia_groups',
      allowedGroups: [], roles: [{ role: 'admin', groups: ['admins'] }], rolesField: 'roles', syncProfile: true, autheliaOnly: true, relink: true,
    });
    expect(JSON.stringify(settings)).not.toContain('do-not-copy');
  });
});
