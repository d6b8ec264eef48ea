// What we ship carries every licence it must: our LICENSE, and for each npm package esbuild bundles
// (into pb_hooks/ or into the CLI of the release zip) its name, version and licence text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleCli, hooksBuildOptions } from '../../scripts/bundles.mjs';
import { releaseEntries } from '../../scripts/pack.mjs';

interface Package {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

/** The npm packages among esbuild's inputs, read straight from the metafile. */
function packagesIn(metafile: Metafile): Package[] {
  const dirs = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const at = input.lastIndexOf('node_modules/');
    if (at < 0) continue;
    const [first = '', second = ''] = input.slice(at + 'node_modules/'.length).split('/');
    dirs.add(input.slice(0, at) + 'node_modules/' + (first.startsWith('@') ? `${first}/${second}` : first));
  }
  return [...dirs].map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
    return { name: pkg.name, version: pkg.version, dir };
  });
}

function licenceText(dir: string): string {
  const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'LICENCE', 'COPYING'].find((name) => {
    try {
      readFileSync(join(dir, name));
      return true;
    } catch {
      return false;
    }
  });
  if (!file) throw new Error(`${dir}: no licence file`);
  return readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n').trim();
}

function expectNamed(notices: string, packages: readonly Package[]): void {
  for (const p of packages) {
    expect(notices, p.name).toContain(`${p.name} ${p.version}`);
    expect(notices, `${p.name}'s licence text`).toContain(licenceText(p.dir));
  }
}

describe('licences', () => {
  it('LICENSE is the MIT licence of package.json, copyright the contributors, and ships in pb_hooks/', () => {
    const licence = readFileSync('LICENSE', 'utf8');
    expect((JSON.parse(readFileSync('package.json', 'utf8')) as { license: string }).license).toBe('MIT');
    expect(licence).toMatch(/^MIT License\n\nCopyright \(c\) pocketbase-authelia contributors\n/);
    expect(readFileSync('pb_hooks/authelia/LICENSE', 'utf8')).toBe(licence);
  });

  it('pb_hooks/authelia/THIRD_PARTY_NOTICES.txt names every package bundled into the hooks, with its licence text', async () => {
    const { metafile } = await build({ ...hooksBuildOptions('.tmp/licence-check'), write: false, metafile: true });
    const packages = packagesIn(metafile);
    expect(packages.map((p) => p.name)).toContain('zod'); // the check below must have something to check
    expectNamed(readFileSync('pb_hooks/authelia/THIRD_PARTY_NOTICES.txt', 'utf8'), packages);
  });

  it('the release zip\'s THIRD_PARTY_NOTICES.txt names every package bundled into its CLI, with its licence text', async () => {
    const packages = packagesIn((await bundleCli()).metafile);
    expect(packages.map((p) => p.name)).toContain('zod');
    const { entries } = await releaseEntries('.');
    const notices = entries.find((entry) => entry.name === 'THIRD_PARTY_NOTICES.txt');
    expect(notices).toBeDefined();
    expectNamed(notices!.data.toString('utf8'), packages);
  });
});
