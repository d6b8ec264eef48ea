import type { Config } from '../../core/boot/config.js';
import { legacyVaultKey } from '../../core/boot/token-key.js';
import { logInfo, logWarn } from '../log.js';
import { seal, unseal, type RevalidationSecrets } from '../stores/token-secrets.js';
import { dropAllTokens, resealTokens, sealedTokens } from '../stores/token-vault.js';

/**
 * Boot's part for the tokens already on disk. Without AUTHELIA_TOKEN_KEY this
 * process's key is new, so nothing stored before can be read by it: those
 * tokens go (earlier releases' tokens too, whose key the database itself gave
 * away). With it, tokens earlier releases stored under the key derived from
 * the client secret are re-encrypted under AUTHELIA_TOKEN_KEY, so nobody has
 * to sign in again after the upgrade.
 */
export function settleStoredTokens(app: CoreApp, config: Config, secrets: RevalidationSecrets): void {
  if (secrets.vaultKeySource === 'memory') {
    const dropped = dropAllTokens(app);
    if (dropped > 0) {
      logWarn(app, `dropped the stored Authelia tokens of ${dropped} records: without AUTHELIA_TOKEN_KEY tokens are encrypted under a key held in memory only, which a restart loses; they are checked again from their next sign-in (AUTHELIA_MAX_SESSION bounds them meanwhile). Set AUTHELIA_TOKEN_KEY to keep tokens across restarts`);
    }
    return;
  }
  const legacy = { vaultKey: legacyVaultKey(config.clientSecret, (text) => $security.sha256(text), (hex) => Buffer.from(hex, 'hex').toString('base64')) };
  let resealed = 0;
  for (const row of sealedTokens(app)) {
    if (readable(secrets, row)) continue;
    const accessToken = unseal(legacy, row.accessToken);
    const refreshToken = unseal(legacy, row.refreshToken);
    if (accessToken === undefined || refreshToken === undefined) continue; // another key: a check drops them
    resealTokens(app, row.recordId, seal(secrets, accessToken), seal(secrets, refreshToken));
    resealed++;
  }
  if (resealed > 0) logInfo(app, `re-encrypted the stored Authelia tokens of ${resealed} records under AUTHELIA_TOKEN_KEY (they were under a key derived from the client secret, which the database holds)`);
}

function readable(secrets: RevalidationSecrets, row: { readonly accessToken: string; readonly refreshToken: string }): boolean {
  return unseal(secrets, row.accessToken) !== undefined && unseal(secrets, row.refreshToken) !== undefined;
}
