import { accessTokenUsable, classifyRefresh, classifyUserinfo, type CheckOutcome } from '../core/revalidation.js';
import type { ActiveState } from '../core/state.js';
import { endRecordSessions } from './access.js';
import type { AccessActions } from './access-actions.js';
import { refreshGrant, userinfo, CHECK_TIMEOUT_SECONDS } from './authelia-client.js';
import { loadRevalidationSecrets, seal, unseal, type RevalidationSecrets } from './revalidation-secrets.js';
import {
  claimLease, dropRefreshToken, dropTokens, linkedRow, markCurrent, markEnded, markUndecided, releaseLease, storeRotatedTokens, type VaultRow,
} from './token-vault.js';

/** How a check of one record ended; `busy`: another check of it is running, so this one sent nothing. */
export type CheckResult =
  | { readonly kind: 'current'; readonly changed: boolean }
  | { readonly kind: 'gone'; readonly reason: string }
  | { readonly kind: 'undecided'; readonly reason: string }
  | { readonly kind: 'busy' };

/**
 * Longer than a check can take (a refresh grant, its retry with the other client
 * authentication style, then userinfo); expires by itself if PocketBase dies mid-check.
 */
const LEASE_MS = (3 * CHECK_TIMEOUT_SECONDS + 5) * 1000;

/**
 * Asks Authelia about one record and applies the answer: current claims are
 * applied as a login would, a gone or refused user loses access (managed
 * fields cleared, every session ended, tokens dropped), and "cannot tell"
 * changes nothing. Never runs twice at once for a record (see claimLease).
 * Logs nothing: the caller says what happened, in one line.
 */
export function checkRecord(app: CoreApp, state: ActiveState, record: core.Record, actions: AccessActions, now: number): CheckResult {
  if (!claimLease(app, record.id, now, LEASE_MS)) return { kind: 'busy' };
  try {
    // Read after the lease: a check that just finished may have rotated the tokens.
    const row = linkedRow(app, state, record.id);
    if (!row) return { kind: 'undecided', reason: 'the record is no longer linked to Authelia' };
    const outcome = askAuthelia(app, state, row, now);
    return settle(app, state, record, outcome, actions, now);
  } finally {
    releaseLease(app, record.id);
  }
}

function askAuthelia(app: CoreApp, state: ActiveState, row: VaultRow, now: number): CheckOutcome {
  const secrets = loadRevalidationSecrets(app);
  if (!secrets) return { kind: 'undecided', reason: 'the extension has not booted with a valid configuration' };
  const accessToken = unseal(secrets, row.accessToken);
  const refreshToken = unseal(secrets, row.refreshToken);
  if (accessToken === undefined || refreshToken === undefined) {
    // Rotated client secret or AUTHELIA_TOKEN_KEY: these will never be readable again.
    dropTokens(app, row.recordId);
    return { kind: 'undecided', reason: 'the stored tokens cannot be decrypted (the client secret or AUTHELIA_TOKEN_KEY changed); the user must sign in again' };
  }
  if (accessToken !== '' && accessTokenUsable(row, now)) {
    return classifyUserinfo(userinfo(state, accessToken), row.subject);
  }
  if (refreshToken === '') return { kind: 'undecided', reason: 'no usable token: the access token expired and Authelia granted no refresh token (offline_access)' };
  return refreshThenAsk(app, state, secrets, row, refreshToken, now);
}

function refreshThenAsk(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, row: VaultRow, refreshToken: string, now: number): CheckOutcome {
  const refreshed = classifyRefresh(refreshGrant(state, secrets.clientSecret, refreshToken));
  if (refreshed.kind === 'undecided') {
    if (refreshed.dropRefreshToken) dropRefreshToken(app, row.recordId);
    return refreshed;
  }
  // The old refresh token is spent: keep the new one before anything else can fail.
  storeRotatedTokens(app, row.recordId, {
    accessToken: seal(secrets, refreshed.accessToken),
    refreshToken: seal(secrets, refreshed.refreshToken),
    accessExpiresAt: now + refreshed.expiresInSeconds * 1000,
  });
  return classifyUserinfo(userinfo(state, refreshed.accessToken), row.subject);
}

function settle(app: CoreApp, state: ActiveState, record: core.Record, outcome: CheckOutcome, actions: AccessActions, now: number): CheckResult {
  if (outcome.kind === 'undecided') {
    markUndecided(app, record.id);
    return outcome;
  }
  if (outcome.kind === 'current') {
    const applied = actions.applyClaims(app, record, { ...outcome.claims }, state);
    if (applied.kind === 'applied') {
      markCurrent(app, record.id, now);
      return { kind: 'current', changed: applied.changed };
    }
    return takeAway(app, record, applied.reason, actions);
  }
  return takeAway(app, record, outcome.reason, actions);
}

function takeAway(app: CoreApp, record: core.Record, reason: string, actions: AccessActions): CheckResult {
  actions.revokeAccess(app, record, `after a check with Authelia: ${reason}`);
  markEnded(app, record.id, 'gone');
  return { kind: 'gone', reason };
}

/**
 * Past AUTHELIA_MAX_SESSION without a successful check: every session of the
 * record ends (once), and nothing else changes — Authelia did not say the
 * user lost anything.
 */
export function endSessions(app: CoreApp, record: core.Record): void {
  endRecordSessions(app, record);
  markEnded(app, record.id, 'expired');
}
