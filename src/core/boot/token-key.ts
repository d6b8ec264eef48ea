/** `$security.encrypt` (AES-256-GCM) takes exactly this many characters. */
export const TOKEN_KEY_LENGTH = 32;

/**
 * Where the key that encrypts stored Authelia tokens comes from. Never from
 * the database: a copy of it or a backup alone must not yield a usable token.
 * `environment`: AUTHELIA_TOKEN_KEY (or its _FILE), so tokens stay usable
 * across restarts. `memory`: a random key made at boot and held only in
 * PocketBase's memory, so the tokens on disk are unreadable to everyone once
 * the process ends (and are dropped at the next boot).
 */
export type VaultKeySource = 'environment' | 'memory';

export interface VaultKey {
  readonly key: string;
  readonly source: VaultKeySource;
}

export function vaultKey(tokenKey: string | null, randomKey: () => string): VaultKey {
  return tokenKey !== null ? { key: tokenKey, source: 'environment' } : { key: randomKey(), source: 'memory' };
}

/** The label releases before AUTHELIA_TOKEN_KEY became the only lasting key mixed into the client secret. */
const LEGACY_KEY_LABEL = 'pocketbase-authelia token vault v1\n';

/**
 * How earlier releases derived the key from the client secret, which PocketBase
 * keeps in plain text in the database. Used only on upgrade: to re-encrypt
 * what they stored under AUTHELIA_TOKEN_KEY, never to store anything.
 */
export function legacyVaultKey(clientSecret: string, sha256Hex: (text: string) => string, hexToBase64: (hex: string) => string): string {
  return hexToBase64(sha256Hex(LEGACY_KEY_LABEL + clientSecret)).slice(0, TOKEN_KEY_LENGTH);
}
