import { describe, expect, it } from 'vitest';
import { fireAfter, fireAtOrBefore } from '../../../src/core/boot/cron.js';
import { checkAt, planSweep, waitForPreviousUntil, FALLBACK_INTERVAL_MS, MAX_GAP_MS, MIN_RUN_MS, STOP_MARGIN_MS } from '../../../src/core/checks/sweep-pacing.js';

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;

describe('when PocketBase starts a cron job (UTC, every field must match)', () => {
  it.each<[string, string, string, string]>([
    ['*/10 * * * *', '2026-12-07T10:03:20Z', '2026-12-07T10:00:00Z', '2026-12-07T10:10:00Z'],
    ['*/10 * * * *', '2026-12-07T10:10:00.400Z', '2026-12-07T10:10:00Z', '2026-12-07T10:20:00Z'],
    ['* * * * *', '2026-12-07T10:03:20Z', '2026-12-07T10:03:00Z', '2026-12-07T10:04:00Z'],
    ['4-59/10 * * * *', '2026-12-07T10:03:20Z', '2026-12-07T09:54:00Z', '2026-12-07T10:04:00Z'],
    ['0 9,17 * * *', '2026-12-07T12:00:00Z', '2026-12-07T09:00:00Z', '2026-12-07T17:00:00Z'],
    ['0 0 1 1 *', '2026-12-07T12:00:00Z', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
    ['@hourly', '2026-12-31T23:59:59Z', '2026-12-31T23:00:00Z', '2027-01-01T00:00:00Z'],
    // Day of month AND day of week (unlike Vixie cron): the 13th that is a Friday.
    ['0 0 13 * 5', '2026-12-07T00:00:00Z', '2026-11-13T00:00:00Z', '2027-08-13T00:00:00Z'],
  ])('%s at %s: the run in progress started %s, the next starts %s', (expression, now, previous, next) => {
    expect(fireAtOrBefore(expression, at(now))).toBe(at(previous));
    expect(fireAfter(expression, at(now))).toBe(at(next));
  });

  it('never, for a day that does not exist, or an expression PocketBase refuses', () => {
    expect(fireAfter('0 0 30 2 *', at('2026-12-07T00:00:00Z'))).toBeUndefined();
    expect(fireAtOrBefore('0 0 30 2 *', at('2026-12-07T00:00:00Z'))).toBeUndefined();
    expect(fireAfter('61 * * * *', 0)).toBeUndefined();
  });
});

describe('how a sweep run spreads its checks', () => {
  const start = at('2026-12-07T10:00:00.300Z');
  const fires = { previous: at('2026-12-07T10:00:00Z'), next: at('2026-12-07T10:10:00Z') };

  it('10,000 records at the default schedule: evenly over the first five minutes, stopping before the next run', () => {
    const plan = planSweep(start, fires, 10_000);
    expect(plan).toMatchObject({ intervalMs: 10 * MIN, windowMs: 5 * MIN, gapMs: 30, stopAt: fires.next - STOP_MARGIN_MS });
    // Records attempted at the same place in the previous run keep their place.
    const previousRun = start - 10 * MIN;
    const offset = (index: number) => checkAt(plan, index, previousRun + index * 30, start + (index - 1) * 30, start) - start;
    expect([0, 1, 5_000, 9_999].map(offset)).toEqual([0, 30, 150_000, 299_970]);
  });

  it('a few records are not stretched: a quarter of a second apart', () => {
    const plan = planSweep(start, fires, 8);
    expect(plan.gapMs).toBe(MAX_GAP_MS);
    expect([0, 1, 7].map((index) => checkAt(plan, index, start - 10 * MIN + index * 300, 0, start) - start)).toEqual([0, 250, 1_750]);
  });

  it('no record waits longer than one interval after its previous attempt, even when fewer records spread the rest wider', () => {
    // 1,000 records left of 10,000: their slots lie later than where the last run checked them.
    const plan = planSweep(start, fires, 1_000);
    const previousAttempt = start - 10 * MIN + 20_000; // checked 20 s into the last run
    expect(checkAt(plan, 500, previousAttempt, start + 19_990, start + 19_995) - start).toBe(20_000); // its slot: 125 s
  });

  it('records reached late (overdue before the run, or Authelia slow) go at once, but at most at twice the pace', () => {
    const plan = planSweep(start, fires, 10_000);
    expect(checkAt(plan, 0, 0, Number.NEGATIVE_INFINITY, start)).toBe(start);
    expect(checkAt(plan, 1, 0, start, start + 2)).toBe(start + 15);
    expect(checkAt(plan, 2, 0, start + 15, start + 40)).toBe(start + 40); // the previous check took 25 ms
    // A record due later than the catching up reached: its slot again.
    expect(checkAt(plan, 100, start - 10 * MIN + 4_000, start + 1_500, start + 1_510)).toBe(start + 3_000);
  });

  it('a run started by hand keeps the schedule\'s interval and stops before the next run, but gets at least half a minute', () => {
    const byHand = at('2026-12-07T10:03:00Z');
    expect(planSweep(byHand, fires, 10)).toMatchObject({ intervalMs: 10 * MIN, stopAt: fires.next - STOP_MARGIN_MS });
    const late = at('2026-12-07T10:09:58Z');
    expect(planSweep(late, fires, 10).stopAt).toBe(late + MIN_RUN_MS);
  });

  it('a schedule that never fires again (runs by hand only) is paced as the default one', () => {
    const plan = planSweep(start, { previous: undefined, next: undefined }, 10_000);
    expect(plan).toMatchObject({ intervalMs: FALLBACK_INTERVAL_MS, windowMs: FALLBACK_INTERVAL_MS / 2 });
  });
});

describe('a run that finds the previous one still going', () => {
  it('waits for it as long as it could still start a check, not a fixed minute: the records the previous run left are not put off by one more interval', () => {
    const now = at('2026-12-07T10:10:00Z');
    // A slow Authelia: the 10:00 run's last check and its decisions end at 10:11:30.
    expect(waitForPreviousUntil(now, at('2026-12-07T10:20:00Z'))).toBe(at('2026-12-07T10:20:00Z') - STOP_MARGIN_MS);
    expect(waitForPreviousUntil(now, at('2026-12-07T10:20:00Z'))).toBeGreaterThan(at('2026-12-07T10:11:30Z'));
    // At least a minute, also for a one-minute schedule and a schedule that never fires again.
    expect(waitForPreviousUntil(now, now + MIN)).toBe(now + MIN);
    expect(waitForPreviousUntil(now, undefined)).toBe(now + FALLBACK_INTERVAL_MS - STOP_MARGIN_MS);
  });
});
