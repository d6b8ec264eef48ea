import { describe, expect, it } from 'vitest';
import { EMPTY_REGISTRY, registerActive } from '../../src/core/guard-registry.js';
import { coveredBy, formatHookTags, hookTags, parseHookTags, tagsToRemember } from '../../src/core/hook-tags.js';

const registry = registerActive(EMPTY_REGISTRY, { collectionId: 'c_users', collectionName: 'users', provider: 'oidc', fields: [{ id: 'f1', name: 'groups' }] });

describe('hook tags', () => {
  it('registers untagged (every collection) when nothing is remembered: the first start is correct everywhere', () => {
    expect(hookTags({ collectionAddresses: ['users'] }, parseHookTags(undefined))).toBeUndefined();
    expect(hookTags({ collectionAddresses: ['users'] }, parseHookTags('not json'))).toBeUndefined();
    expect(hookTags({ collectionAddresses: ['users'] }, parseHookTags('{"tags":[1]}'))).toBeUndefined();
    expect(coveredBy(undefined, { id: 'anything', name: 'Whatever' })).toBe(true);
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
