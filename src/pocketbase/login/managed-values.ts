import { sameNames, type LoginSettings, type ManagedValues } from '../../core/login/login-decision.js';
import { groupRecordIds } from './membership.js';

/**
 * Adds the membership relation to a login's values: the ids of the group
 * records named like the groups, looked up by name every time (one query), so
 * a relation edited by hand, even to as many other groups, is put right.
 */
export function withMembership(app: CoreApp, values: ManagedValues, login: LoginSettings): ManagedValues {
  return { ...values, [login.membershipField]: groupRecordIds(app, login.groupsCollection, values[login.groupsField] ?? []) };
}


/** Writes the values onto the record; returns whether anything differed from what is stored. */
export function applyManagedValues(record: core.Record, values: ManagedValues): boolean {
  let changed = false;
  for (const [field, names] of Object.entries(values)) {
    if (!sameAsStored(record, field, names)) {
      record.set(field, [...names]);
      changed = true;
    }
  }
  return changed;
}

function sameAsStored(record: core.Record, field: string, names: readonly string[]): boolean {
  const stored = storedList(record, field);
  return stored !== undefined && sameNames(stored, names);
}

/** `undefined` when a JSON field holds no list (null on a new record, or edited by hand): always rewrite then. */
function storedList(record: core.Record, field: string): string[] | undefined {
  if (record.collection().fields.getByName(field)?.type() !== 'json') {
    return record.getStringSlice(field); // select and relation fields hold lists natively
  }
  // A JSON field reads back as raw bytes; parse it rather than trust a cast.
  try {
    const parsed: unknown = JSON.parse(toString(record.get(field)));
    return Array.isArray(parsed) && parsed.every((name) => typeof name === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}
