// Helpers for the CLI tests: run the CLI as an operator would, as one bundled Node file.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli, CLI_FILE } from '../../scripts/bundles.mjs';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let built: Promise<string> | undefined;

/** The CLI built from src/cli, once per test process, into a temporary folder of its own (test files run in parallel). */
export function cliBundle(): Promise<string> {
  return (built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-authelia-cli-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, CLI_FILE);
    await buildCli(file);
    return file;
  })());
}

/** The test process's environment without any AUTHELIA_* variable, plus `env`. */
export function cleanEnv(env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUTHELIA_')));
  return { ...base, ...env };
}

/** Runs a command, asynchronously so that an IdP in this process can answer it; never throws on a non-zero exit. */
export function run(file: string, args: readonly string[], env: Readonly<Record<string, string>> = {}, cwd?: string): Promise<Run> {
  return new Promise((done) => {
    execFile(file, args, { env: cleanEnv(env), timeout: 20_000, ...(cwd ? { cwd } : {}) }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

/** `node <the CLI built from src/cli> ...args`; with `cli`, that file instead (e.g. the one from the release zip). */
export async function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}, cli?: string): Promise<Run> {
  return run(process.execPath, [cli ?? (await cliBundle()), ...args], env);
}

/** YAML → JSON with PyYAML: an independent parser for what we print. */
export function parseYaml(text: string): unknown {
  const json = execFileSync('python3', ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'], { input: text, encoding: 'utf8' });
  return JSON.parse(json);
}

/** pbkdf2-sha512 by Python's hashlib, a second implementation to check Node's digest against. */
export function pythonVerifiesDigest(secret: string, digest: string): boolean {
  const script = [
    'import sys, base64, hashlib, hmac',
    'secret, digest = sys.argv[1], sys.argv[2]',
    '_, variant, iterations, salt, key = digest.split("$")',
    'decode = lambda s: base64.b64decode(s.replace(".", "+") + "=" * (-len(s) % 4))',
    'salt, key = decode(salt), decode(key)',
    'assert variant == "pbkdf2-sha512" and len(salt) == 16 and len(key) == 64, (variant, len(salt), len(key))',
    'derived = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, int(iterations), 64)',
    'print("match" if hmac.compare_digest(derived, key) else "mismatch")',
  ].join('\n');
  return execFileSync('python3', ['-c', script, secret, digest], { encoding: 'utf8' }).trim() === 'match';
}

/** The two parts of authelia-config's output. */
export function splitConfigOutput(stdout: string): { yaml: string; pocketbase: string } {
  const at = stdout.indexOf('# PocketBase:');
  if (at < 0) throw new Error(`no PocketBase section in:\n${stdout}`);
  return { yaml: stdout.slice(0, at), pocketbase: stdout.slice(at) };
}

/** The line between the secret markers. */
export function printedSecret(pocketbase: string): string {
  const match = /===== CLIENT SECRET[^\n]*\n(?:#[^\n]*\n)*([^#\n][^\n]*)\n# ===== END OF CLIENT SECRET/.exec(pocketbase);
  if (!match) throw new Error(`no secret block in:\n${pocketbase}`);
  return match[1]!;
}
