import type { Config } from '../../core/boot/config.js';
import { REVALIDATION_SECRETS_KEY } from '../../core/stores/state.js';
import { vaultKey, type VaultKeySource } from '../../core/boot/token-key.js';
import { storeReader } from './app-store.js';

/** What a check needs that must never reach the database, a log line or an API response. */
export interface RevalidationSecrets {
  readonly clientSecret: string;
  readonly vaultKey: string;
  /** Whether the key outlives this process (AUTHELIA_TOKEN_KEY) or not. */
  readonly vaultKeySource: VaultKeySource;
}

/**
 * Boot keeps them in PocketBase's in-memory app store, where every pooled
 * runtime finds them. Without AUTHELIA_TOKEN_KEY the vault key is made here,
 * once per process, and exists nowhere else.
 */
export function saveRevalidationSecrets(app: CoreApp, config: Config): RevalidationSecrets {
  const key = vaultKey(config.revalidation.tokenKey, () => $security.randomString(32));
  const secrets: RevalidationSecrets = { clientSecret: config.clientSecret, vaultKey: key.key, vaultKeySource: key.source };
  app.store().set(REVALIDATION_SECRETS_KEY, JSON.stringify(secrets));
  return secrets;
}

export function forgetRevalidationSecrets(app: CoreApp): void {
  app.store().remove(REVALIDATION_SECRETS_KEY);
}

export const loadRevalidationSecrets = storeReader<RevalidationSecrets>(REVALIDATION_SECRETS_KEY);

export function seal(secrets: Pick<RevalidationSecrets, 'vaultKey'>, token: string): string {
  return token === '' ? '' : $security.encrypt(token, secrets.vaultKey);
}

/** `undefined` when the token cannot be read: the key or the client secret changed since it was stored. */
export function unseal(secrets: Pick<RevalidationSecrets, 'vaultKey'>, sealed: string): string | undefined {
  if (sealed === '') return '';
  try {
    return toString($security.decrypt(sealed, secrets.vaultKey));
  } catch {
    return undefined;
  }
}
