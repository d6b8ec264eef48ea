// What the demo adds to PocketBase so that the page can show authorization at work, once the
// extension has booted (it creates the groups collection and the user fields):
// - a `demo_notes` collection whose API rules admit only members of the Authelia group `admins`,
//   with one note in it: alice (admins) reads it, bob and carol get an empty list;
// - read access for signed-in users to the groups they are members of, so that the page can
//   expand `memberOf` into names (the extension leaves the groups collection to superusers).
import PocketBase from 'pocketbase';

export const NOTES_COLLECTION = 'demo_notes';
export const ADMIN_GROUP = 'admins';

/** The names the extension uses, as configured (AUTHELIA_* or their defaults). */
export interface FieldNames {
  readonly authCollection: string;
  readonly provider: string;
  readonly groupsField: string;
  readonly membershipField: string;
  readonly groupsCollection: string;
  readonly rolesField: string;
}

export function fieldNames(env: NodeJS.ProcessEnv): FieldNames {
  return {
    authCollection: env['AUTHELIA_COLLECTION'] || 'users',
    provider: env['AUTHELIA_PROVIDER'] || 'oidc',
    groupsField: env['AUTHELIA_GROUPS_FIELD'] || 'groups',
    membershipField: env['AUTHELIA_MEMBERSHIP_FIELD'] || 'memberOf',
    groupsCollection: env['AUTHELIA_GROUPS_COLLECTION'] || 'authelia_groups',
    rolesField: env['AUTHELIA_ROLES_FIELD'] || 'roles',
  };
}

/** The rule of the demo collection: exact, case-sensitive membership (see README, "Using groups in API rules"). */
export function adminsOnlyRule(names: FieldNames): string {
  return `@request.auth.${names.membershipField}.name ?= "${ADMIN_GROUP}"`;
}

/** Idempotent: a restart of the demo finds everything in place and changes nothing. */
export async function prepareDemoData(pocketbaseUrl: string, admin: { email: string; password: string }, names: FieldNames): Promise<void> {
  const pb = new PocketBase(pocketbaseUrl);
  pb.autoCancellation(false);
  await pb.collection('_superusers').authWithPassword(admin.email, admin.password);

  const ownGroups = `@request.auth.${names.membershipField}.id ?= id`;
  const groups = await pb.collections.getOne(names.groupsCollection);
  if (groups['listRule'] !== ownGroups || groups['viewRule'] !== ownGroups) {
    await pb.collections.update(groups.id, { listRule: ownGroups, viewRule: ownGroups });
  }

  const rule = adminsOnlyRule(names);
  const existing = await pb.collections.getOne(NOTES_COLLECTION).catch(() => undefined);
  if (!existing) {
    await pb.collections.create({
      name: NOTES_COLLECTION,
      type: 'base',
      listRule: rule,
      viewRule: rule,
      fields: [
        { name: 'title', type: 'text', required: true },
        { name: 'body', type: 'text' },
      ],
    });
    await pb.collection(NOTES_COLLECTION).create({
      title: 'For admins only',
      body: `Only members of the Authelia group "${ADMIN_GROUP}" can read this note.`,
    });
  } else if (existing['listRule'] !== rule || existing['viewRule'] !== rule) {
    await pb.collections.update(existing.id, { listRule: rule, viewRule: rule });
  }
}
