import type { GuardRegistry } from './guard-registry.js';
import type { RegistrationTargets } from './targets-rules.js';

/**
 * PocketBase runs a tagged record hook only for a collection whose exact id or
 * name is among the tags, and tags are fixed when the hooks load, before the
 * database opens. Untagged hooks would find any spelling, id or rename, but
 * would run JavaScript for every record write in every collection. So each
 * boot remembers, in a small file beside the database, the ids and names of
 * the collections it guards; the next start tags its hooks with them (ids
 * survive renames). Without that file (the first start, or the file deleted)
 * the hooks carry the spellings the configuration names; boot refuses a
 * configured collection they miss (a restart then applies it), and a guarded
 * collection whose id they lack may not be renamed until PocketBase restarts.
 */
export const HOOK_TAGS_FILE = 'authelia_hook_tags.json';

/** The remembered tags, or `undefined` when the file is missing or unreadable (then: untagged). */
export function parseHookTags(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as { tags?: unknown };
    return Array.isArray(parsed.tags) && parsed.tags.every((tag) => typeof tag === 'string') ? parsed.tags : undefined;
  } catch {
    return undefined;
  }
}

export function formatHookTags(tags: readonly string[]): string {
  return `${JSON.stringify({ tags }, null, 2)}\n`;
}

/** The tags to register now: the configured spellings and whatever the last boot remembered. */
export function hookTags(targets: Pick<RegistrationTargets, 'collectionAddresses'>, remembered: readonly string[] | undefined): string[] {
  return [...new Set([...targets.collectionAddresses, ...(remembered ?? [])])];
}

/** What the next start should tag: every collection in the registry, and the one the configuration names. */
export function tagsToRemember(registry: GuardRegistry, configured?: { readonly id: string; readonly name: string }): string[] {
  const tags: string[] = [];
  for (const [id, entry] of Object.entries(registry.collections)) tags.push(id, entry.name);
  if (configured) tags.push(configured.id, configured.name);
  return [...new Set(tags)].sort();
}

/** Whether hooks registered with these tags run for this collection. */
export function coveredBy(tags: readonly string[], collection: { readonly id: string; readonly name: string }): boolean {
  return tags.includes(collection.id) || tags.includes(collection.name);
}

/**
 * A guarded collection may be renamed only when the hooks know it by id:
 * tagged by name alone they would stop running for it under its new name.
 */
export function renameAllowed(tags: readonly string[], collectionId: string): boolean {
  return tags.includes(collectionId);
}
