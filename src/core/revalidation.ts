/**
 * The rules of revalidation after the login, pure: what Authelia's answers
 * mean, when a record is due for a check, and what the sweep does with a
 * record. The adapter (src/pocketbase/revalidation-*.ts) does the I/O.
 */

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

/** The three outcomes a check can have, the same at auth-refresh and in the sweep. */
export type CheckOutcome =
  | { readonly kind: 'current'; readonly claims: Readonly<Record<string, unknown>> }
  | { readonly kind: 'gone'; readonly reason: string }
  | { readonly kind: 'undecided'; readonly reason: string };

/** What a token-endpoint answer to a refresh grant means. */
export type RefreshResult =
  | { readonly kind: 'tokens'; readonly accessToken: string; readonly refreshToken: string; readonly expiresInSeconds: number }
  /** `dropRefreshToken`: the token is unusable (invalid_grant), so keep no copy that a later check would present again. */
  | { readonly kind: 'undecided'; readonly reason: string; readonly dropRefreshToken: boolean };

/** When Authelia gives no `expires_in` (it always does), assume its default access-token lifespan. */
const DEFAULT_ACCESS_TOKEN_SECONDS = 3600;

/**
 * A refresh grant's answer. Authelia rotates refresh tokens: a success always
 * carries the next one, which the adapter stores before using the access token.
 * `invalid_grant` means "this token is unusable" (expired, reused, revoked), not
 * "the user was removed", so it is never a reason to take access away.
 */
export function classifyRefresh(answer: HttpAnswer): RefreshResult {
  if ('failure' in answer) return { kind: 'undecided', reason: `Authelia's token endpoint could not be reached (${answer.failure})`, dropRefreshToken: false };
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
  if (error === 'invalid_grant') {
    return { kind: 'undecided', reason: 'the stored refresh token is no longer usable (invalid_grant)', dropRefreshToken: true };
  }
  return { kind: 'undecided', reason: `Authelia's token endpoint answered HTTP ${answer.status}${error ? ` ${error}` : ''}`, dropRefreshToken: false };
}

/**
 * A userinfo answer to an access token we hold as valid. Authelia answers a
 * removed or disabled user with 200 and no identity claims, or with 401 for the
 * token: both mean the user is gone. `expectedSubject` guards against a token
 * that somehow belongs to another account.
 */
export function classifyUserinfo(answer: HttpAnswer, expectedSubject: string): CheckOutcome {
  if ('failure' in answer) return { kind: 'undecided', reason: `Authelia's userinfo endpoint could not be reached (${answer.failure})` };
  if (answer.status === 401) return { kind: 'gone', reason: 'Authelia refused the access token at userinfo (401): the user was removed or disabled, or the grant revoked' };
  if (answer.status !== 200) return { kind: 'undecided', reason: `Authelia's userinfo endpoint answered HTTP ${answer.status}` };
  const claims = asObject(answer.body);
  if (!claims) return { kind: 'undecided', reason: "Authelia's userinfo answer is not a JSON object" };
  if (!hasText(claims['preferred_username']) && !hasText(claims['email'])) {
    return { kind: 'gone', reason: 'Authelia answered userinfo without identity claims: the user was removed or disabled' };
  }
  if (expectedSubject !== '' && claims['sub'] !== expectedSubject) {
    return { kind: 'gone', reason: 'Authelia answered userinfo for another subject than the linked account' };
  }
  return { kind: 'current', claims };
}

/** What is stored for one record, in milliseconds since the epoch; the tokens only as presence. */
export interface VaultEntry {
  readonly hasAccessToken: boolean;
  readonly hasRefreshToken: boolean;
  readonly accessExpiresAt: number;
  /** The last check (or login) that reached Authelia and got current claims. */
  readonly checkedAt: number;
  /** Whether the sessions were already ended for the current state (ended once, not at every sweep). */
  readonly sessionsEnded: boolean;
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

/** How an auth-refresh ends after a check. */
export type RefreshVerdict = 'answer' | 'refuse-gone' | 'refuse-expired';

export function refreshVerdict(outcome: CheckOutcome['kind'] | 'busy', entry: Pick<VaultEntry, 'checkedAt'>, now: number, settings: RevalidationSettings): RefreshVerdict {
  if (outcome === 'gone') return 'refuse-gone';
  if (outcome === 'current') return 'answer';
  // Cannot tell (or another check of this record is running): allowed until the bound.
  return pastMaxSession(entry, now, settings) ? 'refuse-expired' : 'answer';
}

/** What the sweep does with one Authelia-linked record. */
export type SweepAction = 'check' | 'end-sessions' | 'skip';

/**
 * Every record with a usable token is checked, whatever its last check time:
 * that is what bounds a removed user's access by one sweep interval. A record
 * without one can only run out its AUTHELIA_MAX_SESSION; its sessions are
 * ended once.
 */
export function sweepAction(entry: VaultEntry, now: number, settings: RevalidationSettings): SweepAction {
  if (hasUsableToken(entry, now)) return 'check';
  if (pastMaxSession(entry, now, settings) && !entry.sessionsEnded) return 'end-sessions';
  return 'skip';
}

/** How much one sweep run may do; the rest waits for the next run (least recently attempted first). */
export interface SweepBudget {
  readonly maxRecords: number;
  readonly maxMilliseconds: number;
}

/**
 * A run's time budget: well inside the interval of the fastest schedule (one
 * minute), so that runs never overlap, and a batch size that keeps one run's
 * database work small.
 */
export const SWEEP_BUDGET: SweepBudget = { maxRecords: 500, maxMilliseconds: 30_000 };

/** Whether the run may start on another record. */
export function sweepMayContinue(done: number, startedAt: number, now: number, budget: SweepBudget): boolean {
  return done < budget.maxRecords && now - startedAt < budget.maxMilliseconds;
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
}

export function noCounts(): SweepCounts {
  return { checked: 0, updated: 0, ended: 0, undecided: 0 };
}

function asObject(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function hasText(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}
