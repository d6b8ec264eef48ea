import { describe, expect, it } from 'vitest';
import { withGuardClauses, withoutGuardClauses } from '../../../src/core/guard/rule-clauses-rules.js';

const FIELDS = ['groups', 'memberOf', 'roles'];
const CLAUSES = '@request.body.groups:isset = false && @request.body.memberOf:isset = false && @request.body.roles:isset = false';

describe('guard clauses in API rules', () => {
  it.each([
    ['an empty rule (anyone) gets the clauses alone', '', CLAUSES],
    ['an admin rule is kept verbatim in parentheses', 'id = @request.auth.id', `${CLAUSES} && (id = @request.auth.id)`],
    ['an "or" rule keeps its meaning', 'a = 1 || b = 2', `${CLAUSES} && (a = 1 || b = 2)`],
  ])('%s', (_, rule, expected) => {
    expect(withGuardClauses(rule, FIELDS)).toBe(expected);
  });

  it('leaves a null rule (superusers only) null', () => {
    expect(withGuardClauses(null, FIELDS)).toBeNull();
  });

  it('is stable: applying it again changes nothing', () => {
    for (const rule of ['', 'id = @request.auth.id', '(a = 1) || (b = 2)', '(name = ")(")']) {
      const once = withGuardClauses(rule, FIELDS)!;
      expect(withGuardClauses(once, FIELDS)).toBe(once);
      expect(withoutGuardClauses(once, FIELDS)).toBe(rule);
    }
  });

  it('puts back a clause an admin deleted, and drops the clause of a field no longer guarded', () => {
    const edited = `@request.body.roles:isset = false && (id = @request.auth.id)`;
    expect(withGuardClauses(edited, FIELDS)).toBe(`${CLAUSES} && (id = @request.auth.id)`);
    expect(withGuardClauses(`${CLAUSES} && (x = 1)`, ['groups'], FIELDS)).toBe('@request.body.groups:isset = false && (x = 1)');
    expect(withGuardClauses(`${CLAUSES} && (x = 1)`, [], FIELDS)).toBe('x = 1');
  });

  it('keeps an admin edit after the clauses, and never unwraps parentheses it did not add', () => {
    expect(withoutGuardClauses(`${CLAUSES} && (a = 1) && (b = 2)`, FIELDS)).toBe('(a = 1) && (b = 2)');
    expect(withoutGuardClauses('(a = 1)', FIELDS)).toBe('(a = 1)');
    expect(withoutGuardClauses('@request.body.other:isset = false && x = 1', FIELDS)).toBe('@request.body.other:isset = false && x = 1');
  });
});
