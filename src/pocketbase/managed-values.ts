import { sameNames, type ManagedValues } from '../core/login-decision.js';

/** Writes the values onto the record; returns whether anything differed from what is stored. */
export function applyManagedValues(record: core.Record, values: ManagedValues): boolean {
  let changed = false;
  for (const [field, names] of Object.entries(values)) {
    const stored = storedNames(record, field);
    if (stored === undefined || !sameNames(stored, names)) {
      record.set(field, [...names]);
      changed = true;
    }
  }
  return changed;
}

/** `undefined` when the field holds no list (null on a new record, or edited by hand): always rewrite then. */
function storedNames(record: core.Record, field: string): string[] | undefined {
  // A JSON field reads back as raw bytes; parse it rather than trust a cast.
  try {
    const parsed: unknown = JSON.parse(toString(record.get(field)));
    return Array.isArray(parsed) && parsed.every((name) => typeof name === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}
