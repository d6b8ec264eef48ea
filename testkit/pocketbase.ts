import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import PocketBase from 'pocketbase';
import { pocketbaseBinary } from './pocketbase-versions.js';

const run = promisify(execFile);
export const BUILT_HOOKS = resolve('pb_hooks');
const LOG_FLUSH_MS = 3_300;
export const SUPERUSER = { email: 'root@example.test', password: 'superuser-password-1' } as const;

export interface PocketBaseOptions {
  readonly version: string;
  /** Only these variables (plus PATH and HOME) reach PocketBase: tests must not inherit an operator's AUTHELIA_*. */
  readonly env?: Readonly<Record<string, string>>;
  /** Reuse a data dir (restart tests); a fresh temporary one otherwise. */
  readonly dataDir?: string;
  /** Another hooks dir, e.g. none at all for a baseline. */
  readonly hooksDir?: string | null;
  /** More `serve` flags (the benchmark's `--hooksPool`). */
  readonly args?: readonly string[];
  /** A port chosen beforehand (the IdP must know the redirect URI before PocketBase starts). */
  readonly port?: number;
  /** More `*.pb.js` files beside ours (file name → source), e.g. to make a PocketBase step fail on purpose. */
  readonly extraHooks?: Readonly<Record<string, string>>;
}

export interface PocketBaseServer {
  readonly url: string;
  readonly version: string;
  readonly dataDir: string;
  /** The process id (its memory and CPU time in /proc, for the benchmarks). */
  readonly pid: number | undefined;
  /** Everything the process printed so far (`--dev` prints PocketBase's log lines). */
  output(): string;
  /**
   * PocketBase's own log (what the dashboard's Logs page shows) without request
   * entries, one JSON line per entry, oldest first. PocketBase writes its log in
   * batches, so this waits; with `until`, up to three batches for a match.
   */
  logs(until?: RegExp): Promise<string>;
  /** A fresh SDK client signed in as superuser. */
  superuser(): Promise<PocketBase>;
  /** Stops the process; keeps the data dir for a restart. */
  stop(): Promise<void>;
  /** Stops it and starts the same version on the same data dir and port with this environment (an operator's restart). */
  restart(env: Readonly<Record<string, string>>): Promise<PocketBaseServer>;
  /** Stops the process and deletes the data dir. */
  destroy(): Promise<void>;
}

/*
 * A port for a server that starts later: PocketBase's port must be known before the IdP that
 * redirects to it. A port the kernel handed out (listen on 0) and released at once can be taken
 * again before PocketBase binds it, by any outgoing connection or other listen on 0, which is how
 * "address already in use" failed whole test files. So ports come from below the kernel's
 * ephemeral range (32768-60999 on Linux), which nothing takes by itself, and each test worker
 * (VITEST_POOL_ID) owns its own block, so two workers never hand out the same one.
 */
const PORT_BLOCK_BASE = 20_000;
const PORT_BLOCK_SIZE = 600;
const PORT_BLOCKS = 20;
let portsHandedOut = 0;

export async function freePort(): Promise<number> {
  const block = Number(process.env['VITEST_POOL_ID'] ?? 0) % PORT_BLOCKS;
  // Each test file runs in a fresh process: start at a pid-based offset so a file does not
  // hand out the port its predecessor in the same worker used a moment ago.
  const start = process.pid % PORT_BLOCK_SIZE;
  for (let tries = 0; tries < PORT_BLOCK_SIZE; tries++) {
    const port = PORT_BLOCK_BASE + block * PORT_BLOCK_SIZE + ((start + portsHandedOut++) % PORT_BLOCK_SIZE);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in block ${block} (${PORT_BLOCK_BASE + block * PORT_BLOCK_SIZE}+)`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** A data dir with our hooks copied in, as an operator would drop them. */
export async function newDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pb-authelia-'));
}

export async function startPocketBase(options: PocketBaseOptions): Promise<PocketBaseServer> {
  const dataDir = options.dataDir ?? (await newDataDir());
  const binary = pocketbaseBinary(options.version);
  const env = { PATH: process.env['PATH'] ?? '', HOME: dataDir, ...options.env };
  const pbData = join(dataDir, 'pb_data');
  await run(binary, ['superuser', 'upsert', SUPERUSER.email, SUPERUSER.password, '--dir', pbData], { env });

  // As an operator would: the built folder copied into the data dir's pb_hooks.
  let hooksDir = options.hooksDir ?? join(dataDir, 'no-hooks');
  if (options.hooksDir === undefined) {
    hooksDir = join(dataDir, 'pb_hooks');
    await cp(BUILT_HOOKS, hooksDir, { recursive: true });
  }
  for (const [name, source] of Object.entries(options.extraHooks ?? {})) await writeFile(join(hooksDir, name), source);
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  // PocketBase turns on dev mode (SQL printed to stdout, secrets included) when its
  // binary lives under the temp dir, as in a CI clone: always ask for production mode.
  const args = ['serve', '--dev=false', '--http', `127.0.0.1:${port}`, '--dir', pbData];
  args.push('--hooksDir', hooksDir, '--hooksWatch=false', ...(options.args ?? []));

  const child = spawn(binary, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  const server: PocketBaseServer = {
    url,
    version: options.version,
    dataDir,
    pid: child.pid,
    output: () => output,
    logs: async (until) => {
      // PocketBase flushes its log after 3 s without new entries, and every
      // request (this read included) adds one: stay quiet, then read.
      for (let attempt = 0; ; attempt++) {
        await new Promise((done) => setTimeout(done, LOG_FLUSH_MS));
        const text = await readLogs(url);
        if (!until || until.test(text) || attempt >= 2) return text;
      }
    },
    superuser: async () => {
      const pb = new PocketBase(url);
      pb.autoCancellation(false);
      await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
      return pb;
    },
    stop: () => stopProcess(child, exited),
    restart: async (env) => {
      await stopProcess(child, exited);
      return startPocketBase({ ...options, dataDir, port, env });
    },
    destroy: async () => {
      await stopProcess(child, exited);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  await waitForHealth(url, exited, () => output);
  return server;
}

/** Runs `serve` expecting it to fail (strict mode); resolves with exit code and output. */
export async function serveExpectingExit(options: PocketBaseOptions): Promise<{ code: number | null; output: string }> {
  const dataDir = options.dataDir ?? (await newDataDir());
  const hooksDir = join(dataDir, 'pb_hooks');
  await cp(BUILT_HOOKS, hooksDir, { recursive: true });
  const port = await freePort();
  const env = { PATH: process.env['PATH'] ?? '', HOME: dataDir, ...options.env };
  const child = spawn(pocketbaseBinary(options.version), ['serve', '--dev=false', '--http', `127.0.0.1:${port}`, '--dir', join(dataDir, 'pb_data'), '--hooksDir', hooksDir, '--hooksWatch=false'], { env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  clearTimeout(timer);
  const health = await fetch(`http://127.0.0.1:${port}/api/health`).then(() => true, () => false);
  await rm(dataDir, { recursive: true, force: true });
  return { code, output: health ? `${output}\n(server was still answering)` : output };
}

/** One line of `PocketBaseServer.logs()`: a PocketBase log entry as the dashboard's Logs page shows it. */
export interface LogEntry {
  readonly level: number;
  readonly message: string;
  readonly data: Record<string, unknown>;
}

/** The entries of a `PocketBaseServer.logs()` text, oldest first. */
export function logEntries(logs: string): LogEntry[] {
  return logs.split('\n').filter(Boolean).map((line) => JSON.parse(line) as LogEntry);
}

async function readLogs(url: string): Promise<string> {
  const pb = new PocketBase(url);
  pb.autoCancellation(false);
  await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
  // Request logs are noise here; the extension's lines are plain log entries.
  const entries = [];
  for (let page = 1; ; page++) {
    const list = await pb.logs.getList(page, 500, { sort: 'created', filter: 'data.type != "request"' });
    entries.push(...list.items);
    if (page >= list.totalPages) break;
  }
  return entries.map((entry) => JSON.stringify({ level: entry.level, message: entry.message, data: entry.data })).join('\n');
}

async function waitForHealth(url: string, exited: Promise<number | null>, output: () => string): Promise<void> {
  let stopped = false;
  void exited.then(() => (stopped = true));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (stopped) throw new Error(`PocketBase exited before it was healthy:\n${output()}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`PocketBase was not healthy within 20 s:\n${output()}`);
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
