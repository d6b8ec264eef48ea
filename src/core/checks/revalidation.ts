/**
 * The rules of revalidation after the login, pure: what Authelia's answers
 * mean, when a record is due for a check, and what the sweep does with a
 * record. The adapter (src/pocketbase/checks/) does the I/O.
 */

import { isNormalUserinfo } from '../login/userinfo-lookup.js';

/** Settings that travel in the extension state (no secret). Seconds. */
export interface RevalidationSettings {
  /** `0`: auth-refresh never asks Authelia. */
  readonly revalidateAfterSeconds: number;
  readonly maxSessionSeconds: number;
  /** Cron expression, or `null` when the sweep is off. */
  readonly sweep: string | null;
}

/** One HTTP exchange as the adapter saw it; `failure` when no answer came (refused, timeout, DNS). */
export type HttpAnswer =
  | { readonly status: number; readonly body: unknown }
  | { readonly failure: string };

/**
 * What one check learned. `suspect`: Authelia answered without looking the
 * user up (its fallback), which a removal and a user-backend outage share, so
 * the caller needs evidence that Authelia works before believing it.
 * `unreachable`: no answer at all (refused, timeout, a proxy's 502/503/504),
 * an outage rather than a matter of this record.
 */
export type CheckOutcome =
  | { readonly kind: 'current'; readonly claims: Readonly<Record<string, unknown>> }
  | { readonly kind: 'gone'; readonly reason: string }
  | { readonly kind: 'suspect'; readonly reason: string }
  | { readonly kind: 'undecided'; readonly reason: string }
  | { readonly kind: 'unreachable'; readonly reason: string };

/** What a token-endpoint answer to a refresh grant means. */
export type RefreshResult =
  | { readonly kind: 'tokens'; readonly accessToken: string; readonly refreshToken: string; readonly expiresInSeconds: number }
  /** `dropRefreshToken`: the token is unusable (invalid_grant), so keep no copy that a later check would present again. */
  | { readonly kind: 'undecided'; readonly reason: string; readonly dropRefreshToken: boolean }
  | { readonly kind: 'unreachable'; readonly reason: string };

/** When Authelia gives no `expires_in` (it always does), assume its default access-token lifespan. */
const DEFAULT_ACCESS_TOKEN_SECONDS = 3600;

/** A reverse proxy's answers for an Authelia that is down or restarting: an outage, not a verdict. */
const PROXY_OUTAGE_STATUSES = new Set([502, 503, 504]);

/**
 * Answers of Authelia's refresh flow that say "this token is dead", never
 * "the user was removed" (the refresh grant never looks the user up): a reused
 * or revoked token (`invalid_grant`), and `invalid_request`, which Authelia
 * gives for concurrent use of one token and its library also for reuse.
 */
const DEAD_REFRESH_TOKEN_ERRORS = new Set(['invalid_grant', 'invalid_request']);

/**
 * A refresh grant's answer. Authelia rotates refresh tokens: a success always
 * carries the next one, which the adapter stores before using the access token.
 */
export function classifyRefresh(answer: HttpAnswer): RefreshResult {
  if ('failure' in answer) return { kind: 'unreachable', reason: `Authelia's token endpoint could not be reached (${answer.failure})` };
  if (PROXY_OUTAGE_STATUSES.has(answer.status)) return { kind: 'unreachable', reason: `Authelia's token endpoint answered HTTP ${answer.status}` };
  const body = asObject(answer.body);
  if (answer.status === 200) {
    const accessToken = body?.['access_token'];
    if (typeof accessToken !== 'string' || accessToken === '') {
      return { kind: 'undecided', reason: "Authelia's token endpoint answered 200 without an access token", dropRefreshToken: false };
    }
    const refreshToken = typeof body?.['refresh_token'] === 'string' ? body['refresh_token'] : '';
    const expiresIn = body?.['expires_in'];
    const expiresInSeconds = typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : DEFAULT_ACCESS_TOKEN_SECONDS;
    return { kind: 'tokens', accessToken, refreshToken, expiresInSeconds };
  }
  const error = typeof body?.['error'] === 'string' ? body['error'] : '';
  if (DEAD_REFRESH_TOKEN_ERRORS.has(error)) {
    return { kind: 'undecided', reason: `the stored refresh token is no longer usable (${error}); a token matter, never a removal`, dropRefreshToken: true };
  }
  return { kind: 'undecided', reason: `Authelia's token endpoint answered HTTP ${answer.status}${error ? ` ${error}` : ''}`, dropRefreshToken: false };
}

/**
 * What a userinfo answer says. 401 is about the token (expired, revoked,
 * rotated away, Authelia redeployed), never about the user: the adapter then
 * tries the refresh token. A 200 without a lookup (`suspect`) is the same for
 * a removed user and for an outage of the user backend.
 */
export type UserinfoReading = CheckOutcome | { readonly kind: 'token-refused'; readonly reason: string };

export function readUserinfo(answer: HttpAnswer, expectedSubject: string): UserinfoReading {
  if ('failure' in answer) return { kind: 'unreachable', reason: `Authelia's userinfo endpoint could not be reached (${answer.failure})` };
  if (PROXY_OUTAGE_STATUSES.has(answer.status)) return { kind: 'unreachable', reason: `Authelia's userinfo endpoint answered HTTP ${answer.status}` };
  if (answer.status === 401) {
    const error = asObject(answer.body)?.['error'];
    return { kind: 'token-refused', reason: `Authelia refused the access token at userinfo (401${typeof error === 'string' ? ` ${error}` : ''}): a token matter, never a removal` };
  }
  if (answer.status !== 200) return { kind: 'undecided', reason: `Authelia's userinfo endpoint answered HTTP ${answer.status}` };
  const claims = asObject(answer.body);
  if (!claims) return { kind: 'undecided', reason: "Authelia's userinfo answer is not a JSON object" };
  if (expectedSubject !== '' && claims['sub'] !== expectedSubject) {
    return { kind: 'gone', reason: 'Authelia answered userinfo for another subject than the linked account' };
  }
  if (!isNormalUserinfo(claims)) {
    return { kind: 'suspect', reason: 'Authelia answered userinfo without looking the user up: the user was removed or disabled, or its user backend is down' };
  }
  return { kind: 'current', claims };
}

/**
 * What other linked records said about Authelia right now, asked with their
 * live access tokens: `works`, one was answered normally; `silent`, some were
 * asked and none was; `lone`, no other linked record holds a live access
 * token; `unreachable`, Authelia did not answer.
 */
export type BackendEvidence = 'works' | 'silent' | 'lone' | 'unreachable';

/**
 * A fallback answer ends access only while Authelia demonstrably works: another
 * record answered normally at that moment, or there is nobody else to ask (one
 * record cannot be a mass outage). Otherwise nobody can tell.
 */
export function believeFallback(evidence: BackendEvidence): boolean {
  return evidence === 'works' || evidence === 'lone';
}

/** How many other records one suspicious answer may ask about: a few, so an outage costs little. */
export const MAX_PEERS_ASKED = 3;

/** What is stored for one record, in milliseconds since the epoch; the tokens only as presence. */
export interface VaultEntry {
  readonly hasAccessToken: boolean;
  readonly hasRefreshToken: boolean;
  readonly accessExpiresAt: number;
  /** The last check (or login) that reached Authelia and got current claims. */
  readonly checkedAt: number;
  /** Whether the sessions were already ended for the current state (ended once, not at every sweep). */
  readonly sessionsEnded: boolean;
  /**
   * No PocketBase auth token of the record can be valid after this moment: the
   * latest expiry among the tokens PocketBase handed out for it, plus a margin
   * (see sessionHorizon). Records linked before this was kept get a horizon of
   * the longest token lifetime from when they were first seen.
   */
  readonly sessionUntil: number;
}

/** PocketBase's OAuth2 client treats a token as expired 10 s early; a check does the same, so a token never expires in flight. */
export const ACCESS_TOKEN_MARGIN_MS = 10_000;

export function accessTokenUsable(entry: VaultEntry, now: number): boolean {
  return entry.hasAccessToken && entry.accessExpiresAt - ACCESS_TOKEN_MARGIN_MS > now;
}

/** A token a check can use: a live access token, or a refresh token to get one. */
export function hasUsableToken(entry: VaultEntry, now: number): boolean {
  return accessTokenUsable(entry, now) || entry.hasRefreshToken;
}

export function pastMaxSession(entry: Pick<VaultEntry, 'checkedAt'>, now: number, settings: RevalidationSettings): boolean {
  return now - entry.checkedAt >= settings.maxSessionSeconds * 1000;
}

/**
 * Whether an auth-refresh must ask Authelia before answering. Within
 * AUTHELIA_REVALIDATE_AFTER nothing is sent; a session past AUTHELIA_MAX_SESSION
 * is checked even when that is set shorter than the revalidation interval.
 */
export function dueAtRefresh(entry: Pick<VaultEntry, 'checkedAt'>, now: number, settings: RevalidationSettings): boolean {
  if (settings.revalidateAfterSeconds === 0) return false;
  const after = Math.min(settings.revalidateAfterSeconds, settings.maxSessionSeconds) * 1000;
  return now - entry.checkedAt >= after;
}

/** However often a client refreshes, a record whose last check could not tell is asked again at most this often. */
export const MAX_RETRY_INTERVAL_MS = 30_000;

/**
 * Whether a due auth-refresh may ask Authelia now. A check that could not tell
 * leaves the record due, so without this a client calling auth-refresh in a
 * loop would make every call ask Authelia (and, for a suspicious answer, other
 * records too): after an attempt, the next waits AUTHELIA_REVALIDATE_AFTER,
 * at most 30 seconds. Meanwhile the session bound decides.
 */
export function mayAskAgain(entry: Pick<VaultEntry, 'checkedAt'> & { readonly attemptedAt: number }, now: number, settings: RevalidationSettings): boolean {
  if (entry.attemptedAt <= entry.checkedAt) return true;
  return now - entry.attemptedAt >= Math.min(settings.revalidateAfterSeconds * 1000, MAX_RETRY_INTERVAL_MS);
}

/** How an auth-refresh ends after a check. */
export type RefreshVerdict = 'answer' | 'refuse-gone' | 'refuse-expired';

export function refreshVerdict(outcome: CheckOutcome['kind'] | 'waiting' | 'busy', entry: Pick<VaultEntry, 'checkedAt'>, now: number, settings: RevalidationSettings): RefreshVerdict {
  if (outcome === 'gone') return 'refuse-gone';
  if (outcome === 'current') return 'answer';
  // Cannot tell (or another check of this record is running): allowed until the bound.
  return pastMaxSession(entry, now, settings) ? 'refuse-expired' : 'answer';
}

/**
 * Whether a PocketBase session of the record may still be used: one of its
 * auth tokens has not expired yet, or a realtime connection is signed in as it
 * (PocketBase keeps a connection's auth however long the connection lives).
 * Only then is Authelia asked about the record: a session nobody can use any
 * more needs no check, and its grant no refresh.
 */
export function sessionsMayBeAlive(entry: Pick<VaultEntry, 'sessionUntil'>, now: number, connected = false): boolean {
  return connected || entry.sessionUntil > now;
}

/** The margin added to a token's expiry: an eighth of its lifetime, at most a day, so most renewals write nothing. */
export const SESSION_MARGIN_SHARE = 1 / 8;
export const MAX_SESSION_MARGIN_MS = 86_400_000;

/**
 * What to store for a token that expires at `expiresAt` after living `lifetimeMs`: never earlier
 * than the token. Whole milliseconds: the column is an INTEGER, and a fraction would be stored as a
 * REAL that the sweep's row reader refuses.
 */
export function sessionHorizon(expiresAt: number, lifetimeMs: number): number {
  return Math.ceil(expiresAt + Math.min(Math.max(lifetimeMs, 0) * SESSION_MARGIN_SHARE, MAX_SESSION_MARGIN_MS));
}

/** What the sweep does with one Authelia-linked record. */
export type SweepAction = 'check' | 'end-sessions' | 'skip';

/**
 * Every record with a usable token and a session that may still be alive is
 * checked, whatever its last check time: that is what bounds a removed user's
 * access by one sweep interval. A record without a usable token can only run
 * out its AUTHELIA_MAX_SESSION; its sessions are ended once. A record none of
 * whose sessions can be alive is left alone: nobody holds access to take away.
 */
export function sweepAction(entry: VaultEntry, now: number, settings: RevalidationSettings, connected = false): SweepAction {
  if (!sessionsMayBeAlive(entry, now, connected)) return 'skip';
  if (hasUsableToken(entry, now)) return 'check';
  if (pastMaxSession(entry, now, settings) && !entry.sessionsEnded) return 'end-sessions';
  return 'skip';
}

/** The counts a sweep run logs and the status endpoint shows. */
export interface SweepCounts {
  /** Records whose check reached a verdict or not (every `check` action). */
  checked: number;
  /** Checks that changed the record (groups, membership, roles or profile). */
  updated: number;
  /** Records whose sessions were ended: gone or refused, or past AUTHELIA_MAX_SESSION. */
  ended: number;
  /** Checks that could not tell (Authelia unreachable, no usable token, invalid_grant...). */
  undecided: number;
  /** Of those, answers without a lookup while nobody was answered normally: they wait for Authelia's user backend. */
  waiting: number;
  /** Records whose handling failed with an error (logged with the record id); the run went on. */
  failed: number;
}

export function noCounts(): SweepCounts {
  return { checked: 0, updated: 0, ended: 0, undecided: 0, waiting: 0, failed: 0 };
}

function asObject(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function hasText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
