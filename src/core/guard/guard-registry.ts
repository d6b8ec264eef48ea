/**
 * The one list of what this extension has ever managed: per collection (by
 * id, so renames do not lose it), the fields it wrote (by field id, for the
 * same reason) and the provider slots that link records to Authelia.
 *
 * It lives in the database and only a valid boot adds to it; an invalid,
 * disabled or differently configured boot reads it and keeps guarding. A field
 * leaves it only when a superuser deletes the field. Pure: the adapter reads
 * and writes the JSON.
 */
export interface GuardRegistry {
  readonly collections: Readonly<Record<string, RegisteredCollection>>;
}

export interface RegisteredCollection {
  /** Last known name, for log lines only. */
  readonly name: string;
  /** Field id → last known name. */
  readonly fields: Readonly<Record<string, string>>;
  /** Provider slots (`oidc`, `oidc2`, `oidc3`) Authelia logins used on this collection. */
  readonly providers: readonly string[];
}

/** A field as the collection has it now. */
export interface FieldRef {
  readonly id: string;
  readonly name: string;
}

/** What a valid boot manages now. */
export interface ActiveManagement {
  readonly collectionId: string;
  readonly collectionName: string;
  readonly fields: readonly FieldRef[];
  /** The provider slot whose links make accounts Authelia-only; none for the groups collection. */
  readonly provider?: string;
}

export interface RetiredField {
  readonly collectionId: string;
  readonly fieldId: string;
  readonly name: string;
}

export const EMPTY_REGISTRY: GuardRegistry = { collections: {} };

/**
 * Reads the stored JSON. Anything unreadable is reported, not silently
 * treated as empty: an empty list would unguard every field.
 */
export function parseRegistry(raw: string | undefined): GuardRegistry | { readonly problem: string } {
  if (raw === undefined || raw === '') return EMPTY_REGISTRY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { problem: 'the stored list of managed fields is not JSON' };
  }
  const collections = (parsed as { collections?: unknown } | null)?.collections;
  if (typeof collections !== 'object' || collections === null || Array.isArray(collections)) {
    return { problem: 'the stored list of managed fields has no collections' };
  }
  const result: Record<string, RegisteredCollection> = {};
  for (const [id, entry] of Object.entries(collections as Record<string, unknown>)) {
    const value = (entry ?? {}) as { name?: unknown; fields?: unknown; providers?: unknown };
    const fields: Record<string, string> = {};
    if (typeof value.fields === 'object' && value.fields !== null) {
      for (const [fieldId, name] of Object.entries(value.fields as Record<string, unknown>)) {
        fields[fieldId] = typeof name === 'string' ? name : fieldId;
      }
    }
    const providers = Array.isArray(value.providers) ? value.providers.filter((p): p is string => typeof p === 'string') : [];
    result[id] = { name: typeof value.name === 'string' ? value.name : id, fields, providers };
  }
  return { collections: result };
}

/** Adds what a valid boot manages now; nothing is ever dropped here. */
export function registerActive(registry: GuardRegistry, active: ActiveManagement): GuardRegistry {
  const previous = registry.collections[active.collectionId];
  const fields: Record<string, string> = { ...previous?.fields };
  for (const field of active.fields) fields[field.id] = field.name;
  const known = previous?.providers ?? [];
  const providers = active.provider === undefined || known.includes(active.provider) ? known : [...known, active.provider];
  return {
    collections: {
      ...registry.collections,
      [active.collectionId]: { name: active.collectionName, fields, providers },
    },
  };
}

/**
 * Fields managed before that this boot does not manage (a role list emptied, a
 * field renamed by configuration, another collection configured). Their values
 * came from Authelia and would never be updated again while API rules may still
 * trust them, so they are cleared (and stay guarded).
 */
export function retiredFields(registry: GuardRegistry, active: ReadonlyArray<Pick<ActiveManagement, 'collectionId' | 'fields'>>): RetiredField[] {
  const current = new Set(active.flatMap((entry) => entry.fields.map((field) => `${entry.collectionId}/${field.id}`)));
  const retired: RetiredField[] = [];
  for (const [collectionId, entry] of Object.entries(registry.collections)) {
    for (const [fieldId, name] of Object.entries(entry.fields)) {
      if (current.has(`${collectionId}/${fieldId}`)) continue;
      retired.push({ collectionId, fieldId, name });
    }
  }
  return retired;
}

/**
 * Drops fields (and collections) that no longer exist: a superuser deleted
 * them, which is the only way out of the registry. Refreshes names.
 * `lookup` returns the collection's current field names by id, or `undefined`
 * when the collection itself is gone.
 */
export function pruneDeleted(registry: GuardRegistry, lookup: (collectionId: string) => { name: string; fieldNames: ReadonlyMap<string, string> } | undefined): GuardRegistry {
  const collections: Record<string, RegisteredCollection> = {};
  for (const [collectionId, entry] of Object.entries(registry.collections)) {
    const current = lookup(collectionId);
    if (!current) continue;
    const fields: Record<string, string> = {};
    for (const fieldId of Object.keys(entry.fields)) {
      const name = current.fieldNames.get(fieldId);
      if (name !== undefined) fields[fieldId] = name;
    }
    collections[collectionId] = { name: current.name, fields, providers: entry.providers };
  }
  return { collections };
}

export function sameRegistry(a: GuardRegistry, b: GuardRegistry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
