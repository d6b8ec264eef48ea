import type { ConfigIssue } from '../../core/boot/errors.js';
import { planProviders, type ExistingProvider, type ProviderFields } from '../../core/boot/providers.js';

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
