// The examples of docs/operations.md (and the README's Authelia client) checked against what the
// project itself knows. Authelia's JSON schema is not reachable where the tests run, so the Authelia
// client is held to `authelia-config`'s output instead: the generator the CLI tests already verify.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runAutheliaConfig } from '../../../src/cli/authelia-config.js';
import { parseConfig } from '../../../src/core/boot/config.js';
import { parseYaml, splitConfigOutput } from '../../cli/cli.js';
import { guideBlock, OPERATIONS_GUIDE } from '../../support/docs.js';

const run = promisify(execFile);
type Client = Record<string, unknown>;

/** What `authelia-config` prints for these arguments and environment, as parsed YAML. */
function generatedClient(args: { pocketbaseUrl: string; autheliaUrl?: string }, env: Record<string, string | undefined> = {}): { client: Client; pocketbase: string } {
  let out = '';
  const code = runAutheliaConfig(args, { env, readFile: () => '', out: (text) => (out += text), err: (text) => (out += text) });
  expect(code, out).toBe(0);
  const { yaml, pocketbase } = splitConfigOutput(out);
  return { client: clientOf(yaml), pocketbase };
}

function clientOf(yaml: string): Client {
  const doc = parseYaml(yaml) as { identity_providers: { oidc: { clients: Client[] } } };
  expect(doc.identity_providers.oidc.clients).toHaveLength(1);
  return doc.identity_providers.oidc.clients[0]!;
}

const withoutSecret = ({ client_secret: _secret, ...rest }: Client) => rest;

interface ComposeService {
  volumes?: string[];
  environment?: Record<string, string>;
  secrets?: string[];
  networks?: { default?: { aliases?: string[] } };
}
const compose = () => parseYaml(guideBlock('compose')) as { services: Record<string, ComposeService>; secrets: Record<string, { file: string }> };

describe('docs/operations.md', () => {
  it('is linked from the README', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(`](${OPERATIONS_GUIDE})`);
  });

  it("has a Caddyfile that Caddy reads, with PocketBase's and Authelia's sites", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-authelia-caddyfile-'));
    try {
      const file = join(dir, 'Caddyfile');
      writeFileSync(file, guideBlock('caddyfile'));
      // Fails loudly when Caddy is missing (.ci/run installs it).
      const { stdout } = await run('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], { env: { PATH: process.env['PATH'] ?? '', HOME: dir } });
      const routes = (JSON.parse(stdout) as { apps: { http: { servers: Record<string, { routes: Array<{ match: Array<{ host: string[] }> }> }> } } }).apps.http.servers;
      const hosts = Object.values(routes).flatMap((server) => server.routes.flatMap((route) => route.match.flatMap((match) => match.host)));
      expect(hosts.sort()).toEqual(['auth.example.com', 'pb.example.com']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("has a Compose file whose PocketBase mounts the hooks, reads secrets through _FILE, and passes the extension's own configuration parser", () => {
    const { services, secrets } = compose();
    const pocketbase = services['pocketbase']!;
    expect(pocketbase.volumes).toContain('./pb_hooks:/pb/pb_hooks:ro');
    const env = pocketbase.environment!;
    const files = new Map<string, string>();
    for (const [name, path] of Object.entries(env).filter(([name]) => name.startsWith('AUTHELIA_') && name.endsWith('_FILE'))) {
      const secret = /^\/run\/secrets\/(.+)$/.exec(path)?.[1];
      expect(secret, `${name} is a Compose secret`).toBeDefined();
      expect(pocketbase.secrets).toContain(secret);
      expect(secrets[secret!]?.file).toMatch(/^\.\/secrets\//);
      files.set(path, name === 'AUTHELIA_TOKEN_KEY_FILE' ? 'k'.repeat(32) : 's'.repeat(72));
    }
    expect([...files.keys()]).toEqual(['/run/secrets/pocketbase_oidc', '/run/secrets/authelia_token_key']);
    const parsed = parseConfig(env, (path) => files.get(path) ?? '');
    expect(parsed.status, JSON.stringify(parsed)).toBe('valid');
    if (parsed.status !== 'valid') return;
    expect(parsed.config.issuer).toBe('https://auth.example.com');
    expect(parsed.config.scopes).toContain('offline_access');
    // The private CA's bundle is mounted where SSL_CERT_FILE points.
    expect(pocketbase.volumes).toContain(`./certs/ca-bundle.pem:${env['SSL_CERT_FILE']}:ro`);
    // PocketBase reaches Authelia's public name through the proxy.
    expect(services['caddy']!.networks?.default?.aliases).toContain(new URL(parsed.config.issuer).hostname);
  });

  it("has an Authelia client that is exactly what authelia-config prints for these URLs, and matches the Compose file's scopes", () => {
    const documented = clientOf(guideBlock('authelia-configuration'));
    const env = compose().services['pocketbase']!.environment!;
    const { client, pocketbase } = generatedClient({ pocketbaseUrl: 'https://pb.example.com', autheliaUrl: env['AUTHELIA_URL']! });
    expect(withoutSecret(documented)).toEqual(withoutSecret(client));
    expect(documented['client_secret']).toMatch(/^\$pbkdf2-sha512\$310000\$/);
    expect(pocketbase).toContain(`AUTHELIA_SCOPES=${env['AUTHELIA_SCOPES']}\n`);
    expect(documented['scopes']).toEqual(env['AUTHELIA_SCOPES']!.split(' '));
    // The redirect URI is the Caddyfile's PocketBase site.
    expect(guideBlock('caddyfile')).toContain(`${new URL((documented['redirect_uris'] as string[])[0]!).host} {`);
  });
});

describe("the README's Authelia client", () => {
  it("is authelia-config's default client (the secret's digest aside)", () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /A client matching the defaults[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const documented = clientOf(block!);
    const { client } = generatedClient({ pocketbaseUrl: 'https://pocketbase.example.com' });
    expect(withoutSecret(documented)).toEqual(withoutSecret(client));
  });
});
