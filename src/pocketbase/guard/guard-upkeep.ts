import { EMPTY_REGISTRY, registerActive, type GuardRegistry, type RetiredField } from '../../core/guard/guard-registry.js';
import { isManaged, legacyGuardedFields } from '../../core/boot/providers.js';
import { logError, logWarn } from '../log.js';
import { ensureTable, readRegistry, writeRegistry } from '../stores/registry-store.js';
import { clearRetiredFields } from '../boot/schema.js';

/**
 * The registry as stored, seeded on upgrade from the provider entries where
 * older releases kept the names of the fields they guarded (read before an
 * invalid configuration removes those entries).
 */
export function loadRegistry(app: CoreApp): GuardRegistry {
  ensureTable(app);
  const stored = readRegistry(app);
  let registry: GuardRegistry;
  if ('problem' in stored) {
    logError(app, `${stored.problem}; fields managed before are guarded again once a valid configuration boots`);
    registry = EMPTY_REGISTRY;
  } else {
    registry = stored;
  }
  if (Object.keys(registry.collections).length > 0) return registry;

  let seeded = registry;
  for (const collection of app.findAllCollections('auth')) {
    const provider = collection?.oauth2.providers.find((candidate) => isManaged({ extra: (candidate.extra ?? {}) as Record<string, unknown> }));
    if (!collection || !provider) continue;
    const fields = legacyGuardedFields({ extra: (provider.extra ?? {}) as Record<string, unknown> }).flatMap((name) => {
      const field = collection.fields.getByName(name);
      return field ? [{ id: field.getId(), name }] : [];
    });
    seeded = registerActive(seeded, { collectionId: collection.id, collectionName: collection.name, fields, provider: provider.name });
  }
  if (seeded !== registry) writeRegistry(app, seeded);
  return seeded;
}

/** The current name and field names of a collection, for `pruneDeleted`. */
export function collectionLookup(app: CoreApp): (collectionId: string) => { name: string; fieldNames: ReadonlyMap<string, string> } | undefined {
  return (collectionId) => {
    let collection: core.Collection;
    try {
      collection = app.findCollectionByNameOrId(collectionId);
    } catch {
      return undefined;
    }
    const fieldNames = new Map<string, string>();
    for (const field of collection.fields) if (field) fieldNames.set(field.getId(), field.getName());
    return { name: collection.name, fieldNames };
  };
}

/** Clears fields that are still guarded but no longer granted by this configuration. */
export function retire(app: CoreApp, retired: readonly RetiredField[]): void {
  const byCollection = new Map<string, string[]>();
  for (const field of retired) byCollection.set(field.collectionId, [...(byCollection.get(field.collectionId) ?? []), field.fieldId]);
  for (const [collectionId, fieldIds] of byCollection) {
    let collection: core.Collection;
    try {
      collection = app.findCollectionByNameOrId(collectionId);
    } catch {
      continue; // deleted: pruned from the registry next
    }
    const names = fieldIds.flatMap((id) => {
      const field = collection.fields.getById(id);
      return field ? [field.getName()] : [];
    });
    if (names.length === 0) continue;
    const cleared = clearRetiredFields(app, collection, names);
    if (cleared > 0) {
      logWarn(app, `cleared ${names.join(', ')} of "${collection.name}" in ${cleared} records: no longer managed by this configuration; clients still cannot write them; delete them from "${collection.name}" if you do not need them`);
    }
  }
}
