// A TLS-terminating reverse proxy in front of PocketBase, as production runs it: Debian's Caddy with
// a certificate from the test's private CA, forwarding plain HTTP to PocketBase on loopback.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsProxyOptions {
  /** Where the proxy listens (chosen beforehand: the redirect URI registered at the IdP needs it). */
  readonly port: number;
  /** PocketBase's plain-HTTP port on 127.0.0.1. */
  readonly upstreamPort: number;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TlsProxy {
  /** https://127.0.0.1:port: PocketBase's public URL. */
  readonly url: string;
  /** The Caddyfile the proxy runs, as an operator would write it. */
  readonly caddyfile: string;
  output(): string;
  close(): Promise<void>;
}

/** The Caddyfile: one site, the certificate given, everything to PocketBase. */
export function proxyCaddyfile(options: TlsProxyOptions): string {
  return [
    '{',
    '\tadmin off',
    '\tauto_https disable_redirects',
    '\tskip_install_trust',
    '}',
    `https://127.0.0.1:${options.port} {`,
    `\ttls ${options.certFile} ${options.keyFile}`,
    // Caddy sets X-Forwarded-For/-Proto/-Host itself; PocketBase reads the client IP from the
    // header named in Settings > Application > User IP proxy headers.
    `\treverse_proxy 127.0.0.1:${options.upstreamPort}`,
    '}',
    '',
  ].join('\n');
}

/** Starts `caddy run`; fails loudly when Caddy is not installed (never a skipped test). */
export async function startTlsProxy(options: TlsProxyOptions): Promise<TlsProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-authelia-proxy-'));
  const caddyfile = proxyCaddyfile(options);
  const file = join(dir, 'Caddyfile');
  await writeFile(file, caddyfile);
  // Caddy keeps state under HOME/XDG dirs: a folder of its own, deleted afterwards.
  const env = { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
  const child = spawn('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => {
    child.once('exit', (code) => done(code));
    child.once('error', (error) => {
      output += (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? '\ncaddy is not installed: apt-get install caddy (.ci/run installs it)'
        : `\n${String(error)}`;
      done(-1);
    });
  });
  let stopped = false;
  void exited.then(() => (stopped = true));

  const close = async () => {
    if (!stopped) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await accepts(options.port))) {
    if (stopped || Date.now() > deadline) {
      await close();
      throw new Error(`the reverse proxy (caddy) did not start:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return { url: `https://127.0.0.1:${options.port}`, caddyfile, output: () => output, close };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}
