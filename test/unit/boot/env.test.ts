import { describe, expect, it } from 'vitest';
import { resolveEnv } from '../../../src/core/boot/env-rules.js';

const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

function files(map: Record<string, string>): { read: (path: string) => string; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    read: (path) => {
      calls.push(path);
      const content = map[path];
      if (content === undefined) throw new Error(`cannot open ${path}: CONTENT-IN-ERROR`);
      return content;
    },
  };
}

describe('resolveEnv: direct values', () => {
  it.each([
    ['a plain value', 'value', 'value'],
    ['surrounding spaces', '  value  ', 'value'],
    ['surrounding newlines and tabs', '\n\tvalue\n', 'value'],
    ['inner spaces kept', ' a  b ', 'a  b'],
    ['empty', '', undefined],
    ['spaces only', '   ', undefined],
    ['tabs and newlines only', '\t\n \r\n', undefined],
    ['unset', undefined, undefined],
  ])('%s', (_label, raw, expected) => {
    const env: Record<string, string | undefined> = { A: raw };
    const result = resolveEnv(['A'], env, noFiles);
    expect(result.values['A']).toBe(expected);
    expect(result.issues).toEqual([]);
  });

  it('resolves only the names asked for', () => {
    const result = resolveEnv(['A', 'B'], { A: '1', B: '2', C: '3' }, noFiles);
    expect(result.values).toEqual({ A: '1', B: '2' });
    expect(Object.keys(result.values).sort()).toEqual(['A', 'B']);
  });

  it('is case-sensitive about names', () => {
    expect(resolveEnv(['A'], { a: 'lower' }, noFiles).values['A']).toBeUndefined();
  });
});

describe('resolveEnv: _FILE values', () => {
  it('reads and trims the file named by X_FILE', () => {
    const f = files({ '/run/secrets/a': '\n  from-file  \n' });
    const result = resolveEnv(['A'], { A_FILE: '/run/secrets/a' }, f.read);
    expect(result).toEqual({ values: { A: 'from-file' }, issues: [] });
    expect(f.calls).toEqual(['/run/secrets/a']);
  });

  it('trims the path before reading', () => {
    const f = files({ '/run/a': 'x' });
    expect(resolveEnv(['A'], { A_FILE: '  /run/a \n' }, f.read).values['A']).toBe('x');
    expect(f.calls).toEqual(['/run/a']);
  });

  it('keeps inner newlines of a multi-line file', () => {
    const f = files({ '/a': 'line1\nline2\n' });
    expect(resolveEnv(['A'], { A_FILE: '/a' }, f.read).values['A']).toBe('line1\nline2');
  });

  it.each([
    ['an empty', ''],
    ['a whitespace-only', ' '],
  ])('treats %s X_FILE as unset and uses X', (_label, path) => {
    const result = resolveEnv(['A'], { A: 'direct', A_FILE: path }, noFiles);
    expect(result).toEqual({ values: { A: 'direct' }, issues: [] });
  });

  it('treats an empty X as unset and uses X_FILE', () => {
    const f = files({ '/a': 'file' });
    expect(resolveEnv(['A'], { A: '  ', A_FILE: '/a' }, f.read)).toEqual({ values: { A: 'file' }, issues: [] });
  });

  it('refuses both X and X_FILE, naming X and both variables, without reading the file', () => {
    const f = files({ '/a': 'file' });
    const result = resolveEnv(['A'], { A: 'direct', A_FILE: '/a' }, f.read);
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.variable).toBe('A');
    expect(result.issues[0]?.message).toContain('A_FILE');
    expect(result.values['A']).toBeUndefined();
    expect(f.calls).toEqual([]);
  });

  it('reports an unreadable file under X_FILE with the path and not the error text', () => {
    const f = files({});
    const result = resolveEnv(['A'], { A_FILE: '/run/missing' }, f.read);
    expect(result.values['A']).toBeUndefined();
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.variable).toBe('A_FILE');
    expect(result.issues[0]?.message).toContain('"/run/missing"');
    expect(result.issues[0]?.message).not.toContain('CONTENT-IN-ERROR');
  });

  it.each([
    ['empty', ''],
    ['whitespace-only', '  \n\n\t'],
  ])('reports an %s file under X_FILE', (_label, content) => {
    const f = files({ '/a': content });
    const result = resolveEnv(['A'], { A_FILE: '/a' }, f.read);
    expect(result.values['A']).toBeUndefined();
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.variable).toBe('A_FILE');
    expect(result.issues[0]?.message).toContain('"/a"');
    expect(result.issues[0]?.message).toContain('empty');
  });

  it('resolves several variables independently and collects every issue', () => {
    const f = files({ '/b': 'bee', '/d': '' });
    const result = resolveEnv(['A', 'B', 'C', 'D', 'E'], { A: 'a', B_FILE: '/b', C: 'c', C_FILE: '/c', D_FILE: '/d', E_FILE: '/e' }, f.read);
    expect(result.values['A']).toBe('a');
    expect(result.values['B']).toBe('bee');
    expect(result.issues.map((issue) => issue.variable)).toEqual(['C', 'D_FILE', 'E_FILE']);
    expect(f.calls).toEqual(['/b', '/d', '/e']);
  });
});
