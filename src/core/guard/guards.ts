import type { GuardRegistry } from './guard-registry.js';

/**
 * What the request handlers enforce, computed by every boot (valid or not)
 * and handed to them through the app store: per collection id, the fields no
 * client may write and the provider slots whose links make an account
 * Authelia-only.
 */
export interface PublishedGuards {
  /** AUTHELIA_ONLY: accounts linked to Authelia sign in only through it. */
  readonly authOnly: boolean;
  readonly collections: Readonly<Record<string, CollectionGuard>>;
}

export interface CollectionGuard {
  /** Resolved to the field's current name at each request, so a renamed field stays guarded. */
  readonly fieldIds: readonly string[];
  /** Guarded by name: what an invalid configuration says it would manage (fail closed). */
  readonly fieldNames: readonly string[];
  readonly providers: readonly string[];
}

/** A collection the configuration names, guarded by field name too: unconfirmed (an invalid configuration) or re-created fields (a new id). */
export interface UnconfirmedCollection {
  readonly collectionId: string;
  readonly fieldNames: readonly string[];
  readonly provider: string;
}

export function publishGuards(registry: GuardRegistry, authOnly: boolean, unconfirmed?: UnconfirmedCollection): PublishedGuards {
  const collections: Record<string, CollectionGuard> = {};
  for (const [id, entry] of Object.entries(registry.collections)) {
    collections[id] = { fieldIds: Object.keys(entry.fields), fieldNames: [], providers: entry.providers };
  }
  if (unconfirmed) {
    const known = collections[unconfirmed.collectionId];
    collections[unconfirmed.collectionId] = {
      fieldIds: known?.fieldIds ?? [],
      fieldNames: unconfirmed.fieldNames,
      providers: known?.providers.includes(unconfirmed.provider) ? known.providers : [...(known?.providers ?? []), unconfirmed.provider],
    };
  }
  return { authOnly, collections };
}

/**
 * Without a valid configuration nothing confirms field ids, so every
 * registered field is guarded by its last known name too: a managed field a
 * superuser deleted and added again (a new id) stays read-only for clients.
 */
export function guardLastKnownNames(guards: PublishedGuards, registry: GuardRegistry): PublishedGuards {
  const collections: Record<string, CollectionGuard> = { ...guards.collections };
  for (const [id, entry] of Object.entries(registry.collections)) {
    const guard = collections[id];
    if (guard) collections[id] = { ...guard, fieldNames: [...new Set([...guard.fieldNames, ...Object.values(entry.fields)])] };
  }
  return { ...guards, collections };
}

/** The guarded field names of a collection as it is now (`nameOf` maps a field id to its current name). */
export function guardedNames(guard: CollectionGuard, nameOf: (fieldId: string) => string | undefined): string[] {
  const names = new Set(guard.fieldNames);
  for (const id of guard.fieldIds) {
    const name = nameOf(id);
    if (name !== undefined) names.add(name);
  }
  return [...names];
}

/** Body keys name fields directly or with PocketBase's `+field`, `field+`, `field-` modifiers. */
export function writtenFields(body: Readonly<Record<string, unknown>> | undefined): string[] {
  return Object.keys(body ?? {}).map((key) => key.replace(/^\+/, '').replace(/[+-]$/, ''));
}

/** The guarded fields a request body tries to write; empty when it may go ahead. */
export function forbiddenWrites(body: Readonly<Record<string, unknown>> | undefined, guarded: readonly string[]): string[] {
  return writtenFields(body).filter((field) => guarded.includes(field));
}
