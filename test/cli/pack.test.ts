import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_FILE } from '../../scripts/bundles.mjs';
import { crc32 } from '../../scripts/pack.mjs';
import { startIdp, type Idp } from '../../testkit/idp.js';
import { printedSecret, runCli, splitConfigOutput } from './cli.js';
import { verifyDigest } from './digest.js';

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

  it('holds the pb_hooks files, the CLI, the licences and INSTALL.txt, intact (read by Python\'s zipfile)', () => {
    expect(HOOKS).toContain('pb_hooks/authelia.pb.js');
    expect(HOOKS).toContain('pb_hooks/authelia/THIRD_PARTY_NOTICES.txt');
    const zip = readWithPython(ZIP);
    expect(zip.bad).toBeNull();
    expect([...zip.names].sort()).toEqual(['INSTALL.txt', 'LICENSE', 'THIRD_PARTY_NOTICES.txt', CLI_FILE, ...HOOKS].sort());
    for (const path of [...HOOKS, 'LICENSE']) {
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
    expect(install).toContain(`node ${CLI_FILE} authelia-config`);
    expect(install).not.toMatch(/npx/);
    expect(install).toMatch(/README/);
  });
});

// The zip's CLI, unpacked where no node_modules can be found, as on a server without the sources.
describe(`the release zip's ${CLI_FILE}, unzipped in an empty folder`, () => {
  const SECRET = 'pack-test-client-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH';
  let dir: string;
  let cli: string;
  let idp: Idp;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/pack.mjs']);
    dir = mkdtempSync(join(tmpdir(), 'pb-authelia-zip-'));
    execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', ZIP, dir]);
    cli = join(dir, CLI_FILE);
    idp = await startIdp({
      users: [],
      clients: [{ clientId: 'pocketbase', clientSecret: SECRET, redirectUris: ['https://pb.example.com/api/oauth2-redirect'] }],
    });
  });
  afterAll(async () => {
    await idp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is there, with nothing to import from node_modules', () => {
    expect(existsSync(cli)).toBe(true);
    expect(readFileSync(cli, 'utf8')).not.toMatch(/from ["'](?!node:)[^"']+["']|require\(["'](?!node:)/);
  });

  it('--help prints the usage', async () => {
    const run = await runCli(['--help'], {}, cli);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/authelia-config --pocketbase-url URL/);
  });

  it('authelia-config prints a client whose digest verifies against the printed secret', async () => {
    const run = await runCli(['authelia-config', '--pocketbase-url', 'https://pb.example.com'], {}, cli);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { yaml, pocketbase } = splitConfigOutput(run.stdout);
    const digest = /client_secret: '([^']+)'/.exec(yaml)?.[1];
    expect(verifyDigest(printedSecret(pocketbase), digest ?? '')).toBe(true);
  });

  it('check accepts a good configuration against an Authelia-like provider (exit 0)', async () => {
    const run = await runCli(['check', '--pocketbase-url', 'https://pb.example.com'], { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: SECRET }, cli);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^ok +client: /m);
    expect(run.code).toBe(0);
  });
});
