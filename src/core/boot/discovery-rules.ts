import { origin, parseHttpUrl, redactUrl } from './urls.js';

/** Where PocketBase sends the browser and where it fetches tokens and claims. */
export interface Endpoints {
  readonly authURL: string;
  readonly tokenURL: string;
  readonly userInfoURL: string;
  /** RFC 7009 revocation: sign-out and every way access is taken away revoke the grant there. */
  readonly revocationURL: string;
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
    revocationURL: `${issuer}/api/oidc/revocation`,
    source: 'fallback',
  };
}

export type DiscoveryResult =
  | { readonly ok: true; readonly endpoints: Endpoints; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly problem: string; readonly issuerMatched: boolean | null };

/** The endpoints PocketBase uses, and the discovery claims that name them. */
export const ENDPOINT_CLAIMS = [
  ['authURL', 'authorization_endpoint'],
  ['tokenURL', 'token_endpoint'],
  ['userInfoURL', 'userinfo_endpoint'],
] as const;

export type EndpointVerdict =
  | { readonly kind: 'usable'; readonly url: string }
  /** Missing, not a string, not an http(s) URL, or with credentials in it. */
  | { readonly kind: 'unusable' }
  | { readonly kind: 'off-origin'; readonly url: string; readonly issuerOrigin: string };

/**
 * Whether an endpoint from the discovery document may be used. Authelia serves every endpoint
 * under its issuer, so one on another scheme, host or port means the document was rewritten (a
 * proxy, or something that is not Authelia): the token endpoint receives the client secret, so
 * it is not trusted.
 */
export function judgeEndpoint(value: unknown, issuer: string): EndpointVerdict {
  const url = typeof value === 'string' ? parseHttpUrl(value) : undefined;
  if (typeof value !== 'string' || url === undefined || url.userinfo !== undefined) return { kind: 'unusable' };
  const expected = parseHttpUrl(issuer);
  const issuerOrigin = expected === undefined ? issuer : origin(expected);
  return origin(url) === issuerOrigin ? { kind: 'usable', url: value } : { kind: 'off-origin', url: value, issuerOrigin };
}

/** The sentence a log line or `check` uses for an endpoint off the issuer's origin; the URL is redacted. */
export function offOriginProblem(claim: string, verdict: Extract<EndpointVerdict, { kind: 'off-origin' }>): string {
  return `"${claim}" ${redactUrl(verdict.url)} is off the issuer's origin ${verdict.issuerOrigin}`;
}

/**
 * Checks a discovery document against the issuer we were told to trust. An
 * issuer mismatch is refused: it means AUTHELIA_URL points at something other
 * than the Authelia that signs the tokens (OpenID Connect Discovery 1.0, section 4.3).
 * So is any endpoint off the issuer's origin; then none of the document's
 * endpoints is used, never a mix of discovered and fixed ones.
 */
export function parseDiscovery(document: unknown, issuer: string, wanted: { scopes: readonly string[]; pkce: boolean }): DiscoveryResult {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { ok: false, problem: 'the discovery document is not a JSON object', issuerMatched: null };
  }
  const doc = document as Readonly<Record<string, unknown>>;
  if (doc['issuer'] !== issuer) {
    const named = typeof doc['issuer'] === 'string' ? redactUrl(doc['issuer']) : doc['issuer'];
    return {
      ok: false,
      problem: `the discovery document names the issuer ${JSON.stringify(named)}, not "${issuer}"; set AUTHELIA_URL to exactly Authelia's issuer`,
      issuerMatched: false,
    };
  }
  const endpoints: Record<string, string> = {};
  const offOrigin: string[] = [];
  for (const [key, claim] of ENDPOINT_CLAIMS) {
    const verdict = judgeEndpoint(doc[claim], issuer);
    if (verdict.kind === 'unusable') {
      return { ok: false, problem: `the discovery document has no usable "${claim}"`, issuerMatched: true };
    }
    if (verdict.kind === 'off-origin') offOrigin.push(offOriginProblem(claim, verdict));
    else endpoints[key] = verdict.url;
  }
  if (offOrigin.length > 0) {
    return {
      ok: false,
      problem: `the discovery document's ${offOrigin.join(' and ')}; Authelia serves every endpoint there, ` +
        'so a proxy may be rewriting the document, or AUTHELIA_URL is not Authelia',
      issuerMatched: true,
    };
  }
  // Optional in discovery; the client secret goes there too, so only on the issuer's origin.
  const revocation = judgeEndpoint(doc['revocation_endpoint'], issuer);
  const warnings = capabilityWarnings(doc, wanted);
  if (revocation.kind === 'off-origin') warnings.push(`${offOriginProblem('revocation_endpoint', revocation)}; Authelia's fixed path is used for revocation`);
  return {
    ok: true,
    endpoints: {
      authURL: endpoints['authURL']!,
      tokenURL: endpoints['tokenURL']!,
      userInfoURL: endpoints['userInfoURL']!,
      revocationURL: revocation.kind === 'usable' ? revocation.url : `${issuer}/api/oidc/revocation`,
      source: 'discovery',
    },
    warnings,
  };
}

/**
 * How PocketBase will authenticate at the token endpoint, from what discovery advertises.
 * PocketBase's OAuth2 client (Go's golang.org/x/oauth2, style auto-detected on a fresh config
 * at every login) sends HTTP Basic first and, when that is refused, the secret in the form body:
 * `basic` and `post` both work, `basic` without the refused round trip. `unlisted` means
 * client_secret_basic, the default of OpenID Connect Discovery 1.0.
 */
export type TokenEndpointAuth = 'basic' | 'post' | 'neither' | 'unlisted';

export function tokenEndpointAuth(doc: Readonly<Record<string, unknown>>): TokenEndpointAuth {
  const methods = stringList(doc['token_endpoint_auth_methods_supported']);
  if (!methods) return 'unlisted';
  if (methods.includes('client_secret_basic')) return 'basic';
  return methods.includes('client_secret_post') ? 'post' : 'neither';
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
  if (tokenEndpointAuth(doc) === 'neither') {
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
