// Whether Authelia looked the user up to answer userinfo: read by the login and by the checks after it.
//
// When the lookup fails (user deleted, disabled, or the user backend unreachable) Authelia 4.38 and
// 4.39 answer 200 with the claims of the login's ID token instead (handler_oauth2_oidc_userinfo.go
// falls back to HydrateClientCredentialsUserInfoClaims, internal/oidc/claims.go
// hydrateClaimsOriginal), minus a fixed list of standard claims it never copies. Everything else
// from the ID token comes through: `groups` (always in 4.38's ID token; in 4.39's when a claims
// policy or the client's own `claims` request puts it there), `rat`, custom claims. So a login-time
// `groups` in the answer proves nothing; only a claim from that never-copied list does.

/** Claims Authelia's fallback answer never carries: present only when the user was looked up just now. */
export const LOOKUP_ONLY_CLAIMS: readonly string[] = [
  // First the ones a live answer has with the scopes AUTHELIA_SCOPES must include (profile or email).
  'preferred_username', 'email', 'email_verified', 'name',
  'given_name', 'family_name', 'middle_name', 'nickname', 'profile', 'picture', 'website',
  'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address',
];

/** Whether an answer read claim by claim (a Go map needs no copy) shows that Authelia looked the user up. */
export function lookedUp(claim: (name: string) => unknown): boolean {
  return LOOKUP_ONLY_CLAIMS.some((name) => claim(name) !== undefined && claim(name) !== null);
}

/** Whether a 200 userinfo body shows that Authelia looked the user up. */
export function isNormalUserinfo(claims: Readonly<Record<string, unknown>>): boolean {
  return lookedUp((name) => claims[name]);
}
