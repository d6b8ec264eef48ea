import type { ConfigIssue } from '../core/errors.js';
import { planProviders, type ExistingProvider, type ProviderFields } from '../core/providers.js';

/** Large enough for thousands of group names (the default 1 MB is not). */
const MANAGED_FIELD_MAX_SIZE = 4 * 1024 * 1024;

export type CollectionLookup = { readonly collection: core.Collection } | { readonly issue: ConfigIssue };

export function findAuthCollection(app: CoreApp, nameOrId: string): CollectionLookup {
  let collection: core.Collection;
  try {
    collection = app.findCollectionByNameOrId(nameOrId);
  } catch {
    return { issue: { variable: 'AUTHELIA_COLLECTION', message: `no collection "${nameOrId}" exists; create the auth collection or set the name of an existing one` } };
  }
  if (collection.type !== 'auth') {
    return { issue: { variable: 'AUTHELIA_COLLECTION', message: `"${nameOrId}" is a ${collection.type} collection; name an auth collection, e.g. users` } };
  }
  if (collection.name === '_superusers') {
    return { issue: { variable: 'AUTHELIA_COLLECTION', message: 'PocketBase does not allow OAuth2 for _superusers; name another auth collection, e.g. users' } };
  }
  return { collection };
}

/** A managed field must be JSON (a list of names); anything else is a mistake we must not paper over. */
export function checkManagedFields(collection: core.Collection, fields: ReadonlyArray<{ name: string; variable: string }>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const { name, variable } of fields) {
    const existing = collection.fields.getByName(name);
    if (existing && existing.type() !== 'json') {
      issues.push({
        variable,
        message: `the field "${name}" of "${collection.name}" is a ${existing.type()} field, not json; name another field or change its type to json`,
      });
    }
  }
  return issues;
}

/** Adds the missing managed fields; returns whether the collection changed. */
export function addMissingFields(collection: core.Collection, names: readonly string[]): boolean {
  let changed = false;
  for (const name of names) {
    if (!collection.fields.getByName(name)) {
      collection.fields.add(new JSONField({ name, maxSize: MANAGED_FIELD_MAX_SIZE }));
      changed = true;
    }
  }
  return changed;
}

export type ProviderUpdate = { readonly changed: boolean } | { readonly issue: ConfigIssue };

/**
 * Puts `desired` (or, when null, no managed provider) into the collection's
 * OAuth2 provider list; leaves every other provider as it was.
 */
export function updateProviders(collection: core.Collection, desired: ProviderFields | null, issuer: string | null): ProviderUpdate {
  const current = collection.oauth2.providers;
  const plan = planProviders(current.map(readProvider), desired, issuer);
  if (!plan.ok) {
    return { issue: { variable: 'AUTHELIA_PROVIDER', message: plan.problem } };
  }
  if (desired !== null && !collection.oauth2.enabled) {
    collection.oauth2.enabled = true;
  } else if (!plan.changed) {
    return { changed: false };
  }
  // Assign the whole list: PocketBase 0.28 merges a partly edited list by position.
  collection.oauth2.providers = plan.entries.map((entry) => ('keep' in entry ? current[entry.keep]! : toProviderConfig(entry.write)));
  return { changed: true };
}

function readProvider(provider: core.OAuth2ProviderConfig): ExistingProvider {
  return {
    name: provider.name,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    authURL: provider.authURL,
    tokenURL: provider.tokenURL,
    userInfoURL: provider.userInfoURL,
    displayName: provider.displayName,
    // A Go *bool reaches JS as an object wrapping the pointer; JSON gives its value.
    pkce: JSON.stringify(provider.pkce) === 'true',
    extra: (provider.extra ?? {}) as Record<string, unknown>,
  };
}

function toProviderConfig(fields: ProviderFields): core.OAuth2ProviderConfig {
  return { ...fields, extra: { ...fields.extra } } as unknown as core.OAuth2ProviderConfig;
}
