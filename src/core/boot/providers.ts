import type { Config } from './config.js';
import { PROVIDER_SLOTS, type ProviderSlot } from './variables.js';
import type { Endpoints } from './discovery-rules.js';

/**
 * Marks the provider entry this extension wrote, so a later boot can update it,
 * move it to another slot, or remove it (fail closed) without touching
 * providers an operator configured by hand.
 */
export const MANAGED_BY_KEY = 'managedBy';
export const MANAGED_BY_VALUE = 'pocketbase-authelia';
/**
 * Where releases before the guard registry kept the names of the fields they
 * guarded; read once to seed the registry on upgrade, never written.
 */
export const LEGACY_GUARDED_FIELDS_KEY = 'guardedFields';

/** The fields of PocketBase's OAuth2 provider config that this extension sets. */
export interface ProviderFields {
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authURL: string;
  readonly tokenURL: string;
  readonly userInfoURL: string;
  readonly displayName: string;
  readonly pkce: boolean;
  readonly extra: Readonly<Record<string, unknown>>;
}

/** A provider already on the collection, read into plain values. */
export type ExistingProvider = ProviderFields;

export function desiredProvider(config: Config, endpoints: Endpoints): ProviderFields {
  return {
    name: config.provider,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    authURL: endpoints.authURL,
    tokenURL: endpoints.tokenURL,
    userInfoURL: endpoints.userInfoURL,
    displayName: config.displayName,
    pkce: config.pkce,
    extra: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE },
  };
}

/** The fields an older release's managed provider entry says it guarded; empty for anything else. */
export function legacyGuardedFields(provider: Pick<ProviderFields, 'extra'> | undefined): string[] {
  const listed = provider && isManaged(provider) ? provider.extra[LEGACY_GUARDED_FIELDS_KEY] : undefined;
  return Array.isArray(listed) ? listed.filter((name): name is string => typeof name === 'string') : [];
}

export function isManaged(provider: Pick<ProviderFields, 'extra'>): boolean {
  return provider.extra?.[MANAGED_BY_KEY] === MANAGED_BY_VALUE;
}

/** Each entry is either an existing provider kept as it is (by index) or ours. */
export type ProviderListEntry = { readonly keep: number } | { readonly write: ProviderFields };

export type ProviderPlan =
  | { readonly ok: true; readonly changed: boolean; readonly entries: readonly ProviderListEntry[] }
  | { readonly ok: false; readonly problem: string };

/**
 * The provider list after this boot. `desired` null removes every managed
 * entry (disabled or invalid configuration). Entries an operator made are kept
 * in place, except one in our slot that points elsewhere: that is a conflict,
 * reported instead of overwritten.
 */
export function planProviders(existing: readonly ExistingProvider[], desired: ProviderFields | null, issuer: string | null): ProviderPlan {
  const entries: ProviderListEntry[] = [];
  let changed = false;
  let placed = false;

  for (const [index, provider] of existing.entries()) {
    const inOurSlot = desired !== null && provider.name === desired.name;
    if (!inOurSlot) {
      if (isManaged(provider)) {
        changed = true; // our entry from an earlier boot, in a slot we no longer use
      } else {
        entries.push({ keep: index });
      }
      continue;
    }
    if (!isManaged(provider) && !(issuer !== null && provider.authURL.startsWith(`${issuer}/`))) {
      return {
        ok: false,
        problem: `the provider slot "${desired.name}" already holds a provider for ${provider.authURL || 'another identity provider'}; set AUTHELIA_PROVIDER to a free slot (${freeSlots(existing).join(', ') || 'none left'}) or remove that provider`,
      };
    }
    placed = true;
    if (sameProvider(provider, desired)) {
      entries.push({ keep: index });
    } else {
      entries.push({ write: desired });
      changed = true;
    }
  }
  if (desired !== null && !placed) {
    entries.push({ write: desired });
    changed = true;
  }
  return { ok: true, changed, entries };
}

function sameProvider(a: ProviderFields, b: ProviderFields): boolean {
  return (
    a.name === b.name &&
    a.clientId === b.clientId &&
    a.clientSecret === b.clientSecret &&
    a.authURL === b.authURL &&
    a.tokenURL === b.tokenURL &&
    a.userInfoURL === b.userInfoURL &&
    a.displayName === b.displayName &&
    a.pkce === b.pkce &&
    isManaged(a) &&
    // An entry still carrying an older release's field list is rewritten once.
    !(LEGACY_GUARDED_FIELDS_KEY in a.extra)
  );
}

function freeSlots(existing: readonly ExistingProvider[]): ProviderSlot[] {
  const used = new Set(existing.map((provider) => provider.name));
  return PROVIDER_SLOTS.filter((slot) => !used.has(slot));
}
