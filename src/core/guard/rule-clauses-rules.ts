/**
 * The guard written into the collection's own API rules, so that it holds
 * even when the hooks are gone (a volume not mounted, a copy step skipped):
 * PocketBase itself then refuses a client body that names a managed field.
 *
 * `:isset = false` refuses `{"groups": ...}`, `{"groups+": ...}` and
 * `{"+groups": ...}` (modifiers resolve to the field's name first) and lets the
 * field be deleted; `:changed` does not work on 0.28.4 and blocks deleting the
 * field on 0.38.2. Superusers bypass rules, as they bypass the hooks' guard.
 *
 * The clauses go in front of the rule the admin wrote, which is kept verbatim
 * inside parentheses: `C1 && C2 && (admin text)`. Taking them out gives that
 * text back. A null rule (superusers only) stays null; an empty rule (anyone)
 * becomes the clauses alone.
 */

export function guardClause(field: string): string {
  return `@request.body.${field}:isset = false`;
}

/** The rule with exactly these clauses in front; `known` lists every field name a clause of ours may name (to take old ones out). */
export function withGuardClauses(rule: string | null, fields: readonly string[], known: readonly string[] = fields): string | null {
  if (rule === null) return null;
  const base = withoutGuardClauses(rule, [...known, ...fields]);
  const clauses = [...new Set(fields)].sort().map(guardClause);
  if (clauses.length === 0) return base;
  return base === '' ? clauses.join(' && ') : `${clauses.join(' && ')} && (${base})`;
}

/** The rule as the admin wrote it: our leading clauses taken out, and the parentheses we added. */
export function withoutGuardClauses(rule: string, known: readonly string[]): string {
  let rest = rule.trim();
  let removed = false;
  for (;;) {
    const next = leadingClause(rest, known);
    if (next === undefined) break;
    rest = next;
    removed = true;
  }
  return removed ? unwrap(rest) : rest;
}

/** The rule after one leading clause of ours (and its `&&`), or `undefined` when it does not start with one. */
function leadingClause(rule: string, known: readonly string[]): string | undefined {
  for (const field of known) {
    const clause = guardClause(field);
    if (rule === clause) return '';
    if (rule.startsWith(clause)) {
      const after = rule.slice(clause.length).trimStart();
      if (after.startsWith('&&')) return after.slice(2).trim();
    }
  }
  return undefined;
}

/** `(text)` → `text` when the first parenthesis closes at the very end; quoted text is skipped. */
function unwrap(rule: string): string {
  if (!rule.startsWith('(') || !rule.endsWith(')')) return rule;
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < rule.length; i++) {
    const char = rule[i]!;
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = null;
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quote = char;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0 && i < rule.length - 1) return rule;
  }
  return rule.slice(1, -1).trim();
}
