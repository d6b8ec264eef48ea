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
  for (const name of names) {
    if (!ids.has(name)) ids.set(name, createGroup(app, groupsCollection, name));
  }
  return names.map((name) => ids.get(name)!);
}

function createGroup(app: CoreApp, groupsCollection: string, name: string): string {
  const record = new Record(app.findCollectionByNameOrId(groupsCollection), { name });
  try {
    app.save(record);
    return record.id;
  } catch (error) {
    const existing = app.findFirstRecordByData(groupsCollection, 'name', name);
    if (existing) return existing.id;
    throw error;
  }
}
