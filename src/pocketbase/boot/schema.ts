import { MAX_GROUPS } from '../../core/login/groups.js';
import type { ConfigIssue } from '../../core/boot/errors.js';
import type { Config } from '../../core/boot/config.js';

/** Large enough for thousands of group names (the default 1 MB is not). */
const GROUPS_FIELD_MAX_SIZE = 4 * 1024 * 1024;
const GROUP_NAME_FIELD = 'name';
const UNUSED_ROLE_OPTION = '(unused)';

/**
 * The stored shape: a JSON list of names that frontends read (`groups`), a
 * relation to one record per group that API rules test exactly
 * (`@request.auth.memberOf.name ?= "editors"`), and, with AUTHELIA_ROLES, a multi-select of
 * roles (`@request.auth.roles:each ?= "admin"`). JSON alone cannot do exact rules: PocketBase's
 * `~` is a case-insensitive LIKE where `_` and `%` are wildcards.
 */
export function checkSchema(app: CoreApp, users: core.Collection, config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const groups = findCollection(app, config.groupsCollection);
  if (groups && (groups.type !== 'base' || groups.fields.getByName(GROUP_NAME_FIELD)?.type() !== 'text')) {
    issues.push({
      variable: 'AUTHELIA_GROUPS_COLLECTION',
      message: `the collection "${config.groupsCollection}" exists but is not a base collection with a text field "name"; name another collection`,
    });
  }
  const expected: Array<[string, string, string]> = [
    [config.groupsField, 'json', 'AUTHELIA_GROUPS_FIELD'],
    [config.membershipField, 'relation', 'AUTHELIA_MEMBERSHIP_FIELD'],
  ];
  if (config.roles.length > 0) expected.push([config.rolesField, 'select', 'AUTHELIA_ROLES_FIELD']);
  for (const [name, type, variable] of expected) {
    const field = users.fields.getByName(name);
    if (field && field.type() !== type) {
      issues.push({ variable, message: `the field "${name}" of "${users.name}" is a ${field.type()} field, not ${type}; name another field or remove that one` });
    }
  }
  const membership = users.fields.getByName(config.membershipField) as core.RelationField | undefined;
  if (groups && membership?.type() === 'relation' && membership.collectionId !== groups.id) {
    issues.push({ variable: 'AUTHELIA_MEMBERSHIP_FIELD', message: `the field "${config.membershipField}" relates to another collection than "${config.groupsCollection}"; name another field` });
  }
  return issues;
}

/** Creates what is missing and brings the roles list up to date; returns whether `users` changed, and the groups collection. Call after checkSchema. */
export function applySchema(app: CoreApp, users: core.Collection, config: Config): { readonly changed: boolean; readonly groups: core.Collection } {
  const groups = findCollection(app, config.groupsCollection) ?? createGroupsCollection(app, config.groupsCollection);
  let changed = false;
  if (!users.fields.getByName(config.groupsField)) {
    users.fields.add(new JSONField({ name: config.groupsField, maxSize: GROUPS_FIELD_MAX_SIZE }));
    changed = true;
  }
  if (!users.fields.getByName(config.membershipField)) {
    users.fields.add(new RelationField({ name: config.membershipField, collectionId: groups.id, maxSelect: MAX_GROUPS, cascadeDelete: false }));
    changed = true;
  }
  if (config.roles.length > 0) changed = applyRolesField(app, users, config) || changed;
  return { changed, groups };
}

function applyRolesField(app: CoreApp, users: core.Collection, config: Config): boolean {
  const roles = config.roles.map((rule) => rule.role);
  // A select is a list only with maxSelect > 1, and PocketBase allows no more than
  // there are options: a single role gets a second option that is never granted
  // (role names cannot contain parentheses, so it cannot clash).
  const options = roles.length === 1 ? [...roles, UNUSED_ROLE_OPTION] : roles;
  const maxSelect = options.length;
  const field = users.fields.getByName(config.rolesField) as core.SelectField | undefined;
  if (!field) {
    users.fields.add(new SelectField({ name: config.rolesField, values: options, maxSelect }));
    return true;
  }
  const current = [...field.values];
  if (current.length === options.length && current.every((option, index) => option === options[index]) && field.maxSelect === maxSelect) {
    return false;
  }
  // A role dropped from AUTHELIA_ROLES is taken away from everyone now, not at
  // their next login; it would also make their records fail validation.
  const removed = current.filter((role) => !roles.includes(role));
  if (removed.length > 0) stripRoles(app, users.name, config.rolesField, roles);
  field.values = options;
  field.maxSelect = maxSelect;
  return true;
}

function stripRoles(app: CoreApp, table: string, column: string, keep: readonly string[]): void {
  app
    .db()
    .newQuery(
      `UPDATE {{${table}}} SET [[${column}]] = (SELECT json_group_array(value) FROM json_each([[${column}]]) WHERE value IN (SELECT value FROM json_each({:keep}))) ` +
        `WHERE json_valid([[${column}]]) AND EXISTS (SELECT 1 FROM json_each([[${column}]]) WHERE value NOT IN (SELECT value FROM json_each({:keep})))`,
    )
    .bind({ keep: JSON.stringify(keep) })
    .execute();
}

/** Empties fields an earlier configuration managed (lists of names or ids), in every record; returns how many records changed. */
export function clearRetiredFields(app: CoreApp, collection: core.Collection, fields: readonly string[]): number {
  let changed = 0;
  for (const name of fields) {
    const type = collection.fields.getByName(name)?.type();
    if (type !== 'json' && type !== 'select' && type !== 'relation') continue;
    const result = app.db().newQuery(`UPDATE {{${collection.name}}} SET [[${name}]] = '[]' WHERE [[${name}]] IS NOT NULL AND [[${name}]] NOT IN ('', '[]')`).execute();
    changed += Number((result as unknown as { rowsAffected(): number }).rowsAffected());
  }
  return changed;
}

function createGroupsCollection(app: CoreApp, name: string): core.Collection {
  // Superusers only (null rules): users read their groups from their own record.
  const collection = new Collection({ type: 'base', name } as Partial<Collection>);
  collection.fields.add(new TextField({ name: GROUP_NAME_FIELD, required: true, max: 255 }));
  collection.addIndex(`idx_${name}_name`, true, GROUP_NAME_FIELD, '');
  app.save(collection);
  return collection;
}

function findCollection(app: CoreApp, name: string): core.Collection | undefined {
  try {
    return app.findCollectionByNameOrId(name);
  } catch {
    return undefined;
  }
}
