/** Directories with thousands of groups exist; past this many we keep the first ones and warn. */
export const MAX_GROUPS = 5000;
/** Longer names are not group names a directory hands out; they are dropped with a warning. */
export const MAX_GROUP_NAME_LENGTH = 255;

export interface NormalizedGroups {
  /** Trimmed, de-duplicated, sorted by code unit (stable across runtimes: no locale). */
  readonly groups: readonly string[];
  /** Human-readable notes for the log; empty when the claim was a clean list of names. */
  readonly warnings: readonly string[];
}

// Control characters (C0, DEL and C1) have no place in a name that API rules compare against.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The rule for turning a groups claim into stored groups. A bad entry never
 * fails a login; it is dropped and reported:
 * - missing or `null`: no groups (Authelia omits the claim when the `groups`
 *   scope was not granted);
 * - a single string: one group;
 * - a list: its string entries, trimmed; empty, over-long or control-character
 *   names and non-string entries are dropped;
 * - anything else: no groups.
 */
export function normalizeGroups(claim: unknown, claimName: string): NormalizedGroups {
  if (claim === undefined || claim === null) {
    return {
      groups: [],
      warnings: [`the "${claimName}" claim is missing: the user gets no groups; check that the client may request the "groups" scope and that AUTHELIA_SCOPES includes it`],
    };
  }
  const entries: readonly unknown[] | undefined = typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim : undefined;
  if (entries === undefined) {
    return { groups: [], warnings: [`the "${claimName}" claim is ${describeType(claim)}, not a list of names: the user gets no groups`] };
  }

  const kept = new Set<string>();
  let nonStrings = 0;
  let empty = 0;
  let invalid = 0;
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      nonStrings++;
      continue;
    }
    const name = entry.trim();
    if (name === '') {
      empty++;
      continue;
    }
    if (name.length > MAX_GROUP_NAME_LENGTH || CONTROL_CHARACTER.test(name)) {
      invalid++;
      continue;
    }
    kept.add(name);
  }

  const warnings: string[] = [];
  if (nonStrings > 0) warnings.push(`dropped ${nonStrings} non-string entries of the "${claimName}" claim`);
  if (empty > 0) warnings.push(`dropped ${empty} empty names of the "${claimName}" claim`);
  if (invalid > 0) {
    warnings.push(`dropped ${invalid} names of the "${claimName}" claim that are longer than ${MAX_GROUP_NAME_LENGTH} characters or contain control characters`);
  }
  let groups = [...kept];
  if (groups.length > MAX_GROUPS) {
    warnings.push(`the "${claimName}" claim has ${groups.length} groups; kept the first ${MAX_GROUPS}`);
    groups = groups.slice(0, MAX_GROUPS);
  }
  return { groups: groups.sort(compareCodeUnits), warnings };
}

/**
 * By UTF-16 code unit, as JavaScript specifies `<`. Written out because goja
 * (PocketBase's engine) compares strings by code point, which orders characters
 * beyond U+FFFF differently from Node.
 */
function compareCodeUnits(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const difference = a.charCodeAt(index) - b.charCodeAt(index);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

function describeType(value: unknown): string {
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
