/** Where PocketBase sends the browser and where it fetches tokens and claims. */
export interface Endpoints {
  readonly authURL: string;
  readonly tokenURL: string;
  readonly userInfoURL: string;
  /** `discovery`: read from Authelia at boot; `fallback`: Authelia's fixed paths. */
  readonly source: 'discovery' | 'fallback';
}

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** Authelia's paths never change, so a boot while Authelia is down can still serve logins later. */
export function fallbackEndpoints(issuer: string): Endpoints {
  return {
    authURL: `${issuer}/api/oidc/authorization`,
    tokenURL: `${issuer}/api/oidc/token`,
    userInfoURL: `${issuer}/api/oidc/userinfo`,
    source: 'fallback',
  };
}

export type DiscoveryResult =
  | { readonly ok: true; readonly endpoints: Endpoints; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problem: string; readonly issuerMatched: boolean | null };

const HTTP_URL = /^https?:\/\/[^\s/?#@]+(\/\S*)?$/i;

/**
 * Checks a discovery document against the issuer we were told to trust. An
 * issuer mismatch is refused: it means AUTHELIA_URL points at something other
 * than the Authelia that signs the tokens (OpenID Connect Discovery 1.0, section 4.3).
 */
export function parseDiscovery(document: unknown, issuer: string, wanted: { scopes: readonly string[]; pkce: boolean }): DiscoveryResult {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { ok: false, problem: 'the discovery document is not a JSON object', issuerMatched: null };
  }
  const doc = document as Readonly<Record<string, unknown>>;
  if (doc['issuer'] !== issuer) {
    return {
      ok: false,
      problem: `the discovery document names the issuer ${JSON.stringify(doc['issuer'])}, not "${issuer}"; set AUTHELIA_URL to exactly Authelia's issuer`,
      issuerMatched: false,
    };
  }
  const endpoints: Record<string, string> = {};
  for (const [key, claim] of [
    ['authURL', 'authorization_endpoint'],
    ['tokenURL', 'token_endpoint'],
    ['userInfoURL', 'userinfo_endpoint'],
  ] as const) {
    const value = doc[claim];
    if (typeof value !== 'string' || !HTTP_URL.test(value)) {
      return { ok: false, problem: `the discovery document has no usable "${claim}"`, issuerMatched: true };
    }
    endpoints[key] = value;
  }
  return {
    ok: true,
    endpoints: { authURL: endpoints['authURL']!, tokenURL: endpoints['tokenURL']!, userInfoURL: endpoints['userInfoURL']!, source: 'discovery' },
    warnings: capabilityWarnings(doc, wanted),
  };
}

function capabilityWarnings(doc: Readonly<Record<string, unknown>>, wanted: { scopes: readonly string[]; pkce: boolean }): string[] {
  const warnings: string[] = [];
  const supported = stringList(doc['scopes_supported']);
  if (supported) {
    const missing = wanted.scopes.filter((scope) => !supported.includes(scope));
    if (missing.length > 0) {
      warnings.push(`Authelia does not advertise the scopes ${missing.join(', ')} from AUTHELIA_SCOPES; logins may fail with invalid_scope`);
    }
  }
  const authMethods = stringList(doc['token_endpoint_auth_methods_supported']);
  // PocketBase tries HTTP Basic first and falls back to the secret in the body.
  if (authMethods && !authMethods.includes('client_secret_basic') && !authMethods.includes('client_secret_post')) {
    warnings.push('Authelia advertises neither client_secret_basic nor client_secret_post, the token endpoint authentication PocketBase can use');
  }
  const challenges = stringList(doc['code_challenge_methods_supported']);
  if (wanted.pkce && challenges && !challenges.includes('S256')) {
    warnings.push('Authelia does not advertise PKCE S256 although AUTHELIA_PKCE is on');
  }
  return warnings;
}

/** A discovery field that must be a list of strings; anything else is undefined. */
export function stringList(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
}
