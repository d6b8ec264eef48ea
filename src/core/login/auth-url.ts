/**
 * Helpers to reproduce, byte for byte, the authorization URLs PocketBase's
 * built-in `auth-methods` handler makes (Go's golang.org/x/oauth2), with a
 * different `scope` for our provider. Pure: no PocketBase, no Node.
 */

/** Go's `url.QueryEscape`: keeps A-Z a-z 0-9 - _ . ~, a space becomes `+`. */
export function goQueryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * Sets extra query parameters on a URL that Go's `oauth2.Config.AuthCodeURL`
 * built as `base` + `?`/`&` + sorted, encoded pairs: the JSVM cannot create the
 * `AuthCodeOption` values Go would use. `baseLength` is the length of the
 * configured authorization URL; the result keeps Go's key order (sorted).
 */
export function withQueryParams(built: string, baseLength: number, params: ReadonlyArray<readonly [string, string]>): string {
  const prefix = built.slice(0, baseLength + 1);
  const pairs = new Map<string, string>();
  for (const pair of built.slice(baseLength + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    pairs.set(equals < 0 ? pair : pair.slice(0, equals), pair);
  }
  for (const [key, value] of params) {
    pairs.set(goQueryEscape(key), `${goQueryEscape(key)}=${goQueryEscape(value)}`);
  }
  return prefix + [...pairs.keys()].sort().map((key) => pairs.get(key)).join('&');
}

/** PKCE S256 (RFC 7636): base64url of the SHA-256 digest, from its hex form, without padding. */
export function s256ChallengeFromHex(sha256Hex: string, toBase64: (hex: string) => string): string {
  return toBase64(sha256Hex).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** JSON as Go's encoding/json writes it (HTML-safe escapes, trailing newline), so clients see no difference. */
export function goJson(value: unknown): string {
  return `${JSON.stringify(value)
    .replace(/&/g, '\\u0026')
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')}\n`;
}
