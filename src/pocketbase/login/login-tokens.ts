import { sessionHorizon } from '../../core/checks/revalidation.js';
import type { ActiveState } from '../../core/stores/state.js';
import { loadRevalidationSecrets, seal } from '../stores/token-secrets.js';
import { queueRevocation } from '../sign-out/revocation.js';
import { ensureRow, replaceLogin, storedTokens } from '../stores/token-vault.js';

/*
 * WITHOUT_REFRESH_TOKEN: a grant that a login replaced or refused is revoked at Authelia only when
 * it holds a refresh token (offline_access), which lives on at each rotation. Its access token alone
 * is held by nobody (never handed to the browser, no longer stored) and runs out within Authelia's
 * access-token lifespan (1 hour by default), so a request to Authelia per login would buy nothing:
 * with the default scopes a login costs no revocation. Grants whose access is taken away are
 * revoked whatever they hold (access.ts).
 */

/** Rounds of read and compare-and-swap before a login's write stops waiting for other writes to the same row. */
const WRITE_ATTEMPTS = 16;

/** When Authelia's token answer names no expiry (it always does), its default access-token lifespan. */
const DEFAULT_ACCESS_TOKEN_MS = 3600_000;

/** Authelia's tokens from one login, taken off the event before PocketBase answers. */
export interface ProviderTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly accessExpiresAt: number;
}

/**
 * Takes Authelia's tokens off the login event: PocketBase would otherwise copy
 * them into the response's `meta`, handing the browser a refresh token that
 * only the server should hold (a client using it would also rotate away the
 * stored one). Call before e.next().
 */
export function withholdTokens(user: auth.AuthUser): ProviderTokens {
  const expiry = user.expiry;
  const tokens = {
    accessToken: user.accessToken ?? '',
    refreshToken: user.refreshToken ?? '',
    accessExpiresAt: expiry && !expiry.isZero() ? expiry.unix() * 1000 : Date.now() + DEFAULT_ACCESS_TOKEN_MS,
  };
  user.accessToken = '';
  user.refreshToken = '';
  return tokens;
}

/**
 * Keeps the Authelia tokens of a login (the refresh token only when
 * `offline_access` was granted), encrypted, for later checks. A login is a
 * successful check: the AUTHELIA_MAX_SESSION bound starts again. `username` is
 * Authelia's `preferred_username` for the subject, kept for a later relink
 * (src/core/login/relink-rules.ts). Call once the record exists and is linked (after
 * PocketBase's own login work).
 */
export function storeLoginTokens(app: CoreApp, record: core.Record, tokens: ProviderTokens, state: ActiveState, username: string): void {
  if (state.status !== 'active') return;
  const secrets = loadRevalidationSecrets(app);
  if (!secrets) return;
  const sealed = {
    accessToken: seal(secrets, tokens.accessToken),
    refreshToken: seal(secrets, tokens.refreshToken),
    accessExpiresAt: tokens.accessExpiresAt,
  };
  const now = Date.now();
  // The PocketBase token this login hands out (already made: this runs after e.next()) expires
  // within the collection's auth-token lifetime from now.
  const lifetimeMs = Number(record.collection().authToken.duration) * 1000;
  const sessionUntil = sessionHorizon(now + lifetimeMs, lifetimeMs);
  // The previous login's grant: nobody holds its tokens after this one replaces them. Only a grant
  // with a refresh token is worth a request to Authelia (see WITHOUT_REFRESH_TOKEN), and the row
  // says whether it has one, whatever the configured scopes say (a client may add offline_access
  // to the authorization URL itself). The common case first: one statement replaces a row without
  // one. Each write is a compare-and-swap on the refresh token read, so a grant that a concurrent
  // login or refresh stored meanwhile is seen, and revoked, instead of overwritten (short of more
  // than WRITE_ATTEMPTS writers to one record at once).
  let previous: { readonly accessToken: string; readonly refreshToken: string } | undefined;
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    if (replaceLogin(app, record.id, sealed, username, now, sessionUntil, previous?.refreshToken ?? '')) {
      if (previous && previous.refreshToken !== '') queueRevocation(app, previous, 'routine');
      return;
    }
    previous = storedTokens(app, record.id);
    if (!previous) ensureRow(app, record.id, now, lifetimeMs);
  }
  // Other writes to this record won every round: a login's tokens must land all the same.
  ensureRow(app, record.id, now, lifetimeMs);
  replaceLogin(app, record.id, sealed, username, now, sessionUntil);
  if (previous && previous.refreshToken !== '') queueRevocation(app, previous, 'routine');
}

/**
 * A refused login's tokens: withheld from the response like any login's, and
 * their grant revoked at Authelia by the revocation job (the refusal does not
 * wait on it). Nobody else ever holds them.
 */
export function discardLoginTokens(app: CoreApp, user: auth.AuthUser | undefined): void {
  if (!user) return;
  const tokens = withholdTokens(user);
  if (tokens.refreshToken === '') return; // WITHOUT_REFRESH_TOKEN
  const secrets = loadRevalidationSecrets(app);
  if (secrets) queueRevocation(app, { accessToken: seal(secrets, tokens.accessToken), refreshToken: seal(secrets, tokens.refreshToken) }, 'routine');
}
