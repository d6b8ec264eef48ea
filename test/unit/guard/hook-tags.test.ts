import { describe, expect, it } from 'vitest';
import { EMPTY_REGISTRY, registerActive } from '../../../src/core/guard/guard-registry.js';
import { coveredBy, formatHookTags, hookTags, parseHookTags, renameAllowed, tagsToRemember } from '../../../src/core/guard/hook-tags.js';

const registry = registerActive(EMPTY_REGISTRY, { collectionId: 'c_users', collectionName: 'users', provider: 'oidc', fields: [{ id: 'f1', name: 'groups' }] });

describe('hook tags', () => {
  it('on a first start (nothing remembered) tags the configured spellings only: never untagged', () => {
    for (const text of [undefined, 'not json', '{"tags":[1]}']) {
      expect(hookTags({ collectionAddresses: ['users', '_pb_users_auth_'] }, parseHookTags(text))).toEqual(['users', '_pb_users_auth_']);
    }
    expect(coveredBy(['users'], { id: 'c_users', name: 'users' })).toBe(true);
    expect(coveredBy(['users'], { id: 'c_users', name: 'Users' })).toBe(false);
  });

  it('allows renaming a guarded collection only once its id is among the tags', () => {
    expect(renameAllowed(['users'], 'c_users')).toBe(false);
    expect(renameAllowed(['users', 'c_users'], 'c_users')).toBe(true);
  });

  it('tags the configured spellings and every remembered id and name', () => {
    const remembered = parseHookTags(formatHookTags(tagsToRemember(registry)));
    expect(remembered).toEqual(['c_users', 'users']);
    expect(hookTags({ collectionAddresses: ['Staff', 'staff'] }, remembered)).toEqual(['Staff', 'staff', 'c_users', 'users']);
  });

  it('a remembered id covers a collection renamed since', () => {
    const tags = hookTags({ collectionAddresses: ['users'] }, tagsToRemember(registry));
    expect(coveredBy(tags, { id: 'c_users', name: 'members' })).toBe(true);
    expect(coveredBy(tags, { id: 'c_other', name: 'STAFF' })).toBe(false);
  });

  it('remembers the configured collection too, so a restart covers it', () => {
    expect(tagsToRemember(registry, { id: 'c_staff', name: 'STAFF' })).toEqual(['STAFF', 'c_staff', 'c_users', 'users']);
  });
});
