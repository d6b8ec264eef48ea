import type { GuardRegistry } from '../../core/guard/guard-registry.js';
import { withGuardClauses } from '../../core/guard/rule-clauses-rules.js';
import { logError, logInfo } from '../log.js';

/**
 * Every boot (valid, invalid or with AUTHELIA_URL unset) puts the guard
 * clauses of each registered collection's managed fields back in front of its
 * create and update rules, so PocketBase refuses client writes to them even
 * without the hooks. The admin's own rule text is kept; a field a superuser
 * deleted has left the registry, so its clause goes too.
 */
export function keepRuleClauses(app: CoreApp, registry: GuardRegistry): void {
  for (const [collectionId, entry] of Object.entries(registry.collections)) {
    let collection: core.Collection;
    try {
      collection = app.findCollectionByNameOrId(collectionId);
    } catch {
      continue; // deleted: pruned from the registry
    }
    const byId = Object.keys(entry.fields).flatMap((id) => {
      const field = collection.fields.getById(id);
      return field ? [field.getName()] : [];
    });
    // A field deleted and added again under its old name (a new id) keeps its clause, as it stays guarded.
    const byName = Object.values(entry.fields).filter((name) => collection.fields.getByName(name));
    const fields = [...new Set([...byId, ...byName])];
    const known = [...fields, ...Object.values(entry.fields)];
    const [createBefore, updateBefore] = [ruleText(collection.createRule), ruleText(collection.updateRule)];
    const createRule = withGuardClauses(createBefore, fields, known);
    const updateRule = withGuardClauses(updateBefore, fields, known);
    if (createRule === createBefore && updateRule === updateBefore) continue;
    // The generated types say `string`; the Go field is *string and null (superusers only) is kept as null.
    collection.createRule = createRule as string;
    collection.updateRule = updateRule as string;
    try {
      app.save(collection);
      logInfo(app, `kept the managed fields of "${collection.name}" out of its create and update rules' reach (clauses @request.body.<field>:isset = false)`);
    } catch (error) {
      logError(app, `could not add the guard clauses to the API rules of "${collection.name}" (${error instanceof Error ? error.message : String(error)}); the hooks still guard its fields`);
    }
  }
}

/** A rule reads as a wrapped Go `*string` (typeof "object"): compare its text; nil is null (superusers only). */
function ruleText(rule: unknown): string | null {
  return rule === null || rule === undefined ? null : String(rule);
}
