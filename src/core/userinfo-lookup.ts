// Whether Authelia looked the user up to answer userinfo: read by the login and by the checks after it.

/**
 * Claims every userinfo answer may carry, Authelia's fallback included. An
 * answer with any other claim (`rat`, a scope claim) comes from a user lookup
 * that worked: Authelia's userinfo handler falls back to exactly these when
 * the lookup fails (user deleted, disabled, or the user backend unreachable).
 */
export const STANDARD_USERINFO_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'iat', 'auth_time', 'amr', 'azp', 'jti', 'nonce']);

/** Whether a 200 userinfo body shows that Authelia looked the user up. */
export function isNormalUserinfo(claims: Readonly<Record<string, unknown>>): boolean {
  return Object.keys(claims).some((claim) => !STANDARD_USERINFO_CLAIMS.has(claim));
}
