/**
 * How a sweep run spreads its checks over time, pure. A run used to send its
 * requests one after another as fast as Authelia answered: a burst at Authelia
 * and its user backend at every AUTHELIA_SWEEP. Now each check has a moment:
 * the run's records are spread evenly over the first half of the schedule's
 * interval (one request in flight, never two), small runs are not stretched
 * (a quarter of a second between checks is slow enough), and no record waits
 * longer than one interval after its previous attempt, so the bound a removed
 * user has ("the sweep's interval plus one check") holds while the sweep keeps
 * up. A run stops before the next one is due; the next starts with what it left.
 */

/** Share of the interval a run's checks are spread over: the other half is slack for slow answers. */
export const WINDOW_SHARE = 0.5;

/** The longest pause between two checks: a run of a few records ends in seconds, not minutes. */
export const MAX_GAP_MS = 250;

/** A run starts no check later than this before the next run is due (a check takes up to a few seconds). */
export const STOP_MARGIN_MS = 5_000;

/** A run started by hand just before the next one is due still gets this long. */
export const MIN_RUN_MS = 30_000;

/** When the schedule never fires again (only runs started by hand), the default schedule's interval. */
export const FALLBACK_INTERVAL_MS = 600_000;

/**
 * Answers without a lookup are decided against other records at most this long
 * after they came (and at the end of the run): a paced run lasts minutes, a
 * removal must not wait for its end.
 */
export const SUSPECT_DECISION_MS = 30_000;

export interface SweepPlan {
  readonly startedAt: number;
  /** From the schedule's fire at or before the start to its next fire. */
  readonly intervalMs: number;
  readonly windowMs: number;
  /** Between two consecutive checks. */
  readonly gapMs: number;
  /** No check starts at or after this moment. */
  readonly stopAt: number;
}

/**
 * The plan of a run that starts at `now` with `candidates` records to see.
 * `fires`: the schedule's fire at or before `now` (the run's own, or the one
 * before a run started by hand) and its next one.
 */
export function planSweep(now: number, fires: { readonly previous: number | undefined; readonly next: number | undefined }, candidates: number): SweepPlan {
  const { previous, next } = fires;
  const intervalMs = previous !== undefined && next !== undefined && next > previous ? next - previous : FALLBACK_INTERVAL_MS;
  const windowMs = intervalMs * WINDOW_SHARE;
  const gapMs = Math.min(windowMs / Math.max(candidates, 1), MAX_GAP_MS);
  const stopAt = Math.max((next ?? now + intervalMs) - STOP_MARGIN_MS, now + MIN_RUN_MS);
  return { startedAt: now, intervalMs, windowMs, gapMs, stopAt };
}

/**
 * When the run's `index`-th check (from 0) starts, in milliseconds since the
 * epoch. Its slot (`index` gaps from the run's start), or earlier when the
 * record is due earlier: one interval after its previous attempt
 * (`lastAttemptAt`), which keeps each record's place from run to run. A record
 * reached after that moment (overdue before the run began, or late because
 * Authelia answered slowly) goes now, but never sooner than half a gap after
 * the previous check (`previousCheckAt`): catching up runs at twice the pace,
 * not in a burst.
 */
export function checkAt(plan: SweepPlan, index: number, lastAttemptAt: number, previousCheckAt: number, now: number): number {
  const slot = plan.startedAt + index * plan.gapMs;
  const due = lastAttemptAt + plan.intervalMs;
  const planned = Math.max(Math.min(slot, due), plan.startedAt);
  return planned >= now ? planned : Math.max(now, previousCheckAt + plan.gapMs / 2);
}

/** A run whose previous one is still going waits at least this long for it. */
export const MIN_WAIT_FOR_PREVIOUS_MS = 60_000;

/**
 * Until when a run that found the previous one still going waits for it (its last check and the
 * decisions after it can outlast the previous run's stop by more than a minute when Authelia answers
 * slowly): as long as the waiting run could still start a check, at least a minute. Giving up
 * sooner would leave the records the previous run did not reach for one more interval.
 */
export function waitForPreviousUntil(now: number, next: number | undefined): number {
  return Math.max(now + MIN_WAIT_FOR_PREVIOUS_MS, (next ?? now + FALLBACK_INTERVAL_MS) - STOP_MARGIN_MS);
}
