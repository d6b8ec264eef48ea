import type { ProviderSlot } from '../boot/variables.js';
import type { Endpoints } from '../boot/discovery-rules.js';
import type { ConfigIssue } from '../boot/errors.js';
import type { LoginSettings } from '../login/login-decision.js';
import type { RevalidationSettings } from '../checks/revalidation.js';

/**
 * What boot decided, handed to the login, guard and auth-methods handlers.
 * Handlers run in other JS runtimes than boot, so this travels as JSON through
 * PocketBase's app store; it never holds the client secret.
 */
export type ExtensionState =
  | { readonly status: 'disabled'; readonly maxSessionSeconds: number }
  | { readonly status: 'invalid'; readonly issues: readonly ConfigIssue[]; readonly maxSessionSeconds: number }
  | ActiveState;

export interface ActiveState {
  readonly status: 'active';
  readonly issuer: string;
  readonly clientId: string;
  readonly displayName: string;
  readonly collectionId: string;
  readonly collectionName: string;
  readonly provider: ProviderSlot;
  readonly scopes: readonly string[];
  readonly pkce: boolean;
  readonly login: LoginSettings;
  readonly endpoints: Endpoints;
  readonly discovery: DiscoveryOutcome;
  /** Checks with Authelia after the login (auth-refresh and the sweep). */
  readonly revalidation: RevalidationSettings;
  /** Authelia's portal sign-out page (with AUTHELIA_SIGN_OUT_REDIRECT as `rd`), for the sign-out endpoints' answer. */
  readonly signOutURL: string;
  /** AUTHELIA_STRICT: also refuse logins that show Authelia misconfigured (see src/pocketbase/login/token-lifespan.ts). */
  readonly strict: boolean;
}

/** What happened to the discovery document at boot, for the operator status page. */
export interface DiscoveryOutcome {
  /** `null` when no document was read (Authelia unreachable or not JSON). */
  readonly issuerMatched: boolean | null;
  /** Why the fixed paths were used; absent when discovery worked. */
  readonly problem?: string;
}

/** The most recent login that did not go cleanly (a refusal or a dropped claim), for the status page. */
export interface LoginProblem {
  readonly at: string;
  readonly sub: string;
  readonly message: string;
}

export const STATE_STORE_KEY = 'pocketbase-authelia.state';
/** App-store key of the tags this process's record hooks carry (see hook-tags.ts). */
export const HOOK_TAGS_STORE_KEY = 'pocketbase-authelia.hookTags';
/** App-store key of the guards every boot publishes (see guards.ts). */
export const GUARDS_STORE_KEY = 'pocketbase-authelia.guards';
export const LOGIN_PROBLEM_STORE_KEY = 'pocketbase-authelia.lastLoginProblem';
/** App-store key prefix for the Authelia subject a record was last checked against. */
export const CHECKED_SUBJECT_KEY_PREFIX = 'pocketbase-authelia.subject.';
/** Request-event key that carries a login's managed values to the record-create hook. */
export const PENDING_VALUES_KEY = 'pocketbase-authelia.pendingValues';
/** App-store key of the vault's encryption key and the client secret a check authenticates with (memory only, never the database). */
export const REVALIDATION_SECRETS_KEY = 'pocketbase-authelia.revalidationSecrets';
/** App-store key of the last sweep run's time and counts, for the status page. */
export const LAST_SWEEP_KEY = 'pocketbase-authelia.lastSweep';
/** App-store key prefix: a record's last successful check (ms), or -1 for a record not linked to Authelia; saves auth-refresh a query. */
export const CHECKED_AT_KEY_PREFIX = 'pocketbase-authelia.checkedAt.';
/** App-store key prefix: a record's session horizon as this process last wrote it (ms); saves an auth response a write. */
export const SESSION_UNTIL_KEY_PREFIX = 'pocketbase-authelia.sessionUntil.';
/** App-store key held while a sweep run works (its start, ms): runs never overlap. */
export const SWEEP_RUNNING_KEY = 'pocketbase-authelia.sweepRunning';
/** An outage of Authelia or of its user backend, while one lasts (see src/pocketbase/checks/outage.ts). */
export const OUTAGE_KEY = 'pocketbase-authelia.outage';
/** App-store key prefix of the Authelia grants still to revoke (sealed), one numbered key each plus `.head`/`.tail` counters; drained by a cron. */
export const REVOCATION_QUEUE_KEY = 'pocketbase-authelia.revocationQueue';
/** Counts of sign-outs and revocations since the start, for the status page. */
export const SIGN_OUT_COUNTS_KEY = 'pocketbase-authelia.signOutCounts';
/** App-store key prefix: the mark of a record's last clean login (see src/core/login/fast-path-rules.ts). */
export const LOGIN_MARK_KEY_PREFIX = 'pocketbase-authelia.loginMark.';
/** App-store key: a counter bumped by every change or deletion of a record outside the auth collection (group records). */
export const GROUPS_GENERATION_KEY = 'pocketbase-authelia.groupsGeneration';
/** App-store key prefix of a login's go-ahead to replace a record's Authelia link (src/pocketbase/login/relink.ts), per record and new subject. */
export const RELINK_APPROVAL_KEY_PREFIX = 'pocketbase-authelia.relink.';
/** Relinks since the start and the current burst of them, for the status page. */
export const RELINKS_KEY = 'pocketbase-authelia.relinks';
