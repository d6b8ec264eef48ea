import { sameNames, type ManagedValues } from '../core/login-decision.js';

/** Writes the values onto the record; returns whether anything differed from what is stored. */
export function applyManagedValues(record: core.Record, values: ManagedValues): boolean {
  let changed = false;
  for (const [field, names] of Object.entries(values)) {
    if (!sameNames(storedNames(record, field), names)) {
      record.set(field, [...names]);
      changed = true;
    }
  }
  return changed;
}

function storedNames(record: core.Record, field: string): string[] {
  // A JSON field reads back as raw bytes; parse it rather than trust a cast.
  const raw = toString(record.get(field));
  if (raw === '' || raw === 'null') return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  } catch {
    return [];
  }
}
