// A client on another "device": its own Node process that trusts a private CA only through
// NODE_EXTRA_CA_CERTS (Node reads it at start-up, so the test process itself cannot be that client).
// It signs in with the official SDK and the headless IdP login, and refreshes tokens.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { RecordModel } from 'pocketbase';

export interface ClientFailure {
  readonly ok: false;
  readonly message: string;
  /** Node's code for a TLS failure (e.g. SELF_SIGNED_CERT_IN_CHAIN), from the fetch error's cause. */
  readonly causeCode: string | null;
  /** The PocketBase SDK's HTTP status when PocketBase refused. */
  readonly status: number | null;
}
export type ClientAnswer<T> = { readonly ok: true; readonly result: T } | ClientFailure;

export interface TrustingClient {
  login(url: string, user: { username: string; password: string }): Promise<ClientAnswer<{ token: string; record: RecordModel; scope: string | null }>>;
  refresh(url: string, token: string, collection?: string): Promise<ClientAnswer<{ status: number; token: string; record: Record<string, unknown>; message: string }>>;
  /** A plain request, as curl would send it. */
  http(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<ClientAnswer<{ status: number; body: string }>>;
}

let bundle: Promise<string> | undefined;

function clientBundle(): Promise<string> {
  return (bundle ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-authelia-client-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, 'client.mjs');
    await build({
      entryPoints: [resolve('testkit/trusting-client-main.ts')], outfile, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning',
    });
    return outfile;
  })());
}

/** A client trusting `caFile` (undefined: Node's built-in CAs only). */
export function trustingClient(caFile: string | undefined): TrustingClient {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_EXTRA_CA_CERTS'));
  if (caFile !== undefined) env['NODE_EXTRA_CA_CERTS'] = caFile;
  const run = async <T>(task: Record<string, unknown>): Promise<ClientAnswer<T>> => {
    const file = await clientBundle();
    return new Promise((done, fail) => {
      execFile(process.execPath, [file, JSON.stringify(task)], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          done(JSON.parse(line) as ClientAnswer<T>);
        } catch {
          fail(new Error(`the client process failed: ${error?.message ?? ''}\n${stdout}\n${stderr}`));
        }
      });
    });
  };
  return {
    login: (url, user) => run({ kind: 'login', url, username: user.username, password: user.password }),
    refresh: (url, token, collection = 'users') => run({ kind: 'refresh', url, token, collection }),
    http: (url, init = {}) => run({ kind: 'http', url, ...init }),
  };
}
