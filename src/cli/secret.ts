// Client secrets and their Authelia digests. Authelia stores only a digest of the client secret:
// `$pbkdf2-sha512$<iterations>$<salt>$<key>`, salt and key in "adapted" base64 (standard alphabet
// with '+' → '.', no padding), the format of `authelia crypto hash generate pbkdf2 --variant sha512`.
import { pbkdf2Sync, randomBytes } from 'node:crypto';

export const PBKDF2_ITERATIONS = 310_000;
export const SALT_BYTES = 16;
export const KEY_BYTES = 64;
/** Authelia asks for client secrets of at least 64 random characters. */
export const MIN_SECRET_LENGTH = 64;

/** 72 URL-safe characters (base64url of 54 random bytes): nothing to escape in basic auth or env files. */
export function generateSecret(): string {
  return randomBytes(54).toString('base64url');
}

export function adaptedBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '').replaceAll('+', '.');
}

/** The digest to paste into Authelia's `client_secret`. The salt is random unless given (tests). */
export function pbkdf2Digest(secret: string, salt: Uint8Array = randomBytes(SALT_BYTES)): string {
  const key = pbkdf2Sync(secret, salt, PBKDF2_ITERATIONS, KEY_BYTES, 'sha512');
  return `$pbkdf2-sha512$${PBKDF2_ITERATIONS}$${adaptedBase64(salt)}$${adaptedBase64(key)}`;
}

/** AUTHELIA_TOKEN_KEY: 32 URL-safe characters (base64url of 24 random bytes), what `$security.encrypt` takes. */
export function generateTokenKey(): string {
  return randomBytes(24).toString('base64url');
}
