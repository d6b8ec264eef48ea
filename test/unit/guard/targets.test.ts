import { describe, expect, it } from 'vitest';
import { registrationTargets, type RegistrationTargets } from '../../../src/core/guard/targets-rules.js';

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    const content = map[path];
    if (content === undefined) throw new Error(`cannot open ${path}`);
    return content;
  };
}

const paths = (...collections: string[]): string[] => collections.map((c) => `/api/collections/${c}/auth-methods`);

describe('registrationTargets', () => {
  const cases: Array<[string, Record<string, string>, Omit<RegistrationTargets, 'provider' | 'authOnly' | 'collectionAddresses' | 'maxSessionSeconds'>]> = [
    ['nothing set: users, also addressed by its id', {}, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf'] }],
    ['users set explicitly', { AUTHELIA_COLLECTION: 'users' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf'] }],
    ['empty collection means the default', { AUTHELIA_COLLECTION: '  ' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf'] }],
    ['a custom collection: only itself', { AUTHELIA_COLLECTION: 'members' }, { collection: 'members', authMethodsPaths: paths('members'), managedFields: ['groups', 'memberOf'] }],
    ['the default id: also its default name', { AUTHELIA_COLLECTION: '_pb_users_auth_' }, { collection: '_pb_users_auth_', authMethodsPaths: paths('_pb_users_auth_', 'users'), managedFields: ['groups', 'memberOf'] }],
    ['a trimmed custom collection', { AUTHELIA_COLLECTION: ' staff \n' }, { collection: 'staff', authMethodsPaths: paths('staff'), managedFields: ['groups', 'memberOf'] }],
    ['a custom groups field', { AUTHELIA_GROUPS_FIELD: 'sso_groups' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['sso_groups', 'memberOf'] }],
    ['roles set: default roles field', { AUTHELIA_ROLES: 'admin=admins' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf', 'roles'] }],
    ['roles set: custom roles field', { AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FIELD: 'app_roles' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf', 'app_roles'] }],
    ['roles field without roles: not managed', { AUTHELIA_ROLES_FIELD: 'app_roles' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf'] }],
    ['empty roles: not managed', { AUTHELIA_ROLES: '' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf'] }],
    ['a custom membership field', { AUTHELIA_MEMBERSHIP_FIELD: 'sso_member_of' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'sso_member_of'] }],
    ['roles guarded even if the roles value is invalid', { AUTHELIA_ROLES: 'admin' }, { collection: 'users', authMethodsPaths: paths('users', '_pb_users_auth_'), managedFields: ['groups', 'memberOf', 'roles'] }],
  ];
  it.each(cases)('%s', (_label, env, expected) => {
    const { collectionAddresses: _addresses, ...rest } = registrationTargets(env, noFiles);
    expect(rest).toEqual({ provider: 'oidc', authOnly: true, maxSessionSeconds: 86400, ...expected });
  });

  it('hooks and routes answer the same spellings', () => {
    expect(registrationTargets({ AUTHELIA_COLLECTION: 'Staff' }, noFiles).collectionAddresses).toEqual(['Staff', 'staff', 'authelia_groups']);
    expect(registrationTargets({ AUTHELIA_GROUPS_COLLECTION: 'teams' }, noFiles).collectionAddresses).toEqual(['users', '_pb_users_auth_', 'teams']);
  });

  it('answers the spelling written, its lowercase form and, for users, the id', () => {
    expect(registrationTargets({ AUTHELIA_COLLECTION: 'USERS' }, noFiles).authMethodsPaths).toEqual(paths('USERS', 'users', '_pb_users_auth_'));
    expect(registrationTargets({ AUTHELIA_COLLECTION: 'Staff' }, noFiles).authMethodsPaths).toEqual(paths('Staff', 'staff'));
  });

  it.each([
    ['unset', undefined, true], ['false', 'false', false], ['off', 'OFF', false], ['0', '0', false],
    ['true', 'true', true], ['a typo counts as on (fail closed)', 'flase', true],
  ])('AUTHELIA_ONLY %s', (_label, value, expected) => {
    expect(registrationTargets(value === undefined ? {} : { AUTHELIA_ONLY: value }, noFiles).authOnly).toBe(expected);
  });

  it.each([
    ['unset', undefined, 86400], ['set', '2h', 7200], ['unreadable: the default (the bound still holds)', 'soon', 86400], ['zero: the default', '0', 86400],
  ])('AUTHELIA_MAX_SESSION %s', (_label, value, expected) => {
    expect(registrationTargets(value === undefined ? {} : { AUTHELIA_MAX_SESSION: value }, noFiles).maxSessionSeconds).toBe(expected);
  });

  it('takes the provider slot when it is a valid one, the default otherwise', () => {
    expect(registrationTargets({ AUTHELIA_PROVIDER: 'oidc2' }, noFiles).provider).toBe('oidc2');
    expect(registrationTargets({ AUTHELIA_PROVIDER: 'google' }, noFiles).provider).toBe('oidc');
  });

  it('does not need AUTHELIA_URL (hooks are registered before validation)', () => {
    expect(registrationTargets({ AUTHELIA_COLLECTION: 'members', AUTHELIA_URL: 'not a url' }, noFiles).collection).toBe('members');
  });
});

describe('registrationTargets: _FILE variants', () => {
  it('reads every variable from its _FILE', () => {
    const env = {
      AUTHELIA_COLLECTION_FILE: '/cfg/collection',
      AUTHELIA_GROUPS_FIELD_FILE: '/cfg/groups-field',
      AUTHELIA_MEMBERSHIP_FIELD_FILE: '/cfg/membership-field',
      AUTHELIA_ROLES_FILE: '/cfg/roles',
      AUTHELIA_ROLES_FIELD_FILE: '/cfg/roles-field',
    };
    const read = files({ '/cfg/collection': 'members\n', '/cfg/groups-field': ' g \n', '/cfg/membership-field': 'm\n', '/cfg/roles': 'admin=admins\n', '/cfg/roles-field': 'r\n' });
    expect(registrationTargets(env, read)).toMatchObject({ collection: 'members', authMethodsPaths: paths('members'), managedFields: ['g', 'm', 'r'] });
  });

  it('guards the roles field when roles come from AUTHELIA_ROLES_FILE', () => {
    expect(registrationTargets({ AUTHELIA_ROLES_FILE: '/cfg/roles' }, files({ '/cfg/roles': 'admin=admins' })).managedFields).toEqual(['groups', 'memberOf', 'roles']);
  });

  it('still guards the roles field when AUTHELIA_ROLES_FILE is unreadable (fail closed)', () => {
    expect(registrationTargets({ AUTHELIA_ROLES_FILE: '/cfg/missing' }, files({})).managedFields).toEqual(['groups', 'memberOf', 'roles']);
  });

  it('still guards the roles field when both AUTHELIA_ROLES and AUTHELIA_ROLES_FILE are set (fail closed)', () => {
    const env = { AUTHELIA_ROLES: 'admin=admins', AUTHELIA_ROLES_FILE: '/cfg/roles' };
    expect(registrationTargets(env, files({ '/cfg/roles': 'admin=admins' })).managedFields).toEqual(['groups', 'memberOf', 'roles']);
  });
});
