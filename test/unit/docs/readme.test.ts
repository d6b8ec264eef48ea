import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUTH_WITH_OAUTH2_WINDOW } from '../../../demo/sign-in-window.js';
import { DEFAULTS, VARIABLES } from '../../../src/core/boot/variables.js';
import { ADMIN_ROLE_ONLY, EDITORS_ONLY } from '../../support/api-rules.js';

const readme = readFileSync('README.md', 'utf8');

/** Rows of the configuration table: `| \`NAME\` | default | meaning |`. */
function documentedDefaults(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readme.split('\n')) {
    const match = /^\| `(AUTHELIA_[A-Z_]+)` \| ([^|]+) \|/.exec(line);
    if (match) rows.set(match[1]!, match[2]!.trim());
  }
  return rows;
}

// Defaults such as the sweep's cron expression hold regex syntax.
function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('README', () => {
  it('starts with the command that runs the product and the one that runs the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toMatch(/^npm install && npm start\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
  });

  it('documents every AUTHELIA_* variable with its real default, and no other', () => {
    const documented = documentedDefaults();
    expect([...documented.keys()].sort()).toEqual([...VARIABLES].sort());
    for (const name of VARIABLES) {
      const value = DEFAULTS[name];
      const expected = value === undefined ? /^\((unset|required)\)$/ : value === '' ? /^\(empty\)$/ : new RegExp(`^\`${escapeRegExp(value)}\`$`);
      expect(documented.get(name), name).toMatch(expected);
    }
  });

  it('shows the API rules that the end-to-end tests prove', () => {
    expect(readme).toContain(EDITORS_ONLY);
    expect(readme).toContain(ADMIN_ROLE_ONLY);
  });

  it('names only npm scripts that exist, and never sends anyone to npx for our CLI (it is not published)', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = [...readme.matchAll(/npm run ([a-z:-]+)/g)].map((match) => match[1]!);
    expect(named).toContain('authelia-config');
    expect(named).toContain('authelia-check');
    for (const name of named) expect(scripts, `npm run ${name}`).toHaveProperty(name);
    expect(readme).not.toMatch(/npx pocketbase-authelia(?! *`, which)/);
  });

  it("shows the demo page's sign-in window code verbatim, the code the browser tests run", () => {
    expect(readme).toContain('```js\n' + AUTH_WITH_OAUTH2_WINDOW + '```\n');
  });

  it('shows pictures that exist', () => {
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((match) => match[1]!);
    expect(images).toContain('docs/demo-page.png');
    for (const image of images) expect(existsSync(image), image).toBe(true);
  });
});
