import { resolveEnv, type EnvSource, type ReadTextFile } from '../boot/env-rules.js';
import { parseDuration } from '../boot/duration.js';
import { managedFieldNames } from '../login/login-decision.js';
import { DEFAULTS, PROVIDER_SLOTS } from '../boot/variables.js';

/** The default `users` collection's fixed id; clients may address it by id too. */
const DEFAULT_USERS_ID = '_pb_users_auth_';
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * What the raw environment says before validation: which auth-methods URLs to
 * answer (routes are registered before the database opens), and what to guard
 * and enforce when boot finds the configuration invalid (fail closed). zod
 * waits for boot.
 */
export interface RegistrationTargets {
  /** AUTHELIA_COLLECTION as written (name or id, any letter case). */
  readonly collection: string;
  /** The spellings of it that hooks and routes answer without knowing the database. */
  readonly collectionAddresses: readonly string[];
  readonly authMethodsPaths: readonly string[];
  readonly managedFields: readonly string[];
  readonly provider: string;
  /** AUTHELIA_ONLY; anything but a clear "false" counts as on. */
  readonly authOnly: boolean;
  /**
   * AUTHELIA_MAX_SESSION, or its default when it cannot be read: the bound
   * still holds while the rest of the configuration is invalid or unset.
   */
  readonly maxSessionSeconds: number;
}

export function registrationTargets(env: EnvSource, readFile: ReadTextFile): RegistrationTargets {
  const names = ['AUTHELIA_COLLECTION', 'AUTHELIA_GROUPS_COLLECTION', 'AUTHELIA_GROUPS_FIELD', 'AUTHELIA_MEMBERSHIP_FIELD', 'AUTHELIA_ROLES', 'AUTHELIA_ROLES_FIELD', 'AUTHELIA_PROVIDER', 'AUTHELIA_ONLY', 'AUTHELIA_MAX_SESSION'] as const;
  const { values, issues } = resolveEnv(names, env, readFile);
  const collection = values.AUTHELIA_COLLECTION ?? DEFAULTS.AUTHELIA_COLLECTION;
  // PocketBase finds collections by name in any letter case; a literal route
  // matches one spelling only, so answer the one written and its lowercase form.
  const addresses = new Set([collection, collection.toLowerCase()]);
  // The default collection is known by both its name and its fixed id.
  if (collection.toLowerCase() === DEFAULTS.AUTHELIA_COLLECTION) addresses.add(DEFAULT_USERS_ID);
  if (collection === DEFAULT_USERS_ID) addresses.add(DEFAULTS.AUTHELIA_COLLECTION);
  // Roles that fail to load still mean a roles field exists to protect.
  const rolesConfigured =
    values.AUTHELIA_ROLES !== undefined || issues.some((issue) => ['AUTHELIA_ROLES', 'AUTHELIA_ROLES_FILE'].includes(issue.variable));
  const managedFields = managedFieldNames(
    values.AUTHELIA_GROUPS_FIELD ?? DEFAULTS.AUTHELIA_GROUPS_FIELD,
    values.AUTHELIA_MEMBERSHIP_FIELD ?? DEFAULTS.AUTHELIA_MEMBERSHIP_FIELD,
    rolesConfigured ? values.AUTHELIA_ROLES_FIELD ?? DEFAULTS.AUTHELIA_ROLES_FIELD : undefined,
  );
  const provider = (PROVIDER_SLOTS as readonly string[]).includes(values.AUTHELIA_PROVIDER ?? '') ? values.AUTHELIA_PROVIDER! : DEFAULTS.AUTHELIA_PROVIDER;
  return {
    collection,
    // The groups collection's names are guarded too (see boot).
    collectionAddresses: [...addresses, values.AUTHELIA_GROUPS_COLLECTION ?? DEFAULTS.AUTHELIA_GROUPS_COLLECTION],
    // A literal path outranks PocketBase's `{collection}` pattern, and unlike a
    // router middleware it costs other requests nothing.
    authMethodsPaths: [...addresses].map((address) => `/api/collections/${address}/auth-methods`),
    managedFields,
    provider,
    authOnly: !FALSE_WORDS.has((values.AUTHELIA_ONLY ?? DEFAULTS.AUTHELIA_ONLY).toLowerCase()),
    maxSessionSeconds: maxSessionOrDefault(values.AUTHELIA_MAX_SESSION),
  };
}

function maxSessionOrDefault(value: string | undefined): number {
  const parsed = parseDuration(value ?? DEFAULTS.AUTHELIA_MAX_SESSION);
  if ('seconds' in parsed && parsed.seconds > 0) return parsed.seconds;
  const fallback = parseDuration(DEFAULTS.AUTHELIA_MAX_SESSION);
  return 'seconds' in fallback ? fallback.seconds : 86400;
}
