import { MAX_REVOCATION_ATTEMPTS, REVOCATIONS_PER_RUN, revocationDone, tokenToRevoke, type PendingRevocation } from '../core/sign-out.js';
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
    queueRevocation(app, sealed);
    return false;
  }
  const done = attempt(app, state, secrets, sealed);
  if (!done) queueRevocation(app, sealed);
  return done;
}

/**
 * Leaves the revocation to the cron: for paths that must not wait on Authelia
 * (a login replacing the previous grant's tokens) or already ended access.
 * One store key per grant, numbered: every login appends one, so appending
 * must not grow with the queue (one JSON list rewritten per login cost
 * milliseconds once a few hundred grants waited between two cron runs).
 */
export function queueRevocation(app: CoreApp, sealed: { readonly accessToken: string; readonly refreshToken: string }, attempts = 0): void {
  if (sealed.accessToken === '' && sealed.refreshToken === '') return;
  const item: PendingRevocation = { accessToken: sealed.accessToken, refreshToken: sealed.refreshToken, attempts };
  let slot = 0;
  // Reserve the slot, then fill it (no other store key may be touched inside setFunc: it holds the store's lock).
  app.store().setFunc(QUEUE_TAIL_KEY, (old: unknown) => {
    slot = counter(old);
    return slot + 1;
  });
  app.store().set(slotKey(slot), JSON.stringify(item));
}

/** The revocation cron: a few queued grants per run; failures go back with one more attempt. */
export function onRevocationCron(): void {
  drainRevocations($app);
}

export function drainRevocations(app: CoreApp): void {
  const head = counter(app.store().get(QUEUE_HEAD_KEY));
  const tail = counter(app.store().get(QUEUE_TAIL_KEY));
  if (head >= tail) return; // the usual minute: nothing to do
  const state = loadState(app);
  const secrets = loadRevalidationSecrets(app);
  if (state?.status !== 'active' || !secrets) return; // kept until Authelia can be asked
  // Slots in order up to the first not filled yet (reserved by a login a moment ago: next run).
  const batch: PendingRevocation[] = [];
  let next = head;
  while (next < tail && batch.length < REVOCATIONS_PER_RUN) {
    const raw: unknown = app.store().get(slotKey(next));
    if (raw === undefined || raw === null) break;
    const item = parseItem(raw);
    if (item) batch.push(item);
    next++;
  }
  let claimed = false;
  app.store().setFunc(QUEUE_HEAD_KEY, (old: unknown) => {
    claimed = counter(old) === head; // another run took them meanwhile
    return claimed ? next : old;
  });
  if (!claimed) return;
  for (let slot = head; slot < next; slot++) app.store().remove(slotKey(slot));
  for (const item of batch) {
    if (attempt(app, state, secrets, item)) continue;
    if (item.attempts + 1 < MAX_REVOCATION_ATTEMPTS) queueRevocation(app, item, item.attempts + 1);
    else logWarn(app, 'gave up revoking an Authelia grant after repeated failures; its tokens expire by themselves', 'attempts', item.attempts + 1);
  }
}

export function countSignOut(app: CoreApp): void {
  bump(app, 'signOuts');
}

export function signOutCounts(app: CoreApp): SignOutCounts & { revocationsQueued: number } {
  return { ...counts(app.store().get(SIGN_OUT_COUNTS_KEY)), revocationsQueued: Math.max(0, counter(app.store().get(QUEUE_TAIL_KEY)) - counter(app.store().get(QUEUE_HEAD_KEY))) };
}

function attempt(app: CoreApp, state: ActiveState, secrets: RevalidationSecrets, sealed: { readonly accessToken: string; readonly refreshToken: string }): boolean {
  const accessToken = unseal(secrets, sealed.accessToken);
  const refreshToken = unseal(secrets, sealed.refreshToken);
  // Unreadable under this key: nobody can use them either (the key is not in the database).
  if (accessToken === undefined || refreshToken === undefined) return true;
  const target = tokenToRevoke({ accessToken, refreshToken });
  if (!target) return true;
  const answer = revokeToken(state, secrets.clientSecret, target.token, target.hint);
  const done = revocationDone(answer);
  bump(app, done ? 'revocationsDone' : 'revocationsFailed');
  if (!done) {
    logWarn(app, 'Authelia did not revoke a grant; retried by the revocation job', 'reason',
      'failure' in answer ? answer.failure : `HTTP ${answer.status}`);
  }
  return done;
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

const QUEUE_HEAD_KEY = `${REVOCATION_QUEUE_KEY}.head`;
const QUEUE_TAIL_KEY = `${REVOCATION_QUEUE_KEY}.tail`;

function slotKey(slot: number): string {
  return `${REVOCATION_QUEUE_KEY}.${slot}`;
}

function counter(raw: unknown): number {
  return typeof raw === 'number' && Number.isFinite(raw) ? raw : 0;
}

function parseItem(raw: unknown): PendingRevocation | undefined {
  const parsed = parse(raw) as Partial<PendingRevocation> | undefined;
  if (typeof parsed?.accessToken !== 'string' || typeof parsed.refreshToken !== 'string') return undefined;
  return { accessToken: parsed.accessToken, refreshToken: parsed.refreshToken, attempts: typeof parsed.attempts === 'number' ? parsed.attempts : 0 };
}

function parse(raw: unknown): unknown {
  if (typeof raw !== 'string') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
