import { noteTokenExpiry } from '../stores/token-vault.js';

/**
 * Every auth response PocketBase makes for a guarded collection's record but a password, OTP or
 * OAuth2 sign-in's (the .pb.js handler leaves those out without loading this), with the token it
 * hands out. A password, OTP or OAuth2 sign-in and an auth-refresh note their token in their own hooks
 * (guard/sign-in-gate.ts, login/login.ts, checks/auth-refresh.ts); the rest are noted here from the token's own
 * expiry: a superuser's impersonation token (its lifetime is the superuser's choice, a year if they
 * like), and an auth response an app's route makes (`$apis.recordAuthResponse`). Without this,
 * once the record's other tokens expired the sweep would stop asking Authelia about it while such
 * a token still opened its session.
 */
export function onAuthResponse(e: core.RecordAuthRequestEvent): void {
  const record = e.record;
  const claims = record ? parsedClaims(e.token) : undefined;
  // An auth-refresh (no method, a refreshable token) was noted by its own hook.
  const refresh = e.authMethod === '' && claims?.['refreshable'] === true;
  if (record && claims && !refresh) {
    const expiresAt = Number(claims['exp']) * 1000;
    const issuedAt = Number(claims['iat'] ?? 0) * 1000;
    if (Number.isFinite(expiresAt) && expiresAt > 0) noteTokenExpiry(e.app, record.id, Number.isFinite(issuedAt) && issuedAt > 0 ? issuedAt : Date.now(), expiresAt);
  }
  e.next();
}

function parsedClaims(token: string): Record<string, unknown> | undefined {
  try {
    return $security.parseUnverifiedJWT(token) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
