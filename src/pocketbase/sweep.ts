import { noCounts, sweepAction, sweepMayContinue, ACCESS_TOKEN_MARGIN_MS, SWEEP_BUDGET, pastMaxSession, type SweepCounts } from '../core/revalidation.js';
import { LAST_SWEEP_KEY, type ActiveState } from '../core/state.js';
import { ACCESS_ACTIONS } from './access-actions.js';
import { logError, logInfo } from './log.js';
import { checkRecord, endSessions, type CheckResult } from './revalidation-check.js';
import { loadState } from './state-store.js';
import { endStaleSessions } from './bound-without-authelia.js';
import { adoptLinkedRecords, dropUnlinked, markAttempted, markWaiting, sweepCandidates, type VaultRow } from './token-vault.js';

/** The last run, for the status page. */
export interface SweepReport extends SweepCounts {
  readonly at: string;
  readonly durationMs: number;
  /** More records had work than this run's budget allowed: the next run carries on. */
  readonly carriedOver: boolean;
  /** Authelia did not answer: the run stopped instead of waiting on every record. */
  readonly stoppedEarly: boolean;
}

/** A record Authelia answered without a lookup in this run, decided at the end of the run. */
interface Suspect {
  readonly row: VaultRow;
  readonly record: core.Record;
}

/**
 * AUTHELIA_SWEEP's job: check every Authelia-linked record that has a usable
 * token, and end the sessions of those past AUTHELIA_MAX_SESSION without one,
 * so users who never refresh are covered too. One record at a time, waiting
 * records first, then least recently attempted, within a time and record
 * budget. One record's failure never stops the run; Authelia not answering
 * does (an outage, not a matter of one record).
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
  const suspects: Suspect[] = [];
  const candidates = sweepCandidates(app, state, startedAt, settings.maxSessionSeconds * 1000, ACCESS_TOKEN_MARGIN_MS, SWEEP_BUDGET.maxRecords + 1);
  let done = 0;
  let stoppedEarly = false;
  for (const row of candidates) {
    if (!sweepMayContinue(done, startedAt, Date.now(), SWEEP_BUDGET)) break;
    done++;
    const result = isolated(app, row.recordId, counts, () => sweepOne(app, state, row, counts));
    if (result?.kind === 'suspect' && result.record) suspects.push({ row, record: result.record });
    if (result?.kind === 'unreachable') {
      stoppedEarly = true;
      break;
    }
  }
  decideSuspects(app, state, suspects, counts, stoppedEarly);

  const report: SweepReport = { at: new Date(startedAt).toISOString(), durationMs: Date.now() - startedAt, carriedOver: done < candidates.length, stoppedEarly, ...counts };
  app.store().set(LAST_SWEEP_KEY, JSON.stringify(report));
  logInfo(app, `sweep: checked ${counts.checked}, updated ${counts.updated}, ended ${counts.ended}, undecided ${counts.undecided} (waiting ${counts.waiting}), failed ${counts.failed}${stoppedEarly ? ', stopped early: Authelia did not answer' : ''}`,
    'checked', counts.checked, 'updated', counts.updated, 'ended', counts.ended, 'undecided', counts.undecided, 'waiting', counts.waiting,
    'failed', counts.failed, 'durationMs', report.durationMs, 'carriedOver', report.carriedOver, 'stoppedEarly', stoppedEarly);
  return report;
}

type SweepResult = { readonly kind: CheckResult['kind'] | 'ended' | 'skipped'; readonly record?: core.Record };

function sweepOne(app: CoreApp, state: ActiveState, row: VaultRow, counts: SweepCounts): SweepResult {
  const now = Date.now();
  const settings = state.revalidation;
  const action = sweepAction(row, now, settings);
  if (action === 'skip') return { kind: 'skipped' };
  let record: core.Record;
  try {
    record = app.findRecordById(row.collectionId, row.recordId); // also a collection managed before AUTHELIA_COLLECTION moved
  } catch {
    return { kind: 'skipped' }; // deleted since the query
  }
  if (action === 'end-sessions') {
    markAttempted(app, row.recordId, now);
    endSessions(app, record);
    counts.ended++;
    return { kind: 'ended' };
  }
  counts.checked++;
  const result = checkRecord(app, state, record, ACCESS_ACTIONS, now, 'report');
  if (result.kind === 'current') {
    if (result.changed) counts.updated++;
  } else if (result.kind === 'gone') {
    counts.ended++;
  } else if (result.kind !== 'suspect') {
    // Cannot tell (or an auth-refresh is checking it right now): the bound still applies, once.
    counts.undecided++;
    boundStillApplies(app, row, record, now, settings, counts);
  }
  return { kind: result.kind, record };
}

/**
 * Records Authelia answered without a lookup, decided at the end of the run.
 * Each is asked once more, then other records right after it (the ones this
 * run just answered normally come first; the other suspects never count), so
 * a user backend that failed, or recovered, in the middle of the run decides
 * nobody's fate. The first suspect for whom nobody answers normally means the
 * user backend is down: the rest wait without further calls.
 */
function decideSuspects(app: CoreApp, state: ActiveState, suspects: readonly Suspect[], counts: SweepCounts, autheliaSilent: boolean): void {
  let outage = autheliaSilent;
  const suspectIds = new Set(suspects.map(({ row }) => row.recordId));
  for (const { row, record } of suspects) {
    isolated(app, row.recordId, counts, () => {
      const now = Date.now();
      // Once the user backend looks down, the rest wait without asking (checkRecord marks the one it asked).
      const asked = !outage;
      const result: CheckResult = asked ? checkRecord(app, state, record, ACCESS_ACTIONS, now, 'ask-peers', withoutSelf(suspectIds, row.recordId)) : { kind: 'waiting', reason: 'Authelia did not answer' };
      if (result.kind === 'gone') counts.ended++;
      else if (result.kind === 'current' && result.changed) counts.updated++;
      else if (result.kind !== 'current') {
        counts.undecided++;
        if (result.kind === 'waiting' || result.kind === 'unreachable') {
          outage = true;
          counts.waiting++;
          if (!asked || result.kind === 'unreachable') markWaiting(app, row.recordId);
        }
        boundStillApplies(app, row, record, now, state.revalidation, counts);
      }
      return result;
    });
  }
}

function boundStillApplies(app: CoreApp, row: VaultRow, record: core.Record, now: number, settings: ActiveState['revalidation'], counts: SweepCounts): void {
  if (pastMaxSession(row, now, settings) && !row.sessionsEnded) {
    endSessions(app, record);
    counts.ended++;
  }
}

/** One record's failure (a save refused, a query error) is logged with its id and never stops the run. */
function isolated<T>(app: CoreApp, recordId: string, counts: SweepCounts, work: () => T): T | undefined {
  try {
    return work();
  } catch (error) {
    counts.failed++;
    logError(app, 'sweep: a record could not be handled; the run goes on', 'record', recordId, 'error', error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function withoutSelf(ids: ReadonlySet<string>, self: string): Set<string> {
  const others = new Set(ids);
  others.delete(self);
  return others;
}
