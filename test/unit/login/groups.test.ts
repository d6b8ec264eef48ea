import { describe, expect, it } from 'vitest';
import { MAX_GROUPS, MAX_GROUP_NAME_LENGTH, normalizeGroups } from '../../../src/core/login/groups.js';

describe('normalizeGroups: missing claim', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
  ])('%s → no groups and a warning naming the claim', (_label, claim) => {
    const result = normalizeGroups(claim, 'memberOf');
    expect(result.groups).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('"memberOf"');
    expect(result.warnings[0]).toContain('missing');
  });
});

describe('normalizeGroups: non-list types', () => {
  it.each([
    ['a number', 42, 'number'],
    ['zero', 0, 'number'],
    ['an object', { admins: true }, 'object'],
    ['true', true, 'boolean'],
    ['false', false, 'boolean'],
  ])('%s → no groups and a warning naming the claim and the type', (_label, claim, type) => {
    const result = normalizeGroups(claim, 'groups');
    expect(result.groups).toEqual([]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('"groups"');
    expect(result.warnings[0]).toContain(type);
  });
});

describe('normalizeGroups: strings and lists', () => {
  const cases: Array<[string, unknown, string[]]> = [
    ['a single string', 'admins', ['admins']],
    ['a single string with spaces', '  admins \n', ['admins']],
    ['an empty list', [], []],
    ['a clean list', ['dev', 'admins'], ['admins', 'dev']],
    ['duplicates', ['dev', 'admins', 'dev', 'admins'], ['admins', 'dev']],
    ['duplicates after trimming', ['dev', ' dev', 'dev\t'], ['dev']],
    ['inner whitespace kept', ['team a', 'team  a'], ['team  a', 'team a']],
    ['case kept (distinct groups)', ['Admins', 'admins'], ['Admins', 'admins']],
    ['unicode names kept', ['開発者', 'Ärzte', 'équipe', 'команда', '👩‍💻'], ['Ärzte', 'équipe', 'команда', '開発者', '👩‍💻']],
  ];
  it.each(cases)('%s', (_label, claim, expected) => {
    const result = normalizeGroups(claim, 'groups');
    expect(result.groups).toEqual(expected);
    expect(result.warnings).toEqual([]);
  });

  it.each([
    ['a single empty string', '', [], 1],
    ['a single whitespace string', '   ', [], 1],
    ['empty and whitespace entries', ['', '  ', 'dev'], ['dev'], 2],
  ] as const)('drops %s with a warning that counts them', (_label, claim, expected, count) => {
    const result = normalizeGroups(claim, 'groups');
    expect(result.groups).toEqual(expected);
    expect(result.warnings).toEqual([`dropped ${count} empty names of the "groups" claim`]);
  });

  it('drops non-string entries, counting them in one warning', () => {
    const result = normalizeGroups(['dev', 1, { name: 'x' }, null, true, ['nested'], undefined, 'admins'], 'groups');
    expect(result.groups).toEqual(['admins', 'dev']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('6');
    expect(result.warnings[0]).toContain('"groups"');
  });

  it('sorts by UTF-16 code unit, not by locale or code point', () => {
    // '😀' is U+1F600 (surrogates D83D DE00) and sorts before U+FFFD by code unit, after it by code point.
    const result = normalizeGroups(['b', 'a', 'B', 'A', '_', 'Z', 'é', '\uFFFD', '😀', '10', '9'], 'groups');
    expect(result.groups).toEqual(['10', '9', 'A', 'B', 'Z', '_', 'a', 'b', 'é', '😀', '\uFFFD']);
  });

  it("puts 'B' before 'a'", () => {
    expect(normalizeGroups(['a', 'B'], 'groups').groups).toEqual(['B', 'a']);
  });
});

describe('normalizeGroups: invalid names', () => {
  it(`keeps a name of exactly ${MAX_GROUP_NAME_LENGTH} characters and drops one of ${MAX_GROUP_NAME_LENGTH + 1}`, () => {
    expect(MAX_GROUP_NAME_LENGTH).toBe(255);
    const ok = 'g'.repeat(255);
    const tooLong = 'h'.repeat(256);
    const result = normalizeGroups([ok, tooLong, 'dev'], 'groups');
    expect(result.groups).toEqual(['dev', ok]);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('dropped 1 ');
  });

  it('measures the length after trimming', () => {
    const padded = `  ${'g'.repeat(255)}  `;
    expect(normalizeGroups([padded], 'groups').groups).toEqual(['g'.repeat(255)]);
  });

  it('drops a 10 KB name without affecting the others', () => {
    const huge = 'x'.repeat(10 * 1024);
    const result = normalizeGroups(['admins', huge, 'dev', 'staff'], 'groups');
    expect(result.groups).toEqual(['admins', 'dev', 'staff']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('"groups"');
    expect(result.warnings[0]).not.toContain(huge.slice(0, 300));
  });

  it.each([
    ['NUL', 'dev\u0000ops'],
    ['a tab inside', 'dev\tops'],
    ['a newline inside', 'dev\nops'],
    ['a carriage return inside', 'dev\rops'],
    ['ESC', 'dev\u001b[31m'],
    ['unit separator', 'a\u001fb'],
    ['DEL', 'dev\u007f'],
  ])('drops a name with a control character (%s)', (_label, name) => {
    const result = normalizeGroups(['admins', name], 'groups');
    expect(result.groups).toEqual(['admins']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('control characters');
  });

  it.each([
    ['NEL (U+0085)', 'dev\u0085ops'],
    ['CSI (U+009B)', 'dev\u009b31m'],
  ])('drops a name with a C1 control character (%s)', (_label, name) => {
    expect(normalizeGroups(['admins', name], 'groups').groups).toEqual(['admins']);
  });

  it('trims leading and trailing whitespace control characters instead of dropping the name', () => {
    expect(normalizeGroups(['\tdev\n'], 'groups')).toEqual({ groups: ['dev'], warnings: [] });
  });

  it('reports non-string and invalid entries as two warnings', () => {
    const result = normalizeGroups(['ok', 7, 'a\u0000', 'z'.repeat(300)], 'groups');
    expect(result.groups).toEqual(['ok']);
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings.join('\n')).toContain('dropped 1 non-string');
    expect(result.warnings.join('\n')).toContain('dropped 2 names');
  });
});

describe('normalizeGroups: many groups', () => {
  const name = (i: number): string => `g${String(i).padStart(5, '0')}`;

  it('keeps 1,000 groups, sorted, without warnings', () => {
    const claim = Array.from({ length: 1000 }, (_, i) => name(999 - i));
    const result = normalizeGroups(claim, 'groups');
    expect(result.groups).toHaveLength(1000);
    expect(result.groups[0]).toBe('g00000');
    expect(result.groups[999]).toBe('g00999');
    expect(result.warnings).toEqual([]);
  });

  it(`keeps exactly ${MAX_GROUPS} groups without a warning`, () => {
    const claim = Array.from({ length: MAX_GROUPS }, (_, i) => name(i));
    const result = normalizeGroups(claim, 'groups');
    expect(result.groups).toHaveLength(MAX_GROUPS);
    expect(result.warnings).toEqual([]);
  });

  it(`counts distinct names: ${MAX_GROUPS} names plus duplicates are not truncated`, () => {
    const claim = [...Array.from({ length: MAX_GROUPS }, (_, i) => name(i)), ...Array.from({ length: 500 }, (_, i) => name(i))];
    const result = normalizeGroups(claim, 'groups');
    expect(result.groups).toHaveLength(MAX_GROUPS);
    expect(result.warnings).toEqual([]);
  });

  it(`keeps the first ${MAX_GROUPS} groups of the claim (in claim order) and warns`, () => {
    expect(MAX_GROUPS).toBe(5000);
    // Descending order: the first MAX_GROUPS entries are g05000 … g00001; g00000 comes last and is dropped.
    const claim = Array.from({ length: MAX_GROUPS + 1 }, (_, i) => name(MAX_GROUPS - i));
    const result = normalizeGroups(claim, 'memberOf');
    expect(result.groups).toHaveLength(MAX_GROUPS);
    expect(result.groups[0]).toBe('g00001');
    expect(result.groups[MAX_GROUPS - 1]).toBe('g05000');
    expect(result.groups).not.toContain('g00000');
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('"memberOf"');
    expect(result.warnings[0]).toContain(String(MAX_GROUPS + 1));
  });
});
