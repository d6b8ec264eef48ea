import type { Config } from '../boot/config.js';
import { normalizeGroups } from './groups.js';
import { rolesForGroups } from './roles.js';

const LOGIN_SETTING_KEYS = [
  'groupsClaim', 'groupsField', 'membershipField', 'groupsCollection',
  'allowedGroups', 'roles', 'rolesField', 'syncProfile', 'autheliaOnly', 'relink',
] as const satisfies ReadonlyArray<keyof Config>;

/** What a login needs from the configuration: small, JSON-serialisable, no secret. */
export type LoginSettings = Pick<Config, (typeof LOGIN_SETTING_KEYS)[number]>;

export function loginSettings(config: Config): LoginSettings {
  return Object.fromEntries(LOGIN_SETTING_KEYS.map((key) => [key, config[key]])) as unknown as LoginSettings;
}

/** Field name → the list of names it must hold after this login (groups and roles; membership follows groups). */
export type ManagedValues = Readonly<Record<string, readonly string[]>>;

export type LoginDecision =
  | { readonly allowed: false; readonly reason: string; readonly groups: readonly string[]; readonly warnings: readonly string[] }
  | { readonly allowed: true; readonly values: ManagedValues; readonly warnings: readonly string[] };

/** The fields this extension owns on the collection; nobody else may write them. */
export function managedFields(settings: LoginSettings): string[] {
  return managedFieldNames(settings.groupsField, settings.membershipField, settings.roles.length > 0 ? settings.rolesField : undefined);
}

/** The one rule for which fields are managed: groups, membership, and roles when roles are configured. */
export function managedFieldNames(groupsField: string, membershipField: string, rolesField: string | undefined): string[] {
  return rolesField === undefined ? [groupsField, membershipField] : [groupsField, membershipField, rolesField];
}

/**
 * Decides a login from the claims Authelia sent: refused by the allowed-groups
 * gate, or allowed with the exact values of every managed field.
 */
export function decideLogin(claims: Readonly<Record<string, unknown>>, settings: LoginSettings): LoginDecision {
  const { groups, warnings } = normalizeGroups(claims[settings.groupsClaim], settings.groupsClaim);
  if (settings.allowedGroups.length > 0 && !settings.allowedGroups.some((allowed) => groups.includes(allowed))) {
    return {
      allowed: false,
      groups,
      warnings,
      reason: 'Your Authelia account is not in a group allowed to sign in here. Ask an administrator to add you to one.',
    };
  }
  const values: Record<string, readonly string[]> = { [settings.groupsField]: groups };
  if (settings.roles.length > 0) {
    values[settings.rolesField] = rolesForGroups(settings.roles, groups);
  }
  return { allowed: true, values, warnings };
}

/** Whether `current` (as stored) already holds `next`; avoids a save per login. */
export function sameNames(current: readonly string[], next: readonly string[]): boolean {
  return current.length === next.length && current.every((name, index) => name === next[index]);
}
