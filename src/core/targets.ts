import { resolveEnv, type EnvSource, type ReadTextFile } from './env.js';
import { DEFAULTS } from './variables.js';

/** The default `users` collection's fixed id; clients may address it by id too. */
const DEFAULT_USERS_ID = '_pb_users_auth_';

/**
 * What hook registration needs before the database is open: which collection
 * the hooks are tagged with, which auth-methods URLs to answer, and which
 * fields to guard even when boot later finds the configuration invalid.
 * Reads the raw environment only: validation (and zod) waits for boot.
 */
export interface RegistrationTargets {
  readonly collection: string;
  readonly authMethodsPaths: readonly string[];
  readonly managedFields: readonly string[];
}

export function registrationTargets(env: EnvSource, readFile: ReadTextFile): RegistrationTargets {
  const names = ['AUTHELIA_COLLECTION', 'AUTHELIA_GROUPS_FIELD', 'AUTHELIA_MEMBERSHIP_FIELD', 'AUTHELIA_ROLES', 'AUTHELIA_ROLES_FIELD'] as const;
  const { values, issues } = resolveEnv(names, env, readFile);
  const collection = values.AUTHELIA_COLLECTION ?? DEFAULTS.AUTHELIA_COLLECTION;
  const addresses = collection === DEFAULTS.AUTHELIA_COLLECTION ? [collection, DEFAULT_USERS_ID] : [collection];
  const managedFields = [
    values.AUTHELIA_GROUPS_FIELD ?? DEFAULTS.AUTHELIA_GROUPS_FIELD,
    values.AUTHELIA_MEMBERSHIP_FIELD ?? DEFAULTS.AUTHELIA_MEMBERSHIP_FIELD,
  ];
  // Roles that fail to load still mean a roles field exists to protect.
  const rolesConfigured =
    values.AUTHELIA_ROLES !== undefined || issues.some((issue) => ['AUTHELIA_ROLES', 'AUTHELIA_ROLES_FILE'].includes(issue.variable));
  if (rolesConfigured) managedFields.push(values.AUTHELIA_ROLES_FIELD ?? DEFAULTS.AUTHELIA_ROLES_FIELD);
  return {
    collection,
    // A literal path outranks PocketBase's `{collection}` pattern, and unlike a
    // router middleware it costs other requests nothing.
    authMethodsPaths: addresses.map((address) => `/api/collections/${address}/auth-methods`),
    managedFields,
  };
}
