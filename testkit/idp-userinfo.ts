// Authelia's userinfo endpoint, answered by the IdP itself instead of oidc-provider, because the
// answers that decide whether somebody keeps access differ from a generic OpenID provider's. Each
// rule is what the real Authelia answered (4.39.20, 4.38.19 and 4.38.0, asked by
// test/authelia/fidelity.test.ts with the same calls as this stand-in), in the shapes it answered:
//
// - The token is checked first, the user second. Every refused token — unknown, revoked with its
//   grant, rotated away by a refresh, expired, or issued before a redeploy on fresh storage — gets
//   401 `request_unauthorized`, named in the WWW-Authenticate header; the body is `{}` (4.38.0: an
//   error object of Authelia's own shape).
// - 4.39 and 4.38.7+ look the user up at every call. A live user gets the current claims of the
//   granted scopes: 4.39 with `sub`, `rat` and `updated_at` only; 4.38 with the token's standard
//   claims and `client_id`.
// - Every failed lookup — user deleted, disabled, user backend (LDAP) unreachable — gets the same
//   200 "fallback" answer: the standard claims (4.38: and `client_id`) plus what the ID token held
//   beyond the profile and email claims (4.39: `groups` when the client asked for it there with the
//   `claims` parameter; see idp.ts fallbackCopies). One answer cannot tell a removal from an outage.
// - 4.38.0 (before 4.38.7's "delayed user details refresh") never looks the user up: every answer
//   repeats what the login saw, groups included, for a removed, disabled or unreachable user too.
// - Access tokens are not tied to the IdP's browser session: signing out of the portal leaves them
//   valid (unlike oidc-provider's session-bound tokens).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserDirectory } from './idp-accounts.js';
import type { IdpStore } from './idp-store.js';
import type { AutheliaVersion } from './idp-types.js';

/**
 * Which Authelia the stand-in answers as: '4.39' (4.39.x), '4.38' (4.38.7 and later 4.38.x) or
 * '4.38.0' (4.38.0 to 4.38.6, whose userinfo never looks the user up).
 */
/** What the login fixed for a grant: Authelia keeps it in the OpenID session of every token. */
export interface GrantFacts {
  readonly authTime: number;
  readonly amr: readonly string[];
  /** When the authorization was requested (Authelia's `rat`). */
  readonly requestedAt: number;
  /** The login's ID-token claims that the fallback answer repeats (idp.ts fallbackCopies). */
  readonly idTokenCopies: Readonly<Record<string, unknown>>;
  /** What userinfo answered about the user at the login (4.38.0 repeats it ever after). */
  readonly atLogin?: Readonly<Record<string, unknown>>;
}

export interface UserinfoContext {
  readonly version: AutheliaVersion;
  readonly issuer: string;
  readonly store: IdpStore;
  readonly users: UserDirectory;
  readonly facts: ReadonlyMap<string, GrantFacts>;
}

export async function answerUserinfo(ctx: UserinfoContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') return error(res, 405, 'invalid_request', 'Use GET or POST.', ctx.version);
  const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const stored = token ? ctx.store.peek('AccessToken', token) : undefined;
  if (!stored || stored.expired) return error(res, 401, 'request_unauthorized', 'The request could not be authorized. Check that you provided valid credentials in the right format.', ctx.version);

  const payload = stored.payload as { accountId?: string; clientId?: string; scope?: string; grantId?: string; iat?: number };
  const sub = String(payload.accountId ?? '');
  const clientId = String(payload.clientId ?? '');
  const facts = ctx.facts.get(String(payload.grantId ?? ''));
  if (ctx.version === '4.38.0' && facts?.atLogin) return json(res, 200, facts.atLogin);
  const standard: Record<string, unknown> = {
    iss: ctx.issuer,
    sub,
    aud: [clientId],
    iat: payload.iat ?? Math.floor(Date.now() / 1000),
    auth_time: facts?.authTime ?? payload.iat,
    amr: facts?.amr ?? ['pwd'],
    azp: clientId,
    ...(ctx.version === '4.39' ? {} : { client_id: clientId }),
  };
  const live = ctx.users.activeBySub(sub);
  if (!live) return json(res, 200, { ...facts?.idTokenCopies, ...standard });
  return json(res, 200, liveAnswer(ctx.version, standard, facts, String(payload.scope ?? ''), live.user));
}

/** What userinfo tells about a user it looked up (4.38.0: also what it repeats after the login). */
export function liveAnswer(
  version: AutheliaVersion,
  standard: Readonly<Record<string, unknown>>,
  facts: GrantFacts | undefined,
  scope: string,
  user: { readonly name: string; readonly username: string; readonly email: string; readonly groups: unknown },
): Record<string, unknown> {
  const scopes = new Set(scope.split(' '));
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = version === '4.39'
    ? { sub: standard['sub'], rat: facts?.requestedAt ?? now, updated_at: now }
    : { ...standard, ...(version === '4.38.0' ? { rat: facts?.requestedAt ?? now } : {}) };
  if (scopes.has('profile')) Object.assign(claims, { name: user.name, preferred_username: user.username });
  if (scopes.has('email')) Object.assign(claims, { email: user.email, email_verified: true });
  if (scopes.has('groups') && user.groups !== undefined) claims['groups'] = user.groups;
  return claims;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' });
  res.end(JSON.stringify(body));
}

/** Authelia names a 401's error in the WWW-Authenticate header; its body is `{}`, or on 4.38.0 an error object of its own. */
function error(res: ServerResponse, status: number, code: string, description: string, version: AutheliaVersion): void {
  if (status !== 401) return json(res, status, { error: code, error_description: description });
  res.setHeader('www-authenticate', `Bearer error="${code}",error_description="${description}"`);
  const reason = description.replace(/^The request could not be authorized\. /, '');
  json(res, status, version === '4.38.0' ? { error: { code: status, status: 'Unauthorized', reason, message: code } } : {});
}
