import { describe, expect, it } from 'vitest';
import { parseRoles, rolesForGroups, type RoleRule } from '../../../src/core/login/roles.js';

function rules(value: string): readonly RoleRule[] {
  const result = parseRoles(value);
  if ('problem' in result) throw new Error(`expected rules, got problem: ${result.problem}`);
  return result.rules;
}

function problem(value: string): string {
  const result = parseRoles(value);
  if (!('problem' in result)) throw new Error(`expected a problem, got ${JSON.stringify(result.rules)}`);
  return result.problem;
}

const ADMIN_EDITOR = [
  { role: 'admin', groups: ['admins'] },
  { role: 'editor', groups: ['editors', 'writers'] },
];

describe('parseRoles: valid syntax', () => {
  const cases: Array<[string, RoleRule[]]> = [
    ['', []],
    ['   ', []],
    [';', []],
    [';;  ;', []],
    ['admin=admins;editor=editors,writers', ADMIN_EDITOR],
    ['admin=admins;editor=editors,writers;', ADMIN_EDITOR],
    ['  admin = admins ;  editor =  editors ,  writers ; ', ADMIN_EDITOR],
    ['admin=admins;;editor=editors,writers', ADMIN_EDITOR],
    ['\nadmin=admins;\neditor=editors,writers\n', ADMIN_EDITOR],
    ['admin=admins,admins, admins', [{ role: 'admin', groups: ['admins'] }]],
    ['admin=b,a', [{ role: 'admin', groups: ['b', 'a'] }]],
    ['team:lead=leads;v1.2=x;a_b-c=y;9=z', [
      { role: 'team:lead', groups: ['leads'] },
      { role: 'v1.2', groups: ['x'] },
      { role: 'a_b-c', groups: ['y'] },
      { role: '9', groups: ['z'] },
    ]],
    ['admin=group with spaces,Ärzte', [{ role: 'admin', groups: ['group with spaces', 'Ärzte'] }]],
    ['Admin=a;admin=b', [{ role: 'Admin', groups: ['a'] }, { role: 'admin', groups: ['b'] }]],
  ];
  it.each(cases)('%j', (value, expected) => {
    expect(rules(value)).toEqual(expected);
  });
});

describe('parseRoles: problems name the entry and its 1-based character position', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    // [label, value, where, what]
    ['missing "="', 'admin', 'entry 1 ("admin", at character 1)', /no "="/],
    ['missing "=" in the second entry', 'admin=admins;editor', 'entry 2 ("editor", at character 14)', /no "="/],
    ['missing "=" after an empty entry', 'a=x;;b', 'entry 3 ("b", at character 6)', /no "="/],
    ['position counts leading spaces of earlier entries', '  a=x ;  b', 'entry 2 ("b", at character 8)', /no "="/],
    ['empty role', '=admins', 'entry 1 ("=admins", at character 1)', /role name ""/],
    ['role with a space', 'ad min=admins', 'entry 1 ("ad min=admins", at character 1)', /role name "ad min"/],
    ['role starting with "-"', '-admin=admins', 'entry 1', /role name "-admin"/],
    ['role starting with "_"', '_admin=admins', 'entry 1', /role name "_admin"/],
    ['role with "/"', 'a/b=admins', 'entry 1', /role name "a\/b"/],
    ['role with unicode', 'rôle=admins', 'entry 1', /role name "rôle"/],
    ['duplicate role', 'admin=a;admin=b', 'entry 2 ("admin=b", at character 9)', /defined twice/],
    ['duplicate role after whitespace', 'admin=a; admin =b', 'entry 2 ("admin =b", at character 9)', /defined twice/],
    ['empty group list', 'admin=', 'entry 1 ("admin=", at character 1)', /non-empty/],
    ['whitespace group list', 'admin=  ', 'entry 1', /non-empty/],
    ['empty group between commas', 'admin=a,,b', 'entry 1 ("admin=a,,b", at character 1)', /non-empty/],
    ['trailing comma', 'admin=a,', 'entry 1', /non-empty/],
    ['a second "="', 'admin=a=b', 'entry 1', /non-empty/],
    ['empty group in a later entry', 'admin=a;editor=e,', 'entry 2 ("editor=e,", at character 9)', /non-empty/],
  ];
  it.each(cases)('%s', (_label, value, where, what) => {
    const message = problem(value);
    expect(message).toContain(where);
    expect(message).toMatch(what);
  });

  it('reports the first problem only', () => {
    const message = problem('admin;=x');
    expect(message).toContain('entry 1');
    expect(message).not.toContain('entry 2');
  });
});

describe('rolesForGroups', () => {
  const RULES: RoleRule[] = [
    { role: 'admin', groups: ['admins'] },
    { role: 'editor', groups: ['editors', 'writers'] },
    { role: 'viewer', groups: ['admins', 'editors', 'readers'] },
  ];
  const cases: Array<[string, string[], string[]]> = [
    ['no groups', [], []],
    ['an unrelated group', ['dev'], []],
    ['one matching group', ['writers'], ['editor']],
    ['rule order, not group order', ['writers', 'admins'], ['admin', 'editor', 'viewer']],
    ['a group granting several roles', ['admins'], ['admin', 'viewer']],
    ['two groups of the same rule grant the role once', ['editors', 'writers'], ['editor', 'viewer']],
    ['prefix of a group name', ['admin'], []],
    ['suffix match', ['sysadmins'], []],
    ['other case', ['Admins', 'ADMINS'], []],
    ['surrounding spaces', [' admins', 'admins '], []],
    ['substring of a group name', ['dmin'], []],
  ];
  it.each(cases)('%s', (_label, groups, expected) => {
    expect(rolesForGroups(RULES, groups)).toEqual(expected);
  });

  it('grants nothing with no rules', () => {
    expect(rolesForGroups([], ['admins'])).toEqual([]);
  });

  it('works on parsed rules', () => {
    expect(rolesForGroups(rules('admin=admins;editor=editors,writers'), ['admins', 'sysadmins', 'writers'])).toEqual(['admin', 'editor']);
  });
});
