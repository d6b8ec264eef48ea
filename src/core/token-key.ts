/** What the vault key is derived with: a label, so the key is not simply the hash of the secret used elsewhere. */
const KEY_LABEL = 'pocketbase-authelia token vault v1\n';
/** `$security.encrypt` (AES-256-GCM) takes exactly this many characters. */
export const TOKEN_KEY_LENGTH = 32;

/**
 * The key that encrypts stored Authelia tokens. It is never stored in the
 * database: AUTHELIA_TOKEN_KEY as given, or derived from the client secret
 * (SHA-256, base64: 32 characters carry 192 bits). Rotating either makes the
 * stored tokens unreadable, which a check treats as "cannot tell".
 */
export function tokenVaultKey(tokenKey: string | null, clientSecret: string, sha256Hex: (text: string) => string, hexToBase64: (hex: string) => string): string {
  if (tokenKey !== null) return tokenKey;
  return hexToBase64(sha256Hex(KEY_LABEL + clientSecret)).slice(0, TOKEN_KEY_LENGTH);
}
