// The layout the README's Development section describes, held: capabilities as folders, the pure
// core apart from the PocketBase adapter under the same capability names, no import circle, no
// crowded folder, no file too small to be a home of its own, and tests that mirror the code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeFiles, importCircles, importGraph, ROOT } from '../../support/import-graph.js';

const CAPABILITIES_OF = (side: 'core' | 'pocketbase') => folders(`src/${side}`);
const MOST_FILES_IN_A_FOLDER = 12;
const SMALLEST_HOME_LINES = 20;

function folders(path: string): string[] {
  return readdirSync(resolve(ROOT, path)).filter((name) => statSync(resolve(ROOT, path, name)).isDirectory()).sort();
}

function filesIn(path: string): string[] {
  return readdirSync(resolve(ROOT, path)).filter((name) => statSync(resolve(ROOT, path, name)).isFile());
}

describe('the layout', () => {
  it('has no import circle in src/, testkit/, bench/, scripts/ or demo/', () => {
    const graph = importGraph(codeFiles('src', 'testkit', 'bench', 'scripts', 'demo'));
    expect(graph.size).toBeGreaterThan(100);
    expect(importCircles(graph)).toEqual([]);
  });

  it('finds a circle when there is one (the check can fail)', () => {
    const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(importCircles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });

  it('keeps every folder of src/ to about a dozen files', () => {
    const crowded = codeFiles('src')
      .map((file) => dirname(file))
      .filter((folder, i, all) => all.indexOf(folder) === i)
      .map((folder) => ({ folder, files: filesIn(folder).filter((name) => name !== 'tsconfig.json').length }))
      .filter(({ files }) => files > MOST_FILES_IN_A_FOLDER);
    expect(crowded).toEqual([]);
  });

  it('gives each capability of the pure core an adapter folder of the same name, and keeps loose files out of src/core', () => {
    expect(CAPABILITIES_OF('core').filter((capability) => !CAPABILITIES_OF('pocketbase').includes(capability))).toEqual([]);
    expect(filesIn('src/core').filter((name) => name !== 'tsconfig.json')).toEqual([]);
  });

  it('names a rule and its adapter apart: no file name is both in src/core and in src/pocketbase', () => {
    const names = (side: string) => new Set(codeFiles(`src/${side}`).map((file) => basename(file)));
    const pocketbase = names('pocketbase');
    expect([...names('core')].filter((name) => pocketbase.has(name))).toEqual([]);
  });

  it('keeps the pure core from importing the adapter, the registration file or the CLI', () => {
    const graph = importGraph(codeFiles('src'));
    const outward = [...graph].flatMap(([file, targets]) => (file.startsWith('src/core/') ? targets.filter((target) => !target.startsWith('src/core/')).map((target) => `${file} -> ${target}`) : []));
    expect(outward).toEqual([]);
  });

  it('has no file under 20 lines in src/ that only one other file imports (it belongs in that file or beside its neighbour)', () => {
    const files = codeFiles('src');
    const graph = importGraph(files);
    const importers = new Map<string, number>();
    for (const targets of graph.values()) for (const target of targets) importers.set(target, (importers.get(target) ?? 0) + 1);
    const tiny = files.filter((file) => readFileSync(resolve(ROOT, file), 'utf8').trimEnd().split('\n').length < SMALLEST_HOME_LINES && importers.get(file) === 1);
    expect(tiny).toEqual([]);
  });

  it('mirrors the capabilities in test/unit and test/e2e (plus the docs and the test kit, which have tests of their own)', () => {
    const capabilities = new Set([...CAPABILITIES_OF('core'), ...CAPABILITIES_OF('pocketbase'), 'docs', 'testkit']);
    for (const kind of ['unit', 'e2e']) {
      expect(filesIn(`test/${kind}`)).toEqual([]);
      expect(folders(`test/${kind}`).filter((folder) => !capabilities.has(folder))).toEqual([]);
    }
  });
});
