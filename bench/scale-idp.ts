// The Authelia-like stand-in (testkit/idp.ts) in a process of its own, for the sweep at scale: the
// benchmark's own process times PocketBase's answers, and must not share its event loop with an
// IdP answering 30 requests a second. Started by bench/sweep-scale.ts through bench/run.mjs with an
// IPC channel; it answers the messages below.
import { startIdp, type Idp, type IdpRequest } from '../testkit/idp.js';
import { CLIENT_ID, CLIENT_SECRET } from '../testkit/client.js';
import type { BenchUser } from './codes.js';

export type ScaleIdpMessage =
  | { readonly kind: 'start'; readonly users: readonly BenchUser[]; readonly seeded: { readonly prefix: string; readonly count: number }; readonly redirectUris: readonly string[] }
  | { readonly kind: 'mint'; readonly id: number; readonly usernames: readonly string[]; readonly scope: string }
  | { readonly kind: 'requests'; readonly id: number; readonly from: number }
  | { readonly kind: 'close' };

export type ScaleIdpReply =
  | { readonly kind: 'started'; readonly issuer: string }
  | { readonly kind: 'minted'; readonly id: number; readonly grants: ReadonlyArray<{ accessToken: string; refreshToken: string; expiresIn: number }> }
  | { readonly kind: 'requests'; readonly id: number; readonly requests: readonly IdpRequest[] };

/** The subject of the n-th seeded user (fixed, so PocketBase's links can be written beforehand). */
export const seededSubject = (prefix: string, n: number) => `${prefix}-sub-${n}`;
export const seededUsername = (prefix: string, n: number) => `${prefix}${n}`;

let idp: Idp | undefined;
const reply = (message: ScaleIdpReply) => process.send?.(message);

process.on('message', (message: ScaleIdpMessage) => {
  void handle(message).catch((error: unknown) => {
    console.error('scale IdP:', error);
    process.exit(1);
  });
});

async function handle(message: ScaleIdpMessage): Promise<void> {
  if (message.kind === 'start') {
    const seeded = Array.from({ length: message.seeded.count }, (_, n) => ({
      username: seededUsername(message.seeded.prefix, n),
      password: 'unused',
      // What the seeded record holds: a check finds nothing to change (the steady state of a sweep).
      name: seededUsername(message.seeded.prefix, n),
      email: `${seededUsername(message.seeded.prefix, n)}@example.test`,
      groups: [] as string[],
      sub: seededSubject(message.seeded.prefix, n),
    }));
    idp = await startIdp({
      users: [...message.users, ...seeded],
      consent: 'implicit',
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [...message.redirectUris], offlineAccess: true }],
    });
    reply({ kind: 'started', issuer: idp.issuer });
  } else if (message.kind === 'mint') {
    const grants = [];
    for (const username of message.usernames) grants.push(await idp!.mintGrant(username, message.scope));
    reply({ kind: 'minted', id: message.id, grants });
  } else if (message.kind === 'requests') {
    reply({ kind: 'requests', id: message.id, requests: idp!.requests.slice(message.from) });
  } else {
    await idp?.close();
    process.exit(0);
  }
}
