import { describe, expect, it } from 'vitest';
import { EMPTY_REGISTRY, parseRegistry, pruneDeleted, registerActive, retiredFields, type GuardRegistry } from '../../../src/core/guard/guard-registry.js';
import { forbiddenWrites, guardedNames, publishGuards } from '../../../src/core/guard/guards.js';

const USERS = { collectionId: 'c_users', collectionName: 'users', provider: 'oidc' };
const GROUPS = { id: 'json1', name: 'groups' };
const MEMBER_OF = { id: 'rel1', name: 'memberOf' };
const ROLES = { id: 'sel1', name: 'roles' };

const withRoles = registerActive(EMPTY_REGISTRY, { ...USERS, fields: [GROUPS, MEMBER_OF, ROLES] });

describe('the guard registry', () => {
  it('registers what a valid boot manages, by collection id and field id', () => {
    expect(withRoles).toEqual({ collections: { c_users: { name: 'users', fields: { json1: 'groups', rel1: 'memberOf', sel1: 'roles' }, providers: ['oidc'] } } });
  });

  it('never drops a field a later configuration no longer manages: it is retired instead', () => {
    const active = { ...USERS, fields: [GROUPS, MEMBER_OF] };
    const next = registerActive(withRoles, active);
    expect(next.collections['c_users']?.fields).toEqual({ json1: 'groups', rel1: 'memberOf', sel1: 'roles' });
    expect(retiredFields(next, [active])).toEqual([{ collectionId: 'c_users', fieldId: 'sel1', name: 'roles' }]);
  });

  it('retires every field of a collection that is no longer the managed one, and keeps its provider slots', () => {
    const staff = { collectionId: 'c_staff', collectionName: 'staff', provider: 'oidc2', fields: [{ id: 'json9', name: 'groups' }] };
    const next = registerActive(withRoles, staff);
    expect(retiredFields(next, [staff]).map((field) => field.fieldId)).toEqual(['json1', 'rel1', 'sel1']);
    expect(next.collections['c_users']?.providers).toEqual(['oidc']);
    expect(next.collections['c_staff']?.providers).toEqual(['oidc2']);
  });

  it('keeps a renamed field by id, with its new name', () => {
    const renamed = registerActive(withRoles, { ...USERS, fields: [{ id: 'json1', name: 'teams' }, MEMBER_OF, ROLES] });
    expect(renamed.collections['c_users']?.fields['json1']).toBe('teams');
    expect(retiredFields(renamed, [{ collectionId: 'c_users', fields: [{ id: 'json1', name: 'teams' }, MEMBER_OF, ROLES] }])).toEqual([]);
  });

  it('registers the groups collection\'s name field without a provider, and keeps it active beside the users', () => {
    const groups = { collectionId: 'c_groups', collectionName: 'authelia_groups', fields: [{ id: 'text1', name: 'name' }] };
    const next = registerActive(withRoles, groups);
    expect(next.collections['c_groups']).toEqual({ name: 'authelia_groups', fields: { text1: 'name' }, providers: [] });
    expect(retiredFields(next, [{ ...USERS, fields: [GROUPS, MEMBER_OF, ROLES] }, groups])).toEqual([]);
  });

  it('adds a provider slot once', () => {
    const again = registerActive(withRoles, { ...USERS, fields: [GROUPS] });
    expect(again.collections['c_users']?.providers).toEqual(['oidc']);
    const moved = registerActive(withRoles, { ...USERS, provider: 'oidc3', fields: [GROUPS] });
    expect(moved.collections['c_users']?.providers).toEqual(['oidc', 'oidc3']);
  });

  it('forgets a field only once it was deleted, and a collection once it is gone', () => {
    const lookup = (id: string) => (id === 'c_users' ? { name: 'people', fieldNames: new Map([['json1', 'groups'], ['rel1', 'memberOf']]) } : undefined);
    const registry: GuardRegistry = registerActive(withRoles, { collectionId: 'c_gone', collectionName: 'old', provider: 'oidc', fields: [GROUPS] });
    expect(pruneDeleted(registry, lookup)).toEqual({ collections: { c_users: { name: 'people', fields: { json1: 'groups', rel1: 'memberOf' }, providers: ['oidc'] } } });
  });

  it('parses what it stores, and reports what it cannot read instead of guarding nothing', () => {
    expect(parseRegistry(JSON.stringify(withRoles))).toEqual(withRoles);
    expect(parseRegistry(undefined)).toEqual(EMPTY_REGISTRY);
    expect(parseRegistry('{oops')).toMatchObject({ problem: expect.stringContaining('not JSON') });
    expect(parseRegistry('[]')).toMatchObject({ problem: expect.any(String) });
    expect(parseRegistry('{"collections":{"c":{"fields":{"f":7},"providers":["oidc",3]}}}')).toEqual({ collections: { c: { name: 'c', fields: { f: 'f' }, providers: ['oidc'] } } });
  });
});

describe('published guards', () => {
  it('guards registered fields by id and, for an invalid configuration, the names it would manage', () => {
    const guards = publishGuards(withRoles, true, { collectionId: 'c_users', fieldNames: ['groups', 'memberOf', 'app_roles'], provider: 'oidc2' });
    const guard = guards.collections['c_users']!;
    expect(guard.providers).toEqual(['oidc', 'oidc2']);
    const names = guardedNames(guard, (id) => ({ json1: 'teams', rel1: 'memberOf' })[id]);
    expect(names.sort()).toEqual(['app_roles', 'groups', 'memberOf', 'teams']);
  });

  it('an unconfirmed collection unknown to the registry is guarded by name', () => {
    const guards = publishGuards(EMPTY_REGISTRY, false, { collectionId: 'c_new', fieldNames: ['groups'], provider: 'oidc' });
    expect(guards).toEqual({ authOnly: false, collections: { c_new: { fieldIds: [], fieldNames: ['groups'], providers: ['oidc'] } } });
  });

  it.each([
    [{ groups: ['admins'] }, ['groups']],
    [{ 'roles+': 'admin' }, ['roles']],
    [{ '+roles': 'admin' }, ['roles']],
    [{ 'memberOf-': 'x' }, ['memberOf']],
    [{ name: 'x', teams: [] }, ['teams']],
    [{ name: 'x' }, []],
    [undefined, []],
  ])('forbiddenWrites(%j)', (body, expected) => {
    expect(forbiddenWrites(body, ['groups', 'roles', 'memberOf', 'teams'])).toEqual(expected);
  });
});
