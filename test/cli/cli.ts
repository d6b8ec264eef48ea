// Helpers for the CLI tests: run the built bin/pocketbase-authelia.mjs as an operator would.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const BIN = resolve('bin/pocketbase-authelia.mjs');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The test process's environment without any AUTHELIA_* variable, plus `env`. */
export function cleanEnv(env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUTHELIA_')));
  return { ...base, ...env };
}

/** Asynchronous, so that an IdP in this process can answer the CLI. */
export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run node build.mjs first`);
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: cleanEnv(env), timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      done({ code, stdout, stderr });
    });
  });
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
