import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from '../../scripts/pack.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const ZIP = join('dist', `pocketbase-authelia-${pkg.version}.zip`);
const HOOKS = readdirSync('pb_hooks', { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => join(entry.parentPath ?? entry.path, entry.name).split('\\').join('/'))
  .sort();

/** What Python's zipfile (an independent reader) sees in the zip. */
function readWithPython(path: string): { bad: string | null; names: string[]; contents: Record<string, string> } {
  const script = [
    'import sys, json, zipfile, base64',
    'z = zipfile.ZipFile(sys.argv[1])',
    'bad = z.testzip()',
    'print(json.dumps({"bad": bad, "names": z.namelist(), "contents": {n: base64.b64encode(z.read(n)).decode() for n in z.namelist()}}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

describe('crc32', () => {
  it('gives the CRC-32 check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });
});

describe('scripts/pack.mjs (npm run pack after node build.mjs)', () => {
  let first: Buffer;
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/pack.mjs']);
    first = readFileSync(ZIP);
  });

  it('writes identical bytes on every run', () => {
    execFileSync(process.execPath, ['scripts/pack.mjs']);
    expect(readFileSync(ZIP).equals(first)).toBe(true);
  });

  it('holds exactly the pb_hooks files and INSTALL.txt, intact (read by Python\'s zipfile)', () => {
    expect(HOOKS).toContain('pb_hooks/authelia.pb.js');
    const zip = readWithPython(ZIP);
    expect(zip.bad).toBeNull();
    expect([...zip.names].sort()).toEqual(['INSTALL.txt', ...HOOKS].sort());
    for (const path of HOOKS) {
      expect(Buffer.from(zip.contents[path]!, 'base64').equals(readFileSync(path)), path).toBe(true);
    }
    const install = Buffer.from(zip.contents['INSTALL.txt']!, 'base64').toString('utf8');
    const lines = install.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(install).toContain(pkg.version);
    expect(install).toMatch(/pb_hooks/);
    expect(install).toMatch(/AUTHELIA_URL/);
    expect(install).toMatch(/AUTHELIA_CLIENT_SECRET_FILE/);
    expect(install).toMatch(/README/);
  });
});
