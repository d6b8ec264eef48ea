/**
 * Signing out where Authelia can hear it. Authelia has no logout protocol
 * (no end-session, back- or front-channel logout); what it offers is RFC 7009
 * revocation (the adapter's business) and its portal's own sign-out page,
 * `<AUTHELIA_URL>/logout`, which ends Authelia's session and, given `rd`,
 * sends the browser on — only to a URL inside Authelia's own cookie domains.
 */
export const AUTHELIA_LOGOUT_PATH = '/logout';

/** The page a frontend sends the browser to after the extension's sign-out, ending Authelia's own session too. */
export function autheliaSignOutURL(issuer: string, redirect: string | null): string {
  const page = `${issuer}${AUTHELIA_LOGOUT_PATH}`;
  return redirect === null ? page : `${page}?rd=${encodeURIComponent(redirect)}`;
}

/** What the sign-out endpoints answer; `null` for an account Authelia never signed in (nothing to end there). */
export interface SignOutAnswer {
  readonly autheliaSignOutURL: string | null;
}

/**
 * Sealed tokens of one grant still to revoke at Authelia, and how often that
 * failed. `urgent`: access was taken away or the user signed out; `routine`:
 * tokens nobody holds any more (a login replaced them, a refused login's, a
 * dead refresh token's access token), which anyone with an Authelia account
 * can produce at will, so they never delay or push out an urgent one.
 */
export interface PendingRevocation {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly attempts: number;
  readonly urgency: 'urgent' | 'routine';
}

/** Per queue (urgent, routine): it lives in memory, and anyone can fill the routine one by signing in again and again. */
export const MAX_PENDING_REVOCATIONS = 500;

/**
 * Where a bounded queue's head must move once slot `tail - 1` is filled: past
 * the oldest entries beyond `max` (they are given up; their tokens expire by
 * themselves). Returns `head` when nothing has to go.
 */
export function boundedHead(head: number, tail: number, max = MAX_PENDING_REVOCATIONS): number {
  return Math.max(head, tail - max);
}

/** A revocation that keeps failing is given up after this many tries (one a minute): the tokens expire anyway. */
export const MAX_REVOCATION_ATTEMPTS = 10;

/** How many queued grants the drain takes at a time: each is one or two requests to Authelia (Basic, then the form body on invalid_client), 5 s each at worst. */
export const REVOCATIONS_PER_RUN = 50;

/**
 * A drain run takes further batches while it has run for less than this: a
 * quick Authelia empties a queue that many logins filled within the minute
 * (one batch a minute fell behind beyond 50 logins a minute and the routine
 * queue stayed full), a slow one is asked for one batch only.
 */
export const REVOCATION_RUN_BUDGET_MS = 20_000;

/**
 * Which token revokes the grant: the refresh token (Authelia revokes the whole
 * grant with it), else the access token (which also deactivates the grant's
 * refresh tokens); `undefined` when nothing is left to revoke.
 */
export function tokenToRevoke(tokens: { readonly accessToken: string; readonly refreshToken: string }): { readonly token: string; readonly hint: 'refresh_token' | 'access_token' } | undefined {
  if (tokens.refreshToken !== '') return { token: tokens.refreshToken, hint: 'refresh_token' };
  if (tokens.accessToken !== '') return { token: tokens.accessToken, hint: 'access_token' };
  return undefined;
}

/** RFC 7009: 200 for a revoked or an unknown token alike; anything else (or no answer) failed. */
export function revocationDone(answer: { readonly status: number } | { readonly failure: string }): boolean {
  return 'status' in answer && answer.status === 200;
}
