/** One role and the groups that grant it. */
export interface RoleRule {
  readonly role: string;
  readonly groups: readonly string[];
}

export type RolesParseResult = { readonly rules: readonly RoleRule[] } | { readonly problem: string };

// Roles end up in API rules and in a select-like list: keep them to plain identifiers.
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;

/**
 * Parses `AUTHELIA_ROLES`: `role=group,group;role=group`, e.g.
 * `admin=admins;editor=editors,writers`. Whitespace around names is ignored;
 * a trailing `;` is allowed. Problems name the entry and its character position
 * (1-based) so an operator can find it in a long value.
 */
export function parseRoles(value: string): RolesParseResult {
  const rules: RoleRule[] = [];
  const seen = new Set<string>();
  let offset = 0;

  for (const [index, entry] of value.split(';').entries()) {
    const position = offset + 1;
    offset += entry.length + 1;
    if (entry.trim() === '') {
      continue;
    }
    const where = `entry ${index + 1} ("${entry.trim()}", at character ${position})`;
    const equals = entry.indexOf('=');
    if (equals < 0) {
      return { problem: `${where} has no "="; write role=group1,group2` };
    }
    const role = entry.slice(0, equals).trim();
    if (!ROLE_NAME.test(role)) {
      return { problem: `${where}: role name "${role}" must start with a letter or digit and use only letters, digits, "_", ".", ":" or "-"` };
    }
    if (seen.has(role)) {
      return { problem: `${where}: role "${role}" is defined twice; list all its groups in one entry` };
    }
    const groups = entry
      .slice(equals + 1)
      .split(',')
      .map((group) => group.trim());
    if (groups.some((group) => group === '' || group.includes('='))) {
      return { problem: `${where}: every group after "=" must be a non-empty name, separated by ","` };
    }
    seen.add(role);
    rules.push({ role, groups: [...new Set(groups)] });
  }
  return { rules };
}

/** The roles a user with these groups holds, in the order the rules were written. */
export function rolesForGroups(rules: readonly RoleRule[], groups: readonly string[]): string[] {
  const held = new Set(groups);
  return rules.filter((rule) => rule.groups.some((group) => held.has(group))).map((rule) => rule.role);
}
