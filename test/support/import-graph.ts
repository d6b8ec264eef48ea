// The project's own import graph, read from the sources: which file imports which (relative
// specifiers only; packages and node: builtins are left out), and the circles in it. Used by
// test/unit/docs/layout.test.ts to hold the layout the README's Development section describes.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '../..');

const CODE = /\.(ts|mts|mjs|js)$/;
// `import … from`, `export … from`, `import('…')`, `import '…'`, `require('…')`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** Every code file under the given folders (relative to the project), declarations left out. */
export function codeFiles(...folders: string[]): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (name === 'node_modules' || name.startsWith('.')) continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (CODE.test(name) && !name.endsWith('.d.ts')) found.push(path);
    }
  };
  for (const folder of folders) walk(resolve(ROOT, folder));
  return found.map((path) => relative(ROOT, path)).sort();
}

/** file → the project files it imports (a `.js` specifier names the `.ts` file beside it). */
export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(resolve(ROOT, file), 'utf8');
    const targets = new Set<string>();
    for (const match of source.matchAll(SPECIFIER)) {
      const target = resolve(ROOT, dirname(file), match[2]!);
      const hit = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
      if (hit) targets.add(relative(ROOT, hit));
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** The circles: groups of files that reach each other through imports (Tarjan's components). */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file)) circles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return circles;
}
