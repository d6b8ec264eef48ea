// A copy of the database (or a backup) alone never yields a usable Authelia token: the key that
// encrypts them is AUTHELIA_TOKEN_KEY from the environment, or one held in PocketBase's memory only.
// Earlier releases derived it from the client secret, which PocketBase keeps in plain text in the
// same database; these tests play the attacker with such a copy.
import { execFile } from 'node:child_process';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import type { PocketBaseServer } from '../../../testkit/pocketbase.js';
import { person, WITH_OFFLINE_ACCESS } from '../../support/revalidation.js';
import { CLIENT_SECRET, ssoLogin, startStack } from '../../support/stack.js';

const run = promisify(execFile);
const TIMEOUT = 90_000;
const ENV = { AUTHELIA_SCOPES: WITH_OFFLINE_ACCESS, AUTHELIA_REVALIDATE_AFTER: '1s', AUTHELIA_SWEEP: 'off' };
const TOKEN_KEY = 'k'.repeat(32);

/** The key releases before this one derived from the client secret. */
function derivedKey(clientSecret: string): string {
  const hex = createHash('sha256').update(`pocketbase-authelia token vault v1\n${clientSecret}`).digest('hex');
  return Buffer.from(hex, 'hex').toString('base64').slice(0, 32);
}

/** `$security.decrypt`: base64 of nonce (12 bytes) + AES-256-GCM ciphertext + tag. `undefined` when the key is wrong. */
function decrypt(sealed: string, key: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', Buffer.from(key), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString();
  } catch {
    return undefined;
  }
}

/** `$security.encrypt` with a given key, as an earlier release stored a token. */
function encrypt(token: string, key: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(key), nonce);
  const body = Buffer.concat([cipher.update(token), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

async function sql(database: string, query: string): Promise<string> {
  return (await run('sqlite3', ['-separator', '|', database, query])).stdout.trim();
}

/** What an attacker with a copy of data.db sees: the sealed tokens, and whether the client secret is in it. */
async function databaseCopy(pb: PocketBaseServer): Promise<{ tokens: string[]; holdsClientSecret: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-copy-'));
  try {
    for (const file of ['data.db', 'data.db-wal', 'data.db-shm']) await copyFile(join(pb.dataDir, 'pb_data', file), join(dir, file)).catch(() => undefined);
    const database = join(dir, 'data.db');
    const rows = await sql(database, "SELECT accessToken || '|' || refreshToken FROM _authelia_tokens");
    const collections = await sql(database, "SELECT options FROM _collections WHERE name = 'users'");
    return { tokens: rows.split(/[|\n]/).filter(Boolean), holdsClientSecret: collections.includes(CLIENT_SECRET) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.concurrent.each(VERSIONS)('Authelia tokens at rest on PocketBase %s', (version) => {
  it('without AUTHELIA_TOKEN_KEY, a copy of the database decrypts nothing, and a restart drops the tokens from disk', { timeout: TIMEOUT }, async () => {
    const yara = person('yara', ['admins']);
    const stack = await startStack({ version, users: [yara], idp: { offlineAccess: true }, env: ENV });
    let pb = stack.pb;
    try {
      const { auth } = await ssoLogin(pb.url, yara);
      const copy = await databaseCopy(pb);
      expect(copy.holdsClientSecret).toBe(true); // PocketBase keeps it in plain text
      expect(copy.tokens).toHaveLength(2);
      for (const sealed of copy.tokens) expect(decrypt(sealed, derivedKey(CLIENT_SECRET))).toBeUndefined();
      for (const token of stack.idp.issuedTokens) expect(copy.tokens).not.toContain(token);

      // The process itself can use them: a due refresh asks Authelia.
      await new Promise((done) => setTimeout(done, 1_200));
      stack.idp.requests.length = 0;
      const refreshed = await fetch(`${pb.url}/api/collections/users/auth-refresh`, { method: 'POST', headers: { authorization: auth.token } });
      expect(refreshed.status).toBe(200);
      expect(stack.idp.requests.map((request) => request.path)).toContain('/api/oidc/userinfo');
      const status = await (await pb.superuser()).send('/api/authelia/status', {});
      expect(status.revalidation.tokensAtRest).toEqual({ table: '_authelia_tokens', encryptedWith: 'a key held in memory only', survivesRestart: false });

      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...ENV });
      expect((await databaseCopy(pb)).tokens).toEqual([]);
      expect(await pb.logs(/dropped the stored Authelia tokens/)).toMatch(/dropped the stored Authelia tokens of 1 records/);
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });

  it('upgrading with AUTHELIA_TOKEN_KEY re-encrypts tokens stored under the derived key, which then decrypts nothing', { timeout: TIMEOUT }, async () => {
    const zoe = person('zoe', ['admins']);
    const stack = await startStack({ version, users: [zoe], idp: { offlineAccess: true }, env: ENV });
    let pb = stack.pb;
    try {
      const { auth } = await ssoLogin(pb.url, zoe);
      const [accessToken, refreshToken] = stack.idp.issuedTokens;
      await pb.stop();
      // As an earlier release left them: sealed under the key derived from the client secret.
      const legacy = derivedKey(CLIENT_SECRET);
      await sql(join(pb.dataDir, 'pb_data', 'data.db'),
        `UPDATE _authelia_tokens SET accessToken = '${encrypt(accessToken!, legacy)}', refreshToken = '${encrypt(refreshToken!, legacy)}' WHERE recordId = '${auth.record.id}'`);

      pb = await pb.restart({ AUTHELIA_URL: stack.idp.issuer, AUTHELIA_CLIENT_SECRET: CLIENT_SECRET, ...ENV, AUTHELIA_TOKEN_KEY: TOKEN_KEY });
      const copy = await databaseCopy(pb);
      expect(copy.tokens.map((sealed) => decrypt(sealed, legacy))).toEqual([undefined, undefined]);
      expect(copy.tokens.map((sealed) => decrypt(sealed, TOKEN_KEY))).toEqual([accessToken, refreshToken]);

      // Still usable: nobody had to sign in again.
      await new Promise((done) => setTimeout(done, 1_200));
      stack.idp.requests.length = 0;
      const refreshed = await fetch(`${pb.url}/api/collections/users/auth-refresh`, { method: 'POST', headers: { authorization: auth.token } });
      expect(refreshed.status).toBe(200);
      expect(stack.idp.requests.map((request) => `${request.path} ${request.status}`)).toContain('/api/oidc/userinfo 200');
      const status = await (await pb.superuser()).send('/api/authelia/status', {});
      expect(status.revalidation.tokensAtRest).toMatchObject({ encryptedWith: 'AUTHELIA_TOKEN_KEY', survivesRestart: true });
    } finally {
      await pb.destroy();
      await stack.idp.close();
    }
  });
});
