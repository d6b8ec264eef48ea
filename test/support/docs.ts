// The examples of docs/operations.md, as tests read them: each fenced block right after a
// `<!-- tested: NAME -->` marker, its indentation (inside a list item) removed.
import { readFileSync } from 'node:fs';

export const OPERATIONS_GUIDE = 'docs/operations.md';

export function guideBlock(name: string): string {
  const text = readFileSync(OPERATIONS_GUIDE, 'utf8');
  const marker = `<!-- tested: ${name} -->`;
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${OPERATIONS_GUIDE} has no block marked ${marker}`);
  const match = /\n([ \t]*)```[a-z]*\n([\s\S]*?)\n[ \t]*```/.exec(text.slice(at));
  if (!match) throw new Error(`no fenced block after ${marker}`);
  const indent = match[1]!;
  return `${match[2]!.split('\n').map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)).join('\n')}\n`;
}
