import {
  accessTokenUsable, believeFallback, classifyRefresh, readUserinfo, MAX_PEERS_ASKED, type CheckOutcome, type UserinfoReading,
} from '../../core/checks/revalidation.js';
import { claimedUsername } from '../../core/login/relink-rules.js';
import type { ActiveState } from '../../core/stores/state.js';
import { endRecordSessions } from '../login/access.js';
import type { AccessActions } from './access-actions.js';
import { refreshGrant, userinfo, CHECK_TIMEOUT_SECONDS } from './authelia-client.js';
import { noteAutheliaWorks, noteOutage } from './outage.js';
import { askPeers } from './peers.js';
import { queueRevocation } from '../sign-out/revocation.js';
import { loadRevalidationSecrets, seal, unseal, type RevalidationSecrets } from '../stores/token-secrets.js';
import {
  claimLease, dropRefreshToken, dropTokens, linkedRow, markCurrent, markEnded, markUndecided, markWaiting, releaseLease, storeRotatedTokens, type VaultRow,
} from '../stores/token-vault.js';

/**
 * How a check of one record ended. `busy`: another check of it is running, so
 * this one sent nothing. `suspect`: Authelia answered without looking the user
 * up and the caller asked to decide later (the sweep, at the end of its run).
 * `waiting`: the same answer while nobody else was answered normally: nothing
 * changed, the record waits for Authelia's user backend.
 */
export type CheckResult =
  | { readonly kind: 'current'; readonly changed: boolean }
  | { readonly kind: 'gone'; readonly reason: string }
  | { readonly kind: 'suspect'; readonly reason: string }
  | { readonly kind: 'waiting'; readonly reason: string }
  | { readonly kind: 'undecided'; readonly reason: string }
  | { readonly kind: 'unreachable'; readonly reason: string }
  | { readonly kind: 'busy' };

/**
 * What a check does with Authelia's fallback answer (no lookup): `ask-peers`
 * asks other records right then (auth-refresh, and the sweep's second look);
 * `report` returns it to the caller, which decides once it knows more (the
 * sweep, at the end of its run). Only an answer after the fallback counts:
 * a normal answer from before it cannot show that the user backend still
 * works (it may have failed since).
 */
export type FallbackPolicy = 'ask-peers' | 'report';

/**
 * Longer than a check can take (a refresh grant, its retry with the other client
 * authentication style, userinfo, then a few other records' userinfo); expires
 * by itself if PocketBase dies mid-check.
 */
const LEASE_MS = ((3 + MAX_PEERS_ASKED) * CHECK_TIMEOUT_SECONDS + 5) * 1000;

/**
 * Asks Authelia about one record and applies the answer: current claims are
 * applied as a login would, a gone or refused user loses access (managed
 * fields cleared, every session ended, tokens dropped), and "cannot tell"
 * changes nothing. A removal is believed only while Authelia demonstrably
 * works (see FallbackPolicy). Never runs twice at once for a record (see
 * claimLease). Logs nothing but outages: the caller says what happened.
 */
export function checkRecord(
  app: CoreApp, state: ActiveState, record: core.Record, actions: AccessActions, now: number, onFallback: FallbackPolicy,
  otherSuspects: ReadonlySet<string> = new Set(),
): CheckResult {
  if (!claimLease(app, record.id, now, LEASE_MS)) return { kind: 'busy' };
  try {
    // Read after the lease: a check that just finished may have rotated the tokens.
    const row = linkedRow(app, state, record.id);
    if (!row) return { kind: 'undecided', reason: 'the record is no longer linked to Authelia' };
    const secrets = loadRevalidationSecrets(app);
    if (!secrets) return { kind: 'undecided', reason: 'the extension has not booted with a valid configuration' };
    const outcome = askAuthelia(app, state, secrets, row, now);
    // A superuser's unlink and another account's sign-in by email can land while Authelia answers:
    // the answer is about the account linked before, and nothing of it goes onto the record now.
    if (linkedRow(app, state, record.id)?.subject !== row.subject) return { kind: 'undecided', reason: "the record's Authelia link changed while Authelia answered" };
    if (outcome.kind !== 'suspect') return settle(app, state, record, outcome, actions, now);
    if (onFallback === 'report') return outcome;
    const evidence = askPeers(app, state, secrets, record.id, otherSuspects, now);
    if (believeFallback(evidence)) return takeAway(app, record, outcome.reason, actions);
    return wait(app, record.id, outcome.reason, evidence === 'unreachable' ? 'unreachable' : 'user-backend', now);
  } finally {
    releaseLease(app, record.id);
  }
}

function askAuthelia(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, row: VaultRow, now: number): CheckOutcome {
  const accessToken = unseal(secrets, row.accessToken);
  const refreshToken = unseal(secrets, row.refreshToken);
  if (accessToken === undefined || refreshToken === undefined) {
    // AUTHELIA_TOKEN_KEY changed (or was unset across a restart): these will never be readable again.
    dropTokens(app, row.recordId);
    return { kind: 'undecided', reason: 'the stored tokens cannot be decrypted (AUTHELIA_TOKEN_KEY changed); the user must sign in again' };
  }
  if (accessToken !== '' && accessTokenUsable(row, now)) {
    const reading = readUserinfo(userinfo(state, accessToken), row.subject);
    // 401 is about the token (revoked, rotated away, Authelia redeployed): the refresh token may still work.
    if (reading.kind !== 'token-refused') return reading;
    if (refreshToken === '') return { kind: 'undecided', reason: reading.reason };
  } else if (refreshToken === '') {
    return { kind: 'undecided', reason: 'no usable token: the access token expired and Authelia granted no refresh token (offline_access)' };
  }
  return refreshThenAsk(app, state, secrets, row, refreshToken, now);
}

function refreshThenAsk(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, row: VaultRow, refreshToken: string, now: number): CheckOutcome {
  const refreshed = classifyRefresh(refreshGrant(state, secrets.clientSecret, refreshToken));
  if (refreshed.kind === 'unreachable') return refreshed;
  if (refreshed.kind === 'undecided') {
    if (refreshed.dropRefreshToken) {
      // Dead refresh token; the access token may still be revocable.
      queueRevocation(app, { accessToken: row.accessToken, refreshToken: '' }, 'routine');
      dropRefreshToken(app, row.recordId, row.refreshToken);
    }
    return refreshed;
  }
  // The old refresh token is spent: keep the new one (unless the row changed meanwhile) before anything else can fail.
  const rotated = {
    accessToken: seal(secrets, refreshed.accessToken),
    refreshToken: seal(secrets, refreshed.refreshToken),
    accessExpiresAt: now + refreshed.expiresInSeconds * 1000,
  };
  // A login, a sign-out or access taken away wrote the row while Authelia answered: what it wrote
  // stays, and this grant, held by nobody now, is revoked (urgent: it may follow a sign-out or a
  // removal, which a flood of routine revocations must not push out). The answer still tells about
  // the user; saving claims touches only the fields they decide (saveClaims).
  if (!storeRotatedTokens(app, row.recordId, rotated, row.refreshToken)) queueRevocation(app, rotated, 'urgent');
  return tokenLevel(readUserinfo(userinfo(state, refreshed.accessToken), row.subject));
}

/** A fresh access token refused at once is still a token matter: cannot tell. */
function tokenLevel(reading: UserinfoReading): CheckOutcome {
  return reading.kind === 'token-refused' ? { kind: 'undecided', reason: reading.reason } : reading;
}

function settle(app: CoreApp, state: ActiveState, record: core.Record, outcome: Exclude<CheckOutcome, { kind: 'suspect' }>, actions: AccessActions, now: number): CheckResult {
  if (outcome.kind === 'undecided' || outcome.kind === 'unreachable') {
    markUndecided(app, record.id);
    if (outcome.kind === 'unreachable') noteOutage(app, 'unreachable', outcome.reason, now);
    return outcome;
  }
  if (outcome.kind === 'current') {
    noteAutheliaWorks(app, now);
    const applied = actions.applyClaims(app, record, { ...outcome.claims }, state);
    if (applied.kind === 'applied') {
      markCurrent(app, record.id, now, claimedUsername(outcome.claims));
      return { kind: 'current', changed: applied.changed };
    }
    return takeAway(app, record, applied.reason, actions);
  }
  return takeAway(app, record, outcome.reason, actions);
}

function wait(app: CoreApp, recordId: string, reason: string, kind: 'user-backend' | 'unreachable', now: number): CheckResult {
  markWaiting(app, recordId);
  noteOutage(app, kind, reason, now);
  return { kind: 'waiting', reason };
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
