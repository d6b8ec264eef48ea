/**
 * Authelia access tokens that PocketBase refreshes inside the login. PocketBase reads userinfo
 * through golang.org/x/oauth2's client, which treats a token that expires within 10 s
 * (`defaultExpiryDelta`) as expired and trades the refresh token for new ones first. The tokens
 * PocketBase then hands the hooks are the code exchange's: the refresh token is spent (the rotated
 * one never leaves PocketBase), and rotation revoked the access token. Presenting that refresh token
 * later makes Authelia revoke the whole grant. Measured on Authelia 4.39.20 with PocketBase 0.27.1,
 * 0.28.4, 0.38.2 and 0.40.4: a lifespan of 11 s or less is refreshed at login, 12 s is not.
 */

/** App-store key: the status page's entry while logins show such tokens, until a login with a longer one. */
export const SHORT_TOKEN_PROBLEM_KEY = 'pocketbase-authelia.shortAccessToken';
/** App-store key: set once such tokens were logged, so the log says it once per start. */
export const SHORT_TOKEN_WARNED_KEY = 'pocketbase-authelia.shortAccessTokenWarned';

/** golang.org/x/oauth2's `defaultExpiryDelta`. */
export const POCKETBASE_EXPIRY_DELTA_MS = 10_000;

/**
 * On top of the delta. The hook runs after the userinfo call, so the token had at least as much left
 * then as the hook sees: a token with 10 s left in the hook was not refreshed. The margin covers an
 * expiry a PocketBase version would round to the second (half up at worst); all of them give it to
 * the millisecond so far. It stays small: Authelia hands a 12 s lifespan out with about 11 s left,
 * which PocketBase does not refresh.
 */
export const SPENT_MARGIN_MS = 500;

/**
 * What to tell operators: Authelia's `expires_in` is the lifespan less up to a second, and the
 * login itself takes a little; 15 s leaves room for both on a busy server.
 */
export const MINIMUM_ACCESS_TOKEN_LIFESPAN = '15s';

/** Where the lifespan is set in Authelia. */
export const ACCESS_TOKEN_LIFESPAN_SETTING = "identity_providers.oidc.lifespans.access_token (or the client's lifespan)";

/**
 * Whether the login's access token expired so soon that PocketBase refreshed it before reading
 * userinfo. `expiresAt` in ms since the epoch; `undefined`: Authelia named no expiry (the client
 * then never refreshes).
 */
export function refreshedAtLogin(expiresAt: number | undefined, now: number): boolean {
  return expiresAt !== undefined && expiresAt - now < POCKETBASE_EXPIRY_DELTA_MS + SPENT_MARGIN_MS;
}

/** Seconds the token had left, one decimal, for the log and the status page. */
export function secondsLeft(expiresAt: number, now: number): number {
  return Math.round((expiresAt - now) / 100) / 10;
}

/** The warning, logged once per start. */
export function shortTokenWarning(left: number, strict: boolean): string {
  return (
    `Authelia's access tokens are too short-lived for PocketBase: a sign-in's token had ${left} s left after PocketBase read userinfo, ` +
    `and PocketBase's OAuth2 client refreshes a token that expires within 10 s before using it, which spends the refresh token the sign-in hands over ` +
    `(presenting it later would make Authelia revoke the grant; without offline_access such a sign-in fails). ` +
    (strict
      ? 'AUTHELIA_STRICT is on: such sign-ins are refused. '
      : "Such a sign-in keeps no Authelia token, so nothing checks the user with Authelia until they sign in again or AUTHELIA_MAX_SESSION passes. ") +
    `In Authelia, set ${ACCESS_TOKEN_LIFESPAN_SETTING} to at least ${MINIMUM_ACCESS_TOKEN_LIFESPAN}`
  );
}

/** What a client gets when AUTHELIA_STRICT refuses such a sign-in. */
export const STRICT_REFUSAL =
  `Sign-in is refused: Authelia's access tokens expire too soon for PocketBase. An administrator must set Authelia's access-token lifespan to at least ${MINIMUM_ACCESS_TOKEN_LIFESPAN}.`;

/** The status page's entry while the problem lasts (until a login with a longer token). */
export interface ShortTokenProblem {
  readonly setting: string;
  readonly problem: string;
  readonly secondsLeftAtSignIn: number;
  readonly minimum: string;
  /** ISO times: the first and the latest sign-in that showed it. */
  readonly since: string;
  readonly lastSeen: string;
}

export function shortTokenProblem(left: number, now: number, previous: ShortTokenProblem | undefined): ShortTokenProblem {
  return {
    setting: ACCESS_TOKEN_LIFESPAN_SETTING,
    problem: "Authelia's access tokens expire within 10 s of the sign-in: PocketBase refreshes them inside the sign-in, so its refresh token is spent and no check after the sign-in can ask Authelia",
    secondsLeftAtSignIn: left,
    minimum: MINIMUM_ACCESS_TOKEN_LIFESPAN,
    since: previous?.since ?? new Date(now).toISOString(),
    lastSeen: new Date(now).toISOString(),
  };
}
