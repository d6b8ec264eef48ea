/** How many names go into one `IN (...)` query; SQLite allows far more, this keeps statements small. */
const CHUNK = 500;

/**
 * The ids of the group records for these names, in the same order, creating
 * the records that do not exist yet. Two logins may create the same group at
 * once: the unique index refuses the second insert, which then finds the first.
 */
export function groupRecordIds(app: CoreApp, groupsCollection: string, names: readonly string[]): string[] {
  const ids = new Map<string, string>();
  for (let start = 0; start < names.length; start += CHUNK) {
    const chunk = names.slice(start, start + CHUNK);
    for (const record of app.findAllRecords(groupsCollection, $dbx.in('name', ...chunk))) {
      if (record) ids.set(record.getString('name'), record.id);
    }
  }
  const missing = names.filter((name) => !ids.has(name));
  if (missing.length > 0) {
    const collection = app.findCachedCollectionByNameOrId(groupsCollection);
    for (const name of missing) ids.set(name, createGroup(app, collection, name));
  }
  return names.map((name) => ids.get(name)!);
}

function createGroup(app: CoreApp, collection: core.Collection, name: string): string {
  const record = new Record(collection, { name });
  try {
    app.save(record);
    return record.id;
  } catch (error) {
    const existing = app.findFirstRecordByData(collection, 'name', name);
    if (existing) return existing.id;
    throw error;
  }
}
