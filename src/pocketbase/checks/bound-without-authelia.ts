import type { ExtensionState } from '../../core/stores/state.js';
import { logInfo } from '../log.js';
import { endSessions } from './check.js';
import { adoptLinkedRecordsUnconfigured, staleOpenSessions, storedCheck } from '../stores/token-vault.js';

/** What an `auth-refresh` refused after (or without) a check with Authelia says to the client. */
export const GONE_MESSAGE = 'Your Authelia account no longer grants access here. Sign in with Authelia again.';
export const EXPIRED_MESSAGE = 'Authelia could not confirm your session for too long. Sign in with Authelia again.';

type Unconfigured = Exclude<ExtensionState, { status: 'active' }>;

/** Records a run ends at most while unconfigured; the rest wait for the next run. */
const MAX_ENDED_PER_RUN = 500;

/**
 * With the configuration invalid or AUTHELIA_URL unset nobody can ask
 * Authelia, which is "cannot tell" for every record: a session of an account
 * whose tokens were kept goes on until AUTHELIA_MAX_SESSION after its last
 * successful check, then ends. A typo in the configuration must not lift the
 * bound.
 */
export function refuseStaleRefresh(app: CoreApp, state: Unconfigured, record: core.Record): void {
  const check = storedCheck(app, record.id);
  if (!check) {
    // Linked before tokens were kept (or by an older version): the bound starts now.
    adoptLinkedRecordsUnconfigured(app, Date.now(), record.id);
    return;
  }
  if (Date.now() - check.checkedAt < state.maxSessionSeconds * 1000) return;
  if (!check.sessionsEnded) endSessions(app, record);
  throw new UnauthorizedError(EXPIRED_MESSAGE);
}

/** The sweep's part while unconfigured: end the sessions past the bound, once each. */
export function endStaleSessions(app: CoreApp, state: Unconfigured): number {
  let ended = 0;
  adoptLinkedRecordsUnconfigured(app, Date.now());
  for (const { recordId, collectionId } of staleOpenSessions(app, Date.now() - state.maxSessionSeconds * 1000, MAX_ENDED_PER_RUN)) {
    let record: core.Record;
    try {
      record = app.findRecordById(collectionId, recordId);
    } catch {
      continue;
    }
    endSessions(app, record);
    ended++;
  }
  if (ended > 0) logInfo(app, `sweep: ended the sessions of ${ended} records past AUTHELIA_MAX_SESSION; Authelia cannot be asked until the configuration is valid`);
  return ended;
}
