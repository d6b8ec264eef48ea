import type { ActiveState } from '../core/state.js';
import { loadRevalidationSecrets, seal } from './revalidation-secrets.js';
import { storeLogin } from './token-vault.js';

/** When Authelia's token answer names no expiry (it always does), its default access-token lifespan. */
const DEFAULT_ACCESS_TOKEN_MS = 3600_000;

/**
 * Keeps the Authelia tokens of a login (the refresh token only when
 * `offline_access` was granted), encrypted, for later checks. A login is a
 * successful check: the AUTHELIA_MAX_SESSION bound starts again. Call once the
 * record exists and is linked (after PocketBase's own login work).
 */
export function storeLoginTokens(app: CoreApp, record: core.Record, oAuth2User: auth.AuthUser, state: ActiveState): void {
  if (state.status !== 'active') return;
  const secrets = loadRevalidationSecrets(app);
  if (!secrets) return;
  const now = Date.now();
  const expiry = oAuth2User.expiry;
  const expiresAt = expiry && !expiry.isZero() ? expiry.unix() * 1000 : now + DEFAULT_ACCESS_TOKEN_MS;
  storeLogin(app, record.id, {
    accessToken: seal(secrets, oAuth2User.accessToken ?? ''),
    refreshToken: seal(secrets, oAuth2User.refreshToken ?? ''),
    accessExpiresAt: expiresAt,
  }, now);
}
