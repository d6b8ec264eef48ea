import { pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  adaptedBase64, generateSecret, KEY_BYTES, MIN_SECRET_LENGTH, pbkdf2Digest, PBKDF2_ITERATIONS, SALT_BYTES,
} from '../../src/cli/secret.js';
import { pythonVerifiesDigest } from './cli.js';
import { fromAdaptedBase64, parseDigest, verifyDigest } from './digest.js';

describe('generateSecret', () => {
  it('is long, URL-safe and different every time', () => {
    const secrets = new Set(Array.from({ length: 20 }, generateSecret));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
      expect(secret).toMatch(/^[A-Za-z0-9_-]+$/);
      // Nothing that basic auth's form-urlencoding would change.
      expect(encodeURIComponent(secret)).toBe(secret);
    }
  });
});

describe('pbkdf2Digest: Authelia\'s $pbkdf2-sha512$ format', () => {
  const secret = generateSecret();
  const digest = pbkdf2Digest(secret);

  it('has the variant, 310000 iterations, adapted base64 without + or padding', () => {
    expect(digest).toMatch(/^\$pbkdf2-sha512\$310000\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+$/);
    expect(digest).not.toMatch(/[+=]/);
  });

  it('decodes to a 16-byte salt and a 64-byte key', () => {
    const parsed = parseDigest(digest)!;
    expect(parsed.iterations).toBe(PBKDF2_ITERATIONS);
    expect(parsed.salt).toHaveLength(SALT_BYTES);
    expect(parsed.key).toHaveLength(KEY_BYTES);
  });

  it('verifies: pbkdf2 of the secret with the parsed salt gives the parsed key', () => {
    const parsed = parseDigest(digest)!;
    expect(pbkdf2Sync(secret, parsed.salt, parsed.iterations, 64, 'sha512').equals(parsed.key)).toBe(true);
    expect(verifyDigest(secret, digest)).toBe(true);
    expect(verifyDigest(`${secret}x`, digest)).toBe(false);
  });

  it('verifies with an independent implementation (Python hashlib)', () => {
    expect(pythonVerifiesDigest(secret, digest)).toBe(true);
    expect(pythonVerifiesDigest('another secret', digest)).toBe(false);
  });

  it('uses a fresh salt each time', () => {
    expect(pbkdf2Digest(secret)).not.toBe(digest);
  });

  it('is the documented computation for a fixed salt', () => {
    const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const key = pbkdf2Sync('password', salt, 310000, 64, 'sha512');
    const expected = `$pbkdf2-sha512$310000$${salt.toString('base64').replace(/=+$/, '').replaceAll('+', '.')}$${key.toString('base64').replace(/=+$/, '').replaceAll('+', '.')}`;
    expect(pbkdf2Digest('password', salt)).toBe(expected);
  });
});

describe('adapted base64', () => {
  it('maps + to . and drops padding, and back', () => {
    const bytes = Buffer.from([0xfb, 0xef, 0xff, 0x01]); // standard base64: ++//AQ==
    expect(adaptedBase64(bytes)).toBe('..//AQ');
    expect(fromAdaptedBase64('..//AQ').equals(bytes)).toBe(true);
  });

  it('rejects what is not a pbkdf2-sha512 digest', () => {
    expect(parseDigest('$argon2id$v=19$m=65536,t=3,p=4$abc$def')).toBeUndefined();
    expect(parseDigest('$pbkdf2-sha512$310000$a+b$c')).toBeUndefined();
    expect(verifyDigest('x', 'plain-text')).toBe(false);
  });
});
