import type { Config } from '../core/config.js';
import { REVALIDATION_SECRETS_KEY } from '../core/state.js';
import { tokenVaultKey } from '../core/token-key.js';
import { storeReader } from './store-json.js';

/** What a check needs that must never reach the database, a log line or an API response. */
export interface RevalidationSecrets {
  readonly clientSecret: string;
  readonly vaultKey: string;
}

/** Boot keeps them in PocketBase's in-memory app store, where every pooled runtime finds them. */
export function saveRevalidationSecrets(app: CoreApp, config: Config): void {
  const vaultKey = tokenVaultKey(config.revalidation.tokenKey, config.clientSecret, (text) => $security.sha256(text), (hex) => Buffer.from(hex, 'hex').toString('base64'));
  const secrets: RevalidationSecrets = { clientSecret: config.clientSecret, vaultKey };
  app.store().set(REVALIDATION_SECRETS_KEY, JSON.stringify(secrets));
}

export function forgetRevalidationSecrets(app: CoreApp): void {
  app.store().remove(REVALIDATION_SECRETS_KEY);
}

export const loadRevalidationSecrets = storeReader<RevalidationSecrets>(REVALIDATION_SECRETS_KEY);

export function seal(secrets: RevalidationSecrets, token: string): string {
  return token === '' ? '' : $security.encrypt(token, secrets.vaultKey);
}

/** `undefined` when the token cannot be read: the key or the client secret changed since it was stored. */
export function unseal(secrets: RevalidationSecrets, sealed: string): string | undefined {
  if (sealed === '') return '';
  try {
    return toString($security.decrypt(sealed, secrets.vaultKey));
  } catch {
    return undefined;
  }
}
