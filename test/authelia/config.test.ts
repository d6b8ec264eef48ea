// What the operator copies into Authelia, on the real Authelia: authelia-config's client and the
// operator guide's Compose client pass `authelia validate-config` on every built version, and
// authelia-config's client is served (the SDK flow signs in with the PocketBase variables it
// printed); the CLI's `check` passes against the real Authelia through the private CA.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTHELIA_VERSIONS } from '../../testkit/real/builds.js';
import { freePort } from '../../testkit/pocketbase.js';
import { createPrivateCa } from '../../testkit/private-ca.js';
import { startAuthelia } from '../../testkit/authelia/launcher.js';
import { parseYaml, printedSecret, runCli, splitConfigOutput } from '../cli/cli.js';
import { guideBlock } from '../support/docs.js';
import { storedUser } from '../support/stack.js';
import { gridPairs } from './grid.js';
import { withRealStack } from './real-stack.js';

const TIMEOUT = 120_000;
const john = { username: 'john', password: 'john-password-1', displayname: 'John', email: 'john@example.test', groups: ['admins'] };

type Client = Record<string, unknown>;
const clientOf = (yaml: string): Client => (parseYaml(yaml) as { identity_providers: { oidc: { clients: Client[] } } }).identity_providers.oidc.clients[0]!;

/** authelia-config's output for these ports: its client, the secret and the PocketBase variables it printed. */
async function autheliaConfig(ports: { authelia: number; pocketbase: number }) {
  const run = await runCli(['authelia-config', '--pocketbase-url', `http://127.0.0.1:${ports.pocketbase}`, '--authelia-url', `https://127.0.0.1:${ports.authelia}`]);
  expect(run.code, run.stderr).toBe(0);
  const { yaml, pocketbase } = splitConfigOutput(run.stdout);
  const variables = Object.fromEntries(pocketbase.split('\n').filter((line) => /^AUTHELIA_\w+=/.test(line)).map((line) => {
    const at = line.indexOf('=');
    return [line.slice(0, at), line.slice(at + 1)];
  }));
  return { client: clientOf(yaml), secret: printedSecret(pocketbase), variables };
}

describe.each(AUTHELIA_VERSIONS)('what the operator copies into Authelia %s', (autheliaVersion) => {
  const served = gridPairs().find(([a]) => a === autheliaVersion);

  it('authelia-config\'s client passes authelia validate-config' + (served ? ' and is served: the SDK flow signs in with the PocketBase variables printed beside it; check passes through the private CA' : ''), { timeout: TIMEOUT }, async () => {
    const ports = { authelia: await freePort(), pocketbase: await freePort() };
    const printed = await autheliaConfig(ports);
    const secretDir = await mkdtemp(join(tmpdir(), 'pb-authelia-secret-'));
    const secretFile = join(secretDir, 'pocketbase_oidc');
    await writeFile(secretFile, `${printed.secret}\n`);
    try {
      expect(printed.variables['AUTHELIA_CLIENT_SECRET_FILE']).toBeDefined();
      const env = { ...printed.variables, AUTHELIA_CLIENT_SECRET_FILE: secretFile };
      await withRealStack({ autheliaVersion, pocketbaseVersion: served?.[1] ?? '0.38.2', users: [john], rawClient: printed.client, clientSecret: printed.secret, ports, env }, async (stack) => {
        const validation = await stack.authelia.cli(['validate-config']);
        expect(validation).toMatch(/Configuration parsed and loaded successfully without errors/);
        if (!served) return;
        const { auth } = await stack.login(john);
        expect(auth.record['groups']).toEqual(['admins']);
        expect((await storedUser(stack.pb, john.email))['groups']).toEqual(['admins']);

        const check = await runCli(['check', '--pocketbase-url', stack.pb.url], { ...env, NODE_EXTRA_CA_CERTS: stack.ca.caFile });
        expect(check.code, check.stdout + check.stderr).toBe(0);
        expect(check.stdout.trimEnd().split('\n').at(-1)).toMatch(/^0 errors, \d+ warnings?: PocketBase can use this Authelia$|^0 errors: PocketBase can use this Authelia$/);
      });
    } finally {
      await rm(secretDir, { recursive: true, force: true });
    }
  });

  it('the operator guide\'s Compose client passes authelia validate-config', { timeout: TIMEOUT }, async () => {
    const documented = clientOf(guideBlock('authelia-configuration'));
    // The guide shows the digest elided ('...'): any real digest stands in for it.
    const { client: printed } = await autheliaConfig({ authelia: 9091, pocketbase: 8090 });
    const rawClient = { ...documented, client_secret: printed['client_secret'] };
    const ca = await createPrivateCa();
    const authelia = await startAuthelia({ version: autheliaVersion, ca, clientSecret: 'unused', client: { redirectUris: [] }, rawClient, start: false });
    try {
      expect(await authelia.cli(['validate-config'])).toMatch(/Configuration parsed and loaded successfully without errors/);
    } finally {
      await authelia.close();
      await ca.close();
    }
  });
});
