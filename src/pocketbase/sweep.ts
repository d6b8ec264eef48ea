import { noCounts, sweepAction, sweepMayContinue, ACCESS_TOKEN_MARGIN_MS, SWEEP_BUDGET, pastMaxSession, type SweepCounts } from '../core/revalidation.js';
import { LAST_SWEEP_KEY, type ActiveState } from '../core/state.js';
import { ACCESS_ACTIONS } from './access-actions.js';
import { logInfo } from './log.js';
import { checkRecord, endSessions } from './revalidation-check.js';
import { loadState } from './state-store.js';
import { endStaleSessions } from './bound-without-authelia.js';
import { adoptLinkedRecords, dropUnlinked, sweepCandidates, type VaultRow } from './token-vault.js';

/** The last run, for the status page. */
export interface SweepReport extends SweepCounts {
  readonly at: string;
  readonly durationMs: number;
  /** More records had work than this run's budget allowed: the next run carries on. */
  readonly carriedOver: boolean;
}

/**
 * AUTHELIA_SWEEP's job: check every Authelia-linked record that has a usable
 * token, and end the sessions of those past AUTHELIA_MAX_SESSION without one,
 * so users who never refresh are covered too. One record at a time, least
 * recently attempted first, within a time and record budget.
 */
/** The cron handler: `$app` is the only app a cron job gets. */
export function onSweep(): void {
  runSweep($app);
}

export function runSweep(app: CoreApp): SweepReport | undefined {
  const state = loadState(app);
  if (state && state.status !== 'active') {
    endStaleSessions(app, state);
    return undefined;
  }
  if (state?.status !== 'active' || state.revalidation.sweep === null) return undefined;
  const settings = state.revalidation;
  const startedAt = Date.now();
  dropUnlinked(app, state);
  adoptLinkedRecords(app, state, startedAt);

  const counts = noCounts();
  const candidates = sweepCandidates(app, state, startedAt, settings.maxSessionSeconds * 1000, ACCESS_TOKEN_MARGIN_MS, SWEEP_BUDGET.maxRecords + 1);
  let done = 0;
  for (const row of candidates) {
    if (!sweepMayContinue(done, startedAt, Date.now(), SWEEP_BUDGET)) break;
    done++;
    sweepOne(app, state, row, counts);
  }
  const report: SweepReport = { at: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, carriedOver: done < candidates.length, ...counts };
  app.store().set(LAST_SWEEP_KEY, JSON.stringify(report));
  logInfo(app, `sweep: checked ${counts.checked}, updated ${counts.updated}, ended ${counts.ended}, undecided ${counts.undecided}`,
    'checked', counts.checked, 'updated', counts.updated, 'ended', counts.ended, 'undecided', counts.undecided,
    'durationMs', report.durationMs, 'carriedOver', report.carriedOver);
  return report;
}

function sweepOne(app: CoreApp, state: ActiveState, row: VaultRow, counts: SweepCounts): void {
  const now = Date.now();
  const settings = state.revalidation;
  const action = sweepAction(row, now, settings);
  if (action === 'skip') return;
  let record: core.Record;
  try {
    record = app.findRecordById(row.collectionId, row.recordId); // also a collection managed before AUTHELIA_COLLECTION moved
  } catch {
    return; // deleted since the query
  }
  if (action === 'end-sessions') {
    endSessions(app, record);
    counts.ended++;
    return;
  }
  counts.checked++;
  const result = checkRecord(app, state, record, ACCESS_ACTIONS, now);
  if (result.kind === 'current') {
    if (result.changed) counts.updated++;
  } else if (result.kind === 'gone') {
    counts.ended++;
  } else {
    // Cannot tell (or an auth-refresh is checking it right now): the bound still applies, once.
    counts.undecided++;
    if (pastMaxSession(row, now, settings) && !row.sessionsEnded) {
      endSessions(app, record);
      counts.ended++;
    }
  }
}
