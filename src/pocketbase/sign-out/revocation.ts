import { boundedHead, MAX_PENDING_REVOCATIONS, MAX_REVOCATION_ATTEMPTS, REVOCATION_RUN_BUDGET_MS, REVOCATIONS_PER_RUN, revocationDone, tokenToRevoke, type PendingRevocation } from '../../core/sign-out/sign-out-rules.js';
import { REVOCATION_QUEUE_KEY, SIGN_OUT_COUNTS_KEY, type ActiveState } from '../../core/stores/state.js';
import { revokeToken } from '../checks/authelia-client.js';
import { logWarn } from '../log.js';
import { loadRevalidationSecrets, unseal, type RevalidationSecrets } from '../stores/token-secrets.js';
import { loadState } from '../stores/app-store.js';

/** Counts since the start, for the status page. */
export interface SignOutCounts {
  signOuts: number;
  revocationsDone: number;
  revocationsFailed: number;
  /** Pending revocations pushed out of a full queue (their tokens expire by themselves), per queue. */
  urgentRevocationsGivenUp: number;
  routineRevocationsGivenUp: number;
}

type Urgency = PendingRevocation['urgency'];

/** A full queue warns at most this often (per queue). */
const FULL_QUEUE_WARNING_INTERVAL_MS = 60_000;
type Sealed = { readonly accessToken: string; readonly refreshToken: string };

/**
 * Revokes one grant at Authelia now, from its sealed tokens. Never throws and
 * never blocks what the caller does on PocketBase's side: a failure is logged,
 * counted and queued for the revocation cron.
 */
export function revokeNow(app: CoreApp, sealed: Sealed): boolean {
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
 * Two queues, urgent (access taken away, a failed sign-out) drained first and
 * routine (tokens nobody holds any more, which anyone can produce by signing
 * in again and again), each bounded. One store key per grant, numbered: every
 * login appends one, so appending must not grow with the queue (one JSON list
 * rewritten per login cost milliseconds once a few hundred grants waited).
 */
export function queueRevocation(app: CoreApp, sealed: Sealed, urgency: Urgency, attempts = 0): void {
  if (sealed.accessToken === '' && sealed.refreshToken === '') return;
  const item: PendingRevocation = { accessToken: sealed.accessToken, refreshToken: sealed.refreshToken, attempts, urgency };
  const keys = queueKeys(urgency);
  let slot = 0;
  // Reserve the slot, then fill it (no other store key may be touched inside setFunc: it holds the store's lock).
  app.store().setFunc(keys.tail, (old: unknown) => {
    slot = counter(old);
    return slot + 1;
  });
  app.store().set(keys.slot(slot), JSON.stringify(item));
  const head = counter(app.store().get(keys.head));
  const kept = boundedHead(head, slot + 1);
  if (kept === head) return;
  let dropped = 0;
  let from = head;
  app.store().setFunc(keys.head, (old: unknown) => {
    from = counter(old);
    dropped = Math.max(0, kept - from); // counted from the head as it is, not as it was read
    return dropped > 0 ? kept : old;
  });
  if (dropped === 0) return;
  for (let slot = from; slot < kept; slot++) app.store().remove(keys.slot(slot));
  const givenUp = urgency === 'urgent' ? 'urgentRevocationsGivenUp' : 'routineRevocationsGivenUp';
  bump(app, givenUp, dropped);
  // At most one warning a minute per queue: a flood of logins must not also flood the log, and a
  // queue that stays full (Authelia refusing revocations) still warns again.
  const now = Date.now();
  let due = false;
  app.store().setFunc(keys.lastFullWarning, (old: unknown) => {
    due = typeof old !== 'number' || now - old >= FULL_QUEUE_WARNING_INTERVAL_MS;
    return due ? now : old;
  });
  if (due) logWarn(app, `the ${urgency} revocation queue is full (${MAX_PENDING_REVOCATIONS} grants): its oldest pending revocations are given up (those tokens expire by themselves); see revocation counts at GET /api/authelia/status`, 'givenUpSinceStart', counts(app.store().get(SIGN_OUT_COUNTS_KEY))[givenUp]);
}

/** The revocation cron: urgent grants first, a bounded number per run; failures go back with one more attempt. */
export function onRevocationCron(): void {
  drainRevocations($app);
}

export function drainRevocations(app: CoreApp): void {
  if (pendingCount(app, 'urgent') + pendingCount(app, 'routine') === 0) return; // the usual minute: nothing to do
  const state = loadState(app);
  const secrets = loadRevalidationSecrets(app);
  if (state?.status !== 'active' || !secrets) return; // kept until Authelia can be asked
  const started = Date.now();
  let outcome: BatchOutcome;
  do {
    const urgent = takeBatch(app, 'urgent', REVOCATIONS_PER_RUN);
    const batch = [...urgent, ...takeBatch(app, 'routine', REVOCATIONS_PER_RUN - urgent.length)];
    if (batch.length === 0) break;
    outcome = revokeBatch(app, state, secrets, batch);
    // A failure went back to the queue with one more attempt: the next try is next minute's run.
  } while (outcome === 'all-done' && Date.now() - started < REVOCATION_RUN_BUDGET_MS);
}

type BatchOutcome = 'all-done' | 'some-failed' | 'unreachable';

/** Revokes a batch in order; once Authelia stops answering, the rest goes back with no attempt spent. */
function revokeBatch(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, batch: readonly PendingRevocation[]): BatchOutcome {
  let outcome: BatchOutcome = 'all-done';
  for (const item of batch) {
    if (outcome === 'unreachable') {
      queueRevocation(app, item, item.urgency, item.attempts);
      continue;
    }
    const result = attempt(app, state, secrets, item);
    if (result === 'done') continue;
    outcome = result === 'unreachable' ? 'unreachable' : 'some-failed';
    if (item.attempts + 1 < MAX_REVOCATION_ATTEMPTS) queueRevocation(app, item, item.urgency, item.attempts + 1);
    else logWarn(app, 'gave up revoking an Authelia grant after repeated failures; its tokens expire by themselves', 'attempts', item.attempts + 1);
  }
  return outcome;
}

/**
 * Takes up to `limit` entries off the front of a queue, in order, up to the first slot not filled
 * yet (reserved a moment ago: next run). The head is claimed by compare-and-set; when a login
 * pushing out the oldest entry of a full queue (or another run) moved it meanwhile, read again.
 */
function takeBatch(app: CoreApp, urgency: Urgency, limit: number): PendingRevocation[] {
  const keys = queueKeys(urgency);
  for (let tries = 0; tries < 5; tries++) {
    const head = counter(app.store().get(keys.head));
    const tail = counter(app.store().get(keys.tail));
    const batch: PendingRevocation[] = [];
    let next = head;
    while (next < tail && batch.length < limit) {
      const raw: unknown = app.store().get(keys.slot(next));
      if (raw === undefined || raw === null) break;
      const item = parseItem(raw, urgency);
      if (item) batch.push(item);
      next++;
    }
    if (next === head) return [];
    let claimed = false;
    app.store().setFunc(keys.head, (old: unknown) => {
      claimed = counter(old) === head;
      return claimed ? next : old;
    });
    if (!claimed) continue;
    for (let slot = head; slot < next; slot++) app.store().remove(keys.slot(slot));
    return batch;
  }
  return []; // contended five times over: the next run takes them
}

export function countSignOut(app: CoreApp): void {
  bump(app, 'signOuts');
}

export function signOutCounts(app: CoreApp): SignOutCounts & { revocationsQueued: number } {
  return { ...counts(app.store().get(SIGN_OUT_COUNTS_KEY)), revocationsQueued: pendingCount(app, 'urgent') + pendingCount(app, 'routine') };
}

function attempt(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, sealed: Sealed): 'done' | 'failed' | 'unreachable' {
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

function bump(app: CoreApp, name: keyof SignOutCounts, by = 1): void {
  app.store().setFunc(SIGN_OUT_COUNTS_KEY, (old: unknown) => {
    const next = counts(old);
    next[name] += by;
    return JSON.stringify(next);
  });
}

function counts(raw: unknown): SignOutCounts {
  const parsed = parse(raw) as Partial<SignOutCounts> | undefined;
  return { signOuts: parsed?.signOuts ?? 0, revocationsDone: parsed?.revocationsDone ?? 0, revocationsFailed: parsed?.revocationsFailed ?? 0,
    urgentRevocationsGivenUp: parsed?.urgentRevocationsGivenUp ?? 0, routineRevocationsGivenUp: parsed?.routineRevocationsGivenUp ?? 0 };
}

function pendingCount(app: CoreApp, urgency: Urgency): number {
  const keys = queueKeys(urgency);
  return Math.max(0, counter(app.store().get(keys.tail)) - counter(app.store().get(keys.head)));
}

function queueKeys(urgency: Urgency): { readonly head: string; readonly tail: string; readonly lastFullWarning: string; slot(n: number): string } {
  const base = `${REVOCATION_QUEUE_KEY}.${urgency}`;
  return { head: `${base}.head`, tail: `${base}.tail`, lastFullWarning: `${base}.lastFullWarning`, slot: (n) => `${base}.${n}` };
}

function counter(raw: unknown): number {
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : 0;
}

function parseItem(raw: unknown, urgency: Urgency): PendingRevocation | undefined {
  const parsed = parse(raw) as Partial<PendingRevocation> | undefined;
  if (typeof parsed?.accessToken !== 'string' || typeof parsed.refreshToken !== 'string') return undefined;
  return { accessToken: parsed.accessToken, refreshToken: parsed.refreshToken, attempts: typeof parsed.attempts === 'number' ? parsed.attempts : 0, urgency };
}

function parse(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
