// Reads Authelia's `$pbkdf2-sha512$` client-secret digests back, as Authelia does when a client
// authenticates: the tests use it to check what the CLI prints (the CLI itself only writes them).
import { pbkdf2Sync, timingSafeEqual } from 'node:crypto';

export interface ParsedDigest {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

const DIGEST = /^\$pbkdf2-sha512\$(\d+)\$([A-Za-z0-9./]+)\$([A-Za-z0-9./]+)$/;

/** Authelia's "adapted" base64 (standard alphabet with '+' → '.', no padding) to bytes. */
export function fromAdaptedBase64(text: string): Buffer {
  return Buffer.from(text.replaceAll('.', '+'), 'base64');
}

export function parseDigest(digest: string): ParsedDigest | undefined {
  const match = DIGEST.exec(digest);
  if (!match) return undefined;
  return { iterations: Number(match[1]), salt: fromAdaptedBase64(match[2]!), key: fromAdaptedBase64(match[3]!) };
}

/** What Authelia does when a client authenticates: recompute the key with the stored salt. */
export function verifyDigest(secret: string, digest: string): boolean {
  const parsed = parseDigest(digest);
  if (!parsed || parsed.key.length === 0) return false;
  const key = pbkdf2Sync(secret, parsed.salt, parsed.iterations, parsed.key.length, 'sha512');
  return timingSafeEqual(key, parsed.key);
}
