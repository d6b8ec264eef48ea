import type { Config } from '../core/boot/config.js';
import type { RevalidationSettings } from '../core/checks/revalidation.js';
import { forgetRevalidationSecrets, saveRevalidationSecrets } from './stores/token-secrets.js';
import { settleStoredTokens } from './boot/token-key-upgrade.js';
import { ensureVault } from './stores/token-vault.js';

/** Boot's part: the token table exists and checks can authenticate and decrypt. */
export function prepareRevalidation(app: CoreApp, config: Config): RevalidationSettings {
  ensureVault(app);
  settleStoredTokens(app, config, saveRevalidationSecrets(app, config));
  const { revalidateAfterSeconds, maxSessionSeconds, sweep } = config.revalidation;
  return { revalidateAfterSeconds, maxSessionSeconds, sweep };
}

/** A disabled or invalid boot: no check may run with what an earlier boot left in memory. */
export function stopRevalidation(app: CoreApp): void {
  forgetRevalidationSecrets(app);
}
