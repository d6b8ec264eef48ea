import { enqueueRevocation, MAX_REVOCATION_ATTEMPTS, REVOCATIONS_PER_RUN, revocationDone, tokenToRevoke, type PendingRevocation } from '../core/sign-out.js';
import { REVOCATION_QUEUE_KEY, SIGN_OUT_COUNTS_KEY, type ActiveState } from '../core/state.js';
import { revokeToken } from './authelia-client.js';
import { logWarn } from './log.js';
import { loadRevalidationSecrets, unseal, type RevalidationSecrets } from './revalidation-secrets.js';
import { loadState } from './state-store.js';

/** Counts since the start, for the status page. */
export interface SignOutCounts {
  signOuts: number;
  revocationsDone: number;
  revocationsFailed: number;
}

/**
 * Revokes one grant at Authelia now, from its sealed tokens. Never throws and
 * never blocks what the caller does on PocketBase's side: a failure is logged,
 * counted and queued for the revocation cron.
 */
export function revokeNow(app: CoreApp, sealed: { readonly accessToken: string; readonly refreshToken: string }): boolean {
  const state = loadState(app);
  const secrets = loadRevalidationSecrets(app);
  if (state?.status !== 'active' || !secrets) {
    queueRevocation(app, sealed, 'urgent');
    return false;
  }
  const done = attempt(app, state, secrets, sealed) === 'done';
  if (!done) queueRevocation(app, sealed, 'urgent');
  return done;
}

/**
 * Leaves the revocation to the cron: for paths that must not wait on Authelia
 * (a login replacing the previous grant's tokens) or already ended access.
 */
export function queueRevocation(app: CoreApp, sealed: { readonly accessToken: string; readonly refreshToken: string }, urgency: PendingRevocation['urgency'], attempts = 0): void {
  if (sealed.accessToken === '' && sealed.refreshToken === '') return;
  const item: PendingRevocation = { accessToken: sealed.accessToken, refreshToken: sealed.refreshToken, attempts, urgency };
  let dropped = false;
  app.store().setFunc(REVOCATION_QUEUE_KEY, (old: unknown) => {
    const next = enqueueRevocation(pending(old), item);
    dropped = next.dropped;
    return JSON.stringify(next.queue);
  });
  if (dropped) logWarn(app, 'the revocation queue is full: gave up the oldest pending revocation (routine ones first); those tokens expire by themselves');
}

/** The revocation cron: a few queued grants per run; failures go back with one more attempt. */
export function onRevocationCron(): void {
  drainRevocations($app);
}

export function drainRevocations(app: CoreApp): void {
  if (pending(app.store().get(REVOCATION_QUEUE_KEY)).length === 0) return; // the usual minute: nothing to do
  const state = loadState(app);
  const secrets = loadRevalidationSecrets(app);
  if (state?.status !== 'active' || !secrets) return; // kept until Authelia can be asked
  let batch: PendingRevocation[] = [];
  app.store().setFunc(REVOCATION_QUEUE_KEY, (old: unknown) => {
    const all = pending(old);
    batch = all.slice(0, REVOCATIONS_PER_RUN);
    return JSON.stringify(all.slice(REVOCATIONS_PER_RUN));
  });
  let unreachable = false;
  for (const item of batch) {
    if (unreachable) {
      // Authelia stopped answering: the rest waits for the next run, no attempt spent.
      queueRevocation(app, item, item.urgency, item.attempts);
      continue;
    }
    const result = attempt(app, state, secrets, item);
    if (result === 'done') continue;
    unreachable = result === 'unreachable';
    if (item.attempts + 1 < MAX_REVOCATION_ATTEMPTS) queueRevocation(app, item, item.urgency, item.attempts + 1);
    else logWarn(app, 'gave up revoking an Authelia grant after repeated failures; its tokens expire by themselves', 'attempts', item.attempts + 1);
  }
}

export function countSignOut(app: CoreApp): void {
  bump(app, 'signOuts');
}

export function signOutCounts(app: CoreApp): SignOutCounts & { revocationsQueued: number } {
  return { ...counts(app.store().get(SIGN_OUT_COUNTS_KEY)), revocationsQueued: pending(app.store().get(REVOCATION_QUEUE_KEY)).length };
}

function attempt(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, sealed: { readonly accessToken: string; readonly refreshToken: string }): 'done' | 'failed' | 'unreachable' {
  const accessToken = unseal(secrets, sealed.accessToken);
  const refreshToken = unseal(secrets, sealed.refreshToken);
  // Unreadable under this key: nobody can use them either (the key is not in the database).
  if (accessToken === undefined || refreshToken === undefined) return 'done';
  const target = tokenToRevoke({ accessToken, refreshToken });
  if (!target) return 'done';
  const answer = revokeToken(state, secrets.clientSecret, target.token, target.hint);
  const done = revocationDone(answer);
  bump(app, done ? 'revocationsDone' : 'revocationsFailed');
  if (done) return 'done';
  logWarn(app, 'Authelia did not revoke a grant; retried by the revocation job', 'reason', 'failure' in answer ? answer.failure : `HTTP ${answer.status}`);
  return 'failure' in answer ? 'unreachable' : 'failed';
}

function bump(app: CoreApp, name: keyof SignOutCounts): void {
  app.store().setFunc(SIGN_OUT_COUNTS_KEY, (old: unknown) => {
    const next = counts(old);
    next[name]++;
    return JSON.stringify(next);
  });
}

function counts(raw: unknown): SignOutCounts {
  const parsed = parse(raw) as Partial<SignOutCounts> | undefined;
  return { signOuts: parsed?.signOuts ?? 0, revocationsDone: parsed?.revocationsDone ?? 0, revocationsFailed: parsed?.revocationsFailed ?? 0 };
}

function pending(raw: unknown): PendingRevocation[] {
  const parsed = parse(raw);
  return Array.isArray(parsed) ? (parsed as PendingRevocation[]) : [];
}

function parse(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
