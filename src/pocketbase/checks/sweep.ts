import { fireAfter, fireAtOrBefore } from '../../core/boot/cron.js';
import { noCounts, sweepAction, ACCESS_TOKEN_MARGIN_MS, pastMaxSession, type SweepCounts } from '../../core/checks/revalidation.js';
import { checkAt, planSweep, waitForPreviousUntil, SUSPECT_DECISION_MS, type SweepPlan } from '../../core/checks/sweep-pacing.js';
import { LAST_SWEEP_KEY, SWEEP_RUNNING_KEY, type ActiveState } from '../../core/stores/state.js';
import { ACCESS_ACTIONS } from './access-actions.js';
import { logError, logInfo, logWarn } from '../log.js';
import { signedInConnections } from './realtime.js';
import { checkRecord, endSessions, type CheckResult } from './check.js';
import { loadState } from '../stores/app-store.js';
import { endStaleSessions } from './bound-without-authelia.js';
import {
  adoptLinkedRecords, countSweepCandidates, dropUnlinked, markAttempted, markWaiting, sweepCandidates, type SweepCursor, type VaultRow,
} from '../stores/token-vault.js';

/** The last run, for the status page. */
export interface SweepReport extends SweepCounts {
  readonly at: string;
  readonly durationMs: number;
  /** Records it had work for and did not reach (an unfinished run, or Authelia silent): the next run starts with them. */
  readonly carriedOver: boolean;
  /** Authelia did not answer: the run stopped instead of waiting on every record. */
  readonly stoppedEarly: boolean;
  /** The next run was due before this one reached every record (Authelia answered too slowly for their number). */
  readonly unfinished: boolean;
  readonly remaining: number;
  /**
   * How the run spread its checks: records it had work for at its start, over which window, how far
   * apart, and the time spent in checks (not waiting between them): what a burst would have taken.
   */
  readonly pacing: { readonly records: number; readonly windowMs: number; readonly gapMs: number; readonly busyMs: number };
}

/** A record Authelia answered without a lookup in this run, decided a little later (see Suspects). */
interface Suspect {
  readonly row: VaultRow;
  readonly record: core.Record;
}

/** Rows read at a time: a run of 10,000 records never holds them all. */
const BATCH = 100;

/**
 * AUTHELIA_SWEEP's job: check every Authelia-linked record that has a usable
 * token and a session that may still be alive, and end the sessions of those
 * past AUTHELIA_MAX_SESSION without one, so users who never refresh are
 * covered too. One record at a time, waiting records first, then least
 * recently attempted, each at its moment (src/core/checks/sweep-pacing.ts) until the
 * next run is due; what is left goes first in the next run. One record's
 * failure never stops the run; Authelia not answering does (an outage, not a
 * matter of one record).
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
  const asked = Date.now();
  const held = holdRun(app, waitForPreviousUntil(asked, fireAfter(state.revalidation.sweep, asked)));
  if (held === 'gave-up') {
    logWarn(app, 'sweep: the previous run is still going; this one did nothing (the previous run goes on with the records)');
    return undefined;
  }
  if (held === 'waited' && previousRunFinished(app, asked)) {
    // Started by hand (or a late run) while another went on, which reached every record: nothing left.
    app.store().remove(SWEEP_RUNNING_KEY);
    return undefined;
  }
  try {
    return sweep(app, state, state.revalidation.sweep);
  } finally {
    app.store().remove(SWEEP_RUNNING_KEY);
  }
}

/**
 * Runs never overlap (a run started by hand, or one whose last check and decisions outlived its
 * stop): the later waits for the earlier until `deadline` (see waitForPreviousUntil), then gives up.
 */
function holdRun(app: CoreApp, deadline: number): 'held' | 'waited' | 'gave-up' {
  for (let waited = false; ; waited = true) {
    const mine = `${Date.now()}:${$security.randomString(8)}`;
    if (app.store().getOrSet(SWEEP_RUNNING_KEY, () => mine) === mine) return waited ? 'waited' : 'held';
    if (Date.now() >= deadline) return 'gave-up';
    sleep(500);
  }
}

/** The run this one waited for (it ended after `waitedFrom`) reached every record it had work for. */
function previousRunFinished(app: CoreApp, waitedFrom: number): boolean {
  const raw: unknown = app.store().get(LAST_SWEEP_KEY);
  if (typeof raw !== 'string') return false;
  const report = JSON.parse(raw) as Partial<SweepReport>;
  const endedAt = Date.parse(report.at ?? '') + Number(report.durationMs);
  return report.carriedOver === false && Number.isFinite(endedAt) && endedAt >= waitedFrom;
}

function sweep(app: CoreApp, state: ActiveState, schedule: string): SweepReport {
  const settings = state.revalidation;
  const startedAt = Date.now();
  dropUnlinked(app, state);
  adoptLinkedRecords(app, state, startedAt);
  const connected = signedInConnections(app);
  const cursor: SweepCursor = { runStart: startedAt, maxSessionMs: settings.maxSessionSeconds * 1000, accessMarginMs: ACCESS_TOKEN_MARGIN_MS, connected };
  const total = countSweepCandidates(app, state, cursor);
  const plan = planSweep(startedAt, { previous: fireAtOrBefore(schedule, startedAt), next: fireAfter(schedule, startedAt) }, total);

  const counts = noCounts();
  const suspects = new Suspects(app, state, counts);
  const connectedIds = new Set(connected);
  // Rows seen this run whose attempt time did not change (left alone, or checked by someone else right then).
  const untouched: string[] = [];
  let index = 0;
  let previousCheckAt = Number.NEGATIVE_INFINITY;
  let busyMs = 0;
  let stoppedEarly = false;
  let unfinished = false;
  run: for (;;) {
    const batch = sweepCandidates(app, state, cursor, untouched, BATCH);
    if (batch.length === 0) break;
    for (const row of batch) {
      const at = checkAt(plan, index, row.attemptedAt, previousCheckAt, Date.now());
      if (at >= plan.stopAt) {
        unfinished = true;
        break run;
      }
      pauseUntil(at);
      previousCheckAt = at;
      index++;
      const checkStart = Date.now();
      const result = isolated(app, row.recordId, counts, () => sweepOne(app, state, row, counts, connectedIds.has(row.recordId)));
      busyMs += Date.now() - checkStart;
      if (!result || result.kind === 'skipped' || result.kind === 'busy') untouched.push(row.recordId);
      if (result?.kind === 'suspect' && result.record) suspects.add({ row, record: result.record });
      if (result?.kind === 'unreachable') {
        stoppedEarly = true;
        break run;
      }
      suspects.decideIfDue();
    }
  }
  suspects.decide(stoppedEarly);

  const remaining = stoppedEarly || unfinished ? countSweepCandidates(app, state, cursor) : 0;
  const report: SweepReport = {
    at: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    carriedOver: remaining > 0,
    stoppedEarly,
    unfinished,
    remaining,
    pacing: { records: total, windowMs: Math.round(plan.windowMs), gapMs: Math.round(plan.gapMs), busyMs },
    ...counts,
  };
  app.store().set(LAST_SWEEP_KEY, JSON.stringify(report));
  logInfo(app, `sweep: checked ${counts.checked}, updated ${counts.updated}, ended ${counts.ended}, undecided ${counts.undecided} (waiting ${counts.waiting}), failed ${counts.failed}${stoppedEarly ? ', stopped early: Authelia did not answer' : ''}`,
    'checked', counts.checked, 'updated', counts.updated, 'ended', counts.ended, 'undecided', counts.undecided, 'waiting', counts.waiting,
    'failed', counts.failed, 'durationMs', report.durationMs, 'carriedOver', report.carriedOver, 'stoppedEarly', stoppedEarly,
    'records', total, 'windowMs', report.pacing.windowMs, 'gapMs', report.pacing.gapMs, 'busyMs', busyMs);
  if (unfinished) reportUnfinished(app, report, plan);
  return report;
}

/** Sleeps until `at`: PocketBase's sleep() holds this cron job's goroutine, no other request waits for it. */
function pauseUntil(at: number): void {
  const wait = Math.floor(at - Date.now());
  if (wait > 0) sleep(wait);
}

function reportUnfinished(app: CoreApp, report: SweepReport, plan: SweepPlan): void {
  logWarn(app, `sweep: could not finish before the next run: ${report.remaining} records left, checked first by the next run; ` +
    'until the sweep keeps up, a removed user may keep access longer than AUTHELIA_SWEEP\'s interval (Authelia answered too slowly for this many records)',
  'remaining', report.remaining, 'checked', report.checked, 'records', report.pacing.records, 'durationMs', report.durationMs, 'intervalMs', plan.intervalMs);
}

type SweepResult = { readonly kind: CheckResult['kind'] | 'ended' | 'skipped'; readonly record?: core.Record };

function sweepOne(app: CoreApp, state: ActiveState, row: VaultRow, counts: SweepCounts, connected: boolean): SweepResult {
  const now = Date.now();
  const settings = state.revalidation;
  const action = sweepAction(row, now, settings, connected);
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
 * Records Authelia answered without a lookup, decided a little later: at the
 * end of the run, and in a long (paced) run as soon as the oldest has waited
 * SUSPECT_DECISION_MS. Each is asked once more, then other records right after
 * it (the ones this run just answered normally come first; the run's suspects
 * never count), so a user backend that failed, or recovered, in the middle of
 * the run decides nobody's fate. The first suspect for whom nobody answers
 * normally means the user backend is down: the rest wait without further calls.
 */
class Suspects {
  private readonly pending: Suspect[] = [];
  /** Every suspect of the run, decided or not: none is evidence for another. */
  private readonly ids = new Set<string>();
  private oldest = 0;

  constructor(
    private readonly app: CoreApp,
    private readonly state: ActiveState,
    private readonly counts: SweepCounts,
  ) {}

  add(suspect: Suspect): void {
    if (this.pending.length === 0) this.oldest = Date.now();
    this.pending.push(suspect);
    this.ids.add(suspect.row.recordId);
  }

  decideIfDue(): void {
    if (this.pending.length > 0 && Date.now() - this.oldest >= SUSPECT_DECISION_MS) this.decide(false);
  }

  decide(autheliaSilent: boolean): void {
    const { app, state, counts } = this;
    let outage = autheliaSilent;
    for (const { row, record } of this.pending.splice(0)) {
      isolated(app, row.recordId, counts, () => {
        const now = Date.now();
        // Once the user backend looks down, the rest wait without asking (checkRecord marks the one it asked).
        const asked = !outage;
        const result: CheckResult = asked ? checkRecord(app, state, record, ACCESS_ACTIONS, now, 'ask-peers', withoutSelf(this.ids, row.recordId)) : { kind: 'waiting', reason: 'Authelia did not answer' };
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
