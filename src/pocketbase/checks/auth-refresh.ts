import { dueAtRefresh, mayAskAgain, pastMaxSession, refreshVerdict } from '../../core/checks/revalidation.js';
import { ACCESS_ACTIONS } from './access-actions.js';
import { logInfo, logWarn } from '../log.js';
import { checkRecord, endSessions, type CheckResult } from './check.js';
import { loadState } from '../stores/app-store.js';
import { EXPIRED_MESSAGE, GONE_MESSAGE, refuseStaleRefresh } from './bound-without-authelia.js';
import { adoptLinkedRecords, linkedRow, noteIssuedToken, rememberCheckedAt, rememberedCheckedAt, rememberUnlinked, storedCheck } from '../stores/token-vault.js';
import { revokeAccess } from '../login/access.js';
import { loadGuards } from '../stores/registry-store.js';
import type { ActiveState } from '../../core/stores/state.js';
import { currentOutage } from './outage.js';

/**
 * `auth-refresh` of the collection. PocketBase would renew the token for ever;
 * for an Authelia-linked record whose last successful check is older than
 * AUTHELIA_REVALIDATE_AFTER, Authelia is asked first. Within the interval
 * nothing is sent and, once the record is known to this process, nothing is
 * queried: about the cost of PocketBase's own refresh.
 */
export function onAuthRefresh(e: core.RecordAuthRefreshRequestEvent): void {
  const state = loadState(e.app);
  const record = e.record;
  // The token this refresh hands out keeps a session alive: the sweep goes on checking the record.
  // (A refused refresh hands out nothing; having noted it costs nothing.) Local accounts: no row.
  if (record && rememberedCheckedAt(e.app, record.id) !== -1) noteIssuedToken(e.app, record, Date.now());
  if (state && state.status !== 'active' && record) {
    refuseStaleRefresh(e.app, state, record);
    e.next();
    return;
  }
  if (state?.status !== 'active' || state.revalidation.revalidateAfterSeconds === 0 || !record || !managedCollection(e.app, state, e.collection?.id)) {
    e.next();
    return;
  }
  const now = Date.now();
  // The common refresh: known in memory, local or checked recently. No query at all.
  const remembered = rememberedCheckedAt(e.app, record.id);
  if (remembered !== undefined && (remembered < 0 || !dueAtRefresh({ checkedAt: remembered }, now, state.revalidation))) {
    e.next();
    return;
  }
  const row = linkedRow(e.app, state, record.id);
  if (!row) {
    if (storedCheck(e.app, record.id)) {
      // Tokens were kept, so this record signed in with Authelia; its link is gone
      // (removed outside PocketBase's API): nothing vouches for its groups any more.
      revokeAccess(e.app, record, 'its Authelia link is gone'); // its stored tokens go too, their grant revoked
      throw new UnauthorizedError(GONE_MESSAGE);
    }
    rememberUnlinked(e.app, record.id, remembered); // a local account: Authelia knows nothing of it
    e.next();
    return;
  }
  if (!row.stored) {
    adoptLinkedRecords(e.app, state, now, record.id);
    rememberCheckedAt(e.app, record.id, now);
    e.next();
    return;
  }
  rememberCheckedAt(e.app, record.id, row.checkedAt);
  if (!dueAtRefresh(row, now, state.revalidation)) {
    e.next();
    return;
  }

  const result: CheckResult = mayAskAgain(row, now, state.revalidation)
    ? checkRecord(e.app, state, record, ACCESS_ACTIONS, now, 'ask-peers')
    : { kind: 'undecided', reason: 'asked Authelia moments ago without an answer; asked again after AUTHELIA_REVALIDATE_AFTER (at most 30 s)' };
  // Another check of this record is running: judge by what is stored once it is done or not.
  const checkedAt = result.kind === 'busy' ? (linkedRow(e.app, state, record.id)?.checkedAt ?? row.checkedAt) : row.checkedAt;
  const verdict = refreshVerdict(result.kind, { checkedAt }, now, state.revalidation);
  if (verdict === 'refuse-gone') {
    throw new UnauthorizedError(GONE_MESSAGE); // revokeAccess logged why
  }
  if (verdict === 'refuse-expired') {
    if (!row.sessionsEnded) endSessions(e.app, record);
    logInfo(e.app, 'auth-refresh refused: no successful check with Authelia within AUTHELIA_MAX_SESSION', 'record', record.id, 'reason', 'reason' in result ? result.reason : result.kind);
    throw new UnauthorizedError(EXPIRED_MESSAGE);
  }
  // During an outage the one warning that noted it speaks for every record.
  if ((result.kind === 'undecided' || result.kind === 'waiting' || result.kind === 'unreachable') && !currentOutage(e.app)) {
    logWarn(e.app, 'auth-refresh allowed without a check: Authelia could not tell; allowed until AUTHELIA_MAX_SESSION', 'record', record.id, 'reason', result.reason,
      'pastMaxSession', pastMaxSession({ checkedAt }, now, state.revalidation));
  }
  e.next();
}

/** The configured collection, or one whose records the extension linked before AUTHELIA_COLLECTION moved: those stay under checks too. */
function managedCollection(app: CoreApp, state: ActiveState, collectionId: string | undefined): boolean {
  if (collectionId === undefined) return false;
  return collectionId === state.collectionId || (loadGuards(app)?.collections[collectionId]?.providers.length ?? 0) > 0;
}
