// THIRD_PARTY_NOTICES.txt: the licence of every npm package esbuild put into a bundle, taken from
// the package's own licence file. esbuild's metafile says which files went in; a package without a
// licence file stops the build, so nothing ships without its licence.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundles.mjs';

/** @typedef {{ name: string, version: string, license: string, dir: string, licenseFiles: string[] }} BundledPackage */

const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i;

/**
 * The packages behind a bundle's inputs, sorted by name. A path inside node_modules belongs to the
 * package after its last `node_modules/` (a nested copy is its own package).
 * @param {readonly import('esbuild').Metafile[]} metafiles
 * @returns {BundledPackage[]}
 */
export function bundledPackages(metafiles) {
  /** @type {Map<string, BundledPackage>} */
  const packages = new Map();
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile.inputs)) {
      const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (!match) continue; // our own sources
      const dir = join(ROOT, `${match[1]}${match[2]}`);
      if (packages.has(dir)) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const licenseFiles = readdirSync(dir).filter((file) => LICENSE_FILE.test(file)).sort();
      if (licenseFiles.length === 0) throw new Error(`${dir} has no licence file; it cannot be bundled without its licence`);
      packages.set(dir, { name: pkg.name, version: pkg.version, license: licenseOf(pkg), dir, licenseFiles });
    }
  }
  return [...packages.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.dir < b.dir ? -1 : 1));
}

/** @param {{ license?: unknown, licenses?: unknown }} pkg */
function licenseOf(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  if (Array.isArray(pkg.licenses)) return pkg.licenses.map((l) => l?.type ?? String(l)).join(' OR ');
  return 'see the licence text below';
}

/**
 * The notices file for these packages: a line per package, then each licence text as shipped.
 * @param {string} what the bundle(s) the notices are for
 * @param {readonly BundledPackage[]} packages
 */
export function noticesText(what, packages) {
  const rule = '-'.repeat(72);
  const lines = [
    `Third-party software in ${what}`,
    '',
    'These npm packages are bundled into it, each under its own licence, reproduced below from the',
    "package's licence file:",
    '',
    ...packages.map((p) => `  ${p.name} ${p.version} (${p.license})`),
    '',
  ];
  for (const p of packages) {
    lines.push(rule, `${p.name} ${p.version} (${p.license})`, rule, '');
    for (const file of p.licenseFiles) lines.push(readFileSync(join(p.dir, file), 'utf8').replace(/\r\n/g, '\n').trimEnd(), '');
  }
  return `${lines.join('\n')}`;
}
