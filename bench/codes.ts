// Authorization codes obtained beforehand through the IdP's headless login, so that a timed
// login is only PocketBase's code exchange (POST auth-with-oauth2), never the browser steps.
import { createHash, randomBytes } from 'node:crypto';
import { loginAtIdp } from '../testkit/headless-login.js';
import { CLIENT_ID } from '../testkit/client.js';

export interface BenchUser {
  readonly username: string;
  readonly password: string;
  readonly name: string;
  readonly email: string;
  readonly groups: string[];
}

export interface Code {
  readonly code: string;
  readonly codeVerifier: string;
  readonly redirectURL: string;
}

/** Same scopes for both servers: the IdP must send groups even when the baseline ignores them. */
const SCOPE = 'openid email profile groups';

export function benchUser(username: string, groups: string[] = ['dev', 'admins']): BenchUser {
  return { username, password: `${username}-password`, name: `User ${username}`, email: `${username}@example.test`, groups };
}

/** One code for `user`, valid for the PocketBase at `serverUrl` (its redirect URI). */
export async function obtainCode(issuer: string, serverUrl: string, user: BenchUser): Promise<Code> {
  const codeVerifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(codeVerifier).digest('base64url');
  const auth = new URL(`${issuer}/api/oidc/authorization`);
  auth.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: SCOPE,
    state: randomBytes(12).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  const redirectURL = `${serverUrl}/api/oauth2-redirect`;
  const { code } = await loginAtIdp(auth.href, redirectURL, user.username, user.password);
  return { code, codeVerifier, redirectURL };
}

/** Codes for several (server, user) pairs, a few at a time. Use them within a minute (the IdP's code TTL is 60 s). */
export async function obtainCodes(issuer: string, wanted: ReadonlyArray<{ serverUrl: string; user: BenchUser }>, parallel = 6): Promise<Code[]> {
  const codes: Code[] = new Array(wanted.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < wanted.length; i = next++) {
      const { serverUrl, user } = wanted[i]!;
      codes[i] = await obtainCode(issuer, serverUrl, user);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, wanted.length) }, worker));
  return codes;
}

export interface Exchange {
  readonly ms: number;
  readonly status: number;
  readonly isNew: boolean;
}

/** The timed part: what `authWithOAuth2Code` sends, measured from request to full response body. */
export async function exchange(serverUrl: string, code: Code): Promise<Exchange> {
  const body = JSON.stringify({ provider: 'oidc', code: code.code, codeVerifier: code.codeVerifier, redirectURL: code.redirectURL, createData: {} });
  const started = performance.now();
  const response = await fetch(`${serverUrl}/api/collections/users/auth-with-oauth2`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let isNew = false;
  if (response.ok) isNew = (JSON.parse(text) as { meta?: { isNew?: boolean } }).meta?.isNew === true;
  else if (process.env['BENCH_DEBUG']) console.error(`login at ${serverUrl} answered ${response.status}: ${text}`);
  return { ms, status: response.status, isNew };
}
