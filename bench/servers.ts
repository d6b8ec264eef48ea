// The two servers every comparison uses, side by side on loopback and trusting one IdP:
// `ext` = PocketBase with the built pb_hooks/ (configured from AUTHELIA_* at boot),
// `base` = the same PocketBase without hooks, its `oidc` provider entered by hand,
// `floor` = like base plus a no-op JS login hook (diagnostic: PocketBase's price for any JS hook).
import { resolve } from 'node:path';
import { startIdp, type Idp } from '../demo/idp.js';
import { freePort, startPocketBase, type PocketBaseServer } from '../test/support/pocketbase.js';
import { CLIENT_ID, CLIENT_SECRET } from '../test/support/stack.js';
import type { BenchUser } from './codes.js';

export type Side = 'ext' | 'base' | 'floor';
/** Relative to the project root, where `npm run bench` runs (like test/support's BUILT_HOOKS). */
export const FLOOR_HOOKS = resolve('bench/floor-hooks');

export interface Pair {
  readonly version: string;
  readonly idp: Idp;
  readonly servers: Record<Side, PocketBaseServer>;
  readonly ports: Record<Side, number>;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** A public collection unrelated to login, for the "tax on everything else" measurement. */
export const POSTS = 'bench_posts';

export async function startPair(version: string, users: BenchUser[]): Promise<Pair> {
  const ports = { ext: await freePort(), base: await freePort(), floor: await freePort() };
  const idp = await startIdp({
    users,
    consent: 'implicit',
    clients: [{
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [ports.ext, ports.base, ports.floor].map((port) => `http://127.0.0.1:${port}/api/oauth2-redirect`),
    }],
  });
  const env = { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET };
  const ext = await startPocketBase({ version, port: ports.ext, env });
  const base = await startPocketBase({ version, port: ports.base, hooksDir: null });
  const floor = await startPocketBase({ version, port: ports.floor, hooksDir: FLOOR_HOOKS });
  for (const server of [base, floor]) await configureBaseline(server, idp.issuer);
  for (const server of [ext, base]) await addPosts(server);
  return {
    version,
    idp,
    servers: { ext, base, floor },
    ports,
    env,
    close: async () => {
      await Promise.all([ext.destroy(), base.destroy(), floor.destroy()]);
      await idp.close();
    },
  };
}

/** What an operator does without the extension: PocketBase's built-in OIDC, same URLs, client and PKCE. */
async function configureBaseline(base: PocketBaseServer, issuer: string): Promise<void> {
  const superuser = await base.superuser();
  // Assign the whole list: PocketBase merges providers by position on some versions.
  await superuser.collections.update('users', {
    oauth2: {
      enabled: true,
      providers: [{
        name: 'oidc',
        clientId: CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        authURL: `${issuer}/api/oidc/authorization`,
        tokenURL: `${issuer}/api/oidc/token`,
        userInfoURL: `${issuer}/api/oidc/userinfo`,
        displayName: 'Authelia',
        pkce: true,
      }],
    },
  });
}

async function addPosts(server: PocketBaseServer): Promise<void> {
  const superuser = await server.superuser();
  await superuser.collections.create({ name: POSTS, type: 'base', listRule: '', viewRule: '', createRule: '', fields: [{ name: 'title', type: 'text' }] });
  for (let i = 0; i < 20; i++) await superuser.collection(POSTS).create({ title: `post ${i}` });
}
