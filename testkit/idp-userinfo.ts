// Authelia's userinfo endpoint, answered by the IdP itself instead of oidc-provider, because the
// answers that decide whether somebody keeps access differ from a generic OpenID provider's. Each
// rule follows Authelia 4.39.20 (paths in the authelia/authelia repository and its library
// authelia/oauth2-provider; see ../shared/notes/authelia-oidc.md, "After the login"):
//
// - The token is checked first, the user second. An unknown or revoked token (never issued,
//   revoked with its grant, rotated away by a refresh, or issued before a redeploy on fresh
//   storage) gets 401 `request_unauthorized`; an expired one 401 `invalid_token`
//   (oauth2-provider's introspection errors, written by handler_oauth2_oidc_userinfo.go).
// - The user is looked up at every call (internal/oidc/subject.go). A live user gets the session's
//   standard claims, `rat`, and the current claims of the granted scopes.
// - Every failed lookup — user deleted, disabled, user backend (LDAP) unreachable — gets the same
//   200 "fallback" answer (handler_oauth2_oidc_userinfo.go falls back to
//   HydrateClientCredentialsUserInfoClaims): the claims of the login's ID token minus the standard
//   profile, email, phone and address claims and a few token-bound ones (internal/oidc/claims.go
//   hydrateClaimsOriginal), plus `aud`. That is the standard claims only, unless the ID token held
//   more: `groups` when the client asked for it there with the `claims` parameter (see idp.ts
//   fallbackCopies). One answer cannot tell a removal from an outage.
// - Access tokens are not tied to the IdP's browser session: signing out of the portal leaves them
//   valid (unlike oidc-provider's session-bound tokens).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserDirectory } from './idp-accounts.js';
import type { IdpStore } from './idp-store.js';

/** What the login fixed for a grant: Authelia keeps it in the OpenID session of every token. */
export interface GrantFacts {
  readonly authTime: number;
  readonly amr: readonly string[];
  /** When the authorization was requested (Authelia's `rat`). */
  readonly requestedAt: number;
  /** The login's ID-token claims that the fallback answer repeats (idp.ts fallbackCopies). */
  readonly idTokenCopies: Readonly<Record<string, unknown>>;
}

export interface UserinfoContext {
  readonly issuer: string;
  readonly store: IdpStore;
  readonly users: UserDirectory;
  readonly facts: ReadonlyMap<string, GrantFacts>;
}

export async function answerUserinfo(ctx: UserinfoContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') return error(res, 405, 'invalid_request', 'Use GET or POST.');
  const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return error(res, 401, 'request_unauthorized', 'The request could not be authorized. Check that you provided valid credentials in the right format.');
  const stored = ctx.store.peek('AccessToken', token);
  if (!stored) return error(res, 401, 'request_unauthorized', 'The request could not be authorized. Check that you provided valid credentials in the right format. Token is inactive because it is malformed, expired or otherwise invalid.');
  if (stored.expired) return error(res, 401, 'invalid_token', 'Token is inactive because it is malformed, expired or otherwise invalid. Token validation failed.');

  const payload = stored.payload as { accountId?: string; clientId?: string; scope?: string; grantId?: string; iat?: number };
  const sub = String(payload.accountId ?? '');
  const clientId = String(payload.clientId ?? '');
  const facts = ctx.facts.get(String(payload.grantId ?? ''));
  const standard: Record<string, unknown> = {
    iss: ctx.issuer,
    sub,
    aud: [clientId],
    iat: payload.iat ?? Math.floor(Date.now() / 1000),
    auth_time: facts?.authTime ?? payload.iat,
    amr: facts?.amr ?? ['pwd'],
    azp: clientId,
  };
  const live = ctx.users.activeBySub(sub);
  if (!live) return json(res, 200, { ...facts?.idTokenCopies, ...standard });

  const scopes = new Set(String(payload.scope ?? '').split(' '));
  const { user } = live;
  const claims: Record<string, unknown> = { ...standard, rat: facts?.requestedAt ?? standard['iat'] };
  if (scopes.has('profile')) Object.assign(claims, { name: user.name, preferred_username: user.username });
  if (scopes.has('email')) Object.assign(claims, { email: user.email, email_verified: true });
  if (scopes.has('groups') && user.groups !== undefined) claims['groups'] = user.groups;
  return json(res, 200, claims);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', pragma: 'no-cache' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: string, description: string): void {
  if (status === 401) res.setHeader('www-authenticate', `Bearer error="${code}",error_description="${description}"`);
  json(res, status, { error: code, error_description: description });
}
