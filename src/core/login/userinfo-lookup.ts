// Whether Authelia looked the user up to answer userinfo: read by the login and by the checks after it.
//
// When the lookup fails (user deleted, disabled, or the user backend unreachable) Authelia answers
// 200 with the claims of the login's ID token instead, minus a fixed list it never copies: in 4.39
// the standard profile, email, phone and address claims (internal/oidc/claims.go,
// hydrateClaimsOriginal); in 4.38.7+ preferred_username, email, email_verified, alt_emails, groups
// and name (internal/handlers/oidc.go, oidcApplyUserInfoClaims). Everything else from the ID token
// comes through, in 4.39 `groups` and `rat` too when a claims policy or the client's own `claims`
// request put them there. So `groups` in the answer proves nothing; only a claim from the
// never-copied list does, and `preferred_username` (the `profile` scope) is in every live answer.
// (Before 4.38.7 userinfo did not look the user up at all: the checks cannot work there.)

/** Claims Authelia's fallback answer never carries: present only when the user was looked up just now. */
export const LOOKUP_ONLY_CLAIMS: readonly string[] = [
  // First the one every live answer has with the `profile` scope AUTHELIA_SCOPES must include.
  'preferred_username', 'email', 'email_verified', 'name',
  'given_name', 'family_name', 'middle_name', 'nickname', 'profile', 'picture', 'website',
  'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address',
];

/** Whether an answer read claim by claim (a Go map needs no copy) shows that Authelia looked the user up. */
export function lookedUp(claim: (name: string) => unknown): boolean {
  return LOOKUP_ONLY_CLAIMS.some((name) => {
    const value = claim(name);
    return value !== undefined && value !== null;
  });
}

/** Whether a 200 userinfo body shows that Authelia looked the user up. */
export function isNormalUserinfo(claims: Readonly<Record<string, unknown>>): boolean {
  return lookedUp((name) => claims[name]);
}
