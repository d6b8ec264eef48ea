/**
 * Checks a cron expression by the rules of PocketBase's scheduler
 * (tools/cron/schedule.go), so that a typo in AUTHELIA_SWEEP is a configuration
 * error at boot rather than a `cronAdd` that throws while the hooks load. Five
 * fields (minute, hour, day of month, month, day of week; UTC) or a macro.
 */
export const CRON_MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 6 },
] as const;

/** PocketBase splits on single spaces: runs of whitespace (easy to type in a compose file) become one. */
export function normalizeCron(expression: string): string {
  return expression.trim().split(/\s+/).join(' ');
}

/** `undefined` when PocketBase accepts the (normalized) expression; otherwise what is wrong with it. */
export function cronProblem(expression: string): string | undefined {
  const text = normalizeCron(expression);
  if (text.startsWith('@')) {
    return text in CRON_MACROS ? undefined : `"${text}" is not a cron macro; use one of ${Object.keys(CRON_MACROS).join(', ')} or five fields such as */10 * * * *`;
  }
  const parts = text.split(' ');
  if (parts.length !== FIELDS.length) {
    return `"${text}" has ${parts.length} fields; a cron expression has five (minute hour day-of-month month day-of-week), e.g. */10 * * * *`;
  }
  for (const [index, field] of FIELDS.entries()) {
    const part = parts[index] ?? '';
    if (!part.split(',').every((segment) => validSegment(segment, field.min, field.max))) {
      return `the ${field.name} field "${part}" of "${text}" is not valid; use *, a number from ${field.min} to ${field.max}, a range a-b, a list a,b, or a step */n or a-b/n`;
    }
  }
  return undefined;
}

/** One comma-separated piece: `*`, `n`, `a-b`; `*` and ranges may take a `/step` from 1 to the field's maximum. */
function validSegment(segment: string, min: number, max: number): boolean {
  const match = /^(\*|\d+|\d+-\d+)(?:\/(\d+))?$/.exec(segment);
  if (!match) return false;
  const [, range = '', step] = match;
  if (step !== undefined) {
    const size = Number(step);
    if (size < 1 || size > max) return false;
    if (/^\d+$/.test(range) && size !== 1) return false; // PocketBase: a step needs * or a range
  }
  if (range === '*') return true;
  const [from = NaN, to = from] = range.split('-').map(Number);
  return from >= min && from <= max && to >= from && to <= max;
}

/** Which minutes, hours, days, months and weekdays an expression fires at (PocketBase: all five must match, UTC). */
interface Schedule {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
}

/** `undefined` for an expression PocketBase would refuse (see cronProblem). */
function parseSchedule(expression: string): Schedule | undefined {
  if (cronProblem(expression) !== undefined) return undefined;
  const text = normalizeCron(expression);
  const parts = (CRON_MACROS[text] ?? text).split(' ');
  const values = FIELDS.map((field, index) => expand(parts[index] ?? '', field.min, field.max));
  const [minutes = [], hours = [], days = [], months = [], weekdays = []] = values;
  return { minutes, hours, days: new Set(days), months: new Set(months), weekdays: new Set(weekdays) };
}

/** Every value a field (already checked by validSegment) stands for, ascending. */
function expand(part: string, min: number, max: number): number[] {
  const values = new Set<number>();
  for (const segment of part.split(',')) {
    const [range = '*', step = '1'] = segment.split('/');
    const [from = min, to = from] = range === '*' ? [min, max] : range.split('-').map(Number);
    for (let value = from; value <= to; value += Number(step)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Far enough for any schedule that ever fires (a leap day on a given weekday recurs within 28 years). */
const SEARCH_DAYS = 366 * 29;

/**
 * The first moment after `after` (milliseconds since the epoch) at which PocketBase's scheduler
 * starts the expression's job: the start of a matching minute, UTC. `undefined` when it never
 * fires (say, `0 0 30 2 *`) or is not valid.
 */
export function fireAfter(expression: string, after: number): number | undefined {
  return search(expression, Math.floor(after / MINUTE_MS) * MINUTE_MS + MINUTE_MS, 1);
}

/** The last such moment at or before `at`: the start of the run in progress, or of the one before it. */
export function fireAtOrBefore(expression: string, at: number): number | undefined {
  return search(expression, Math.floor(at / MINUTE_MS) * MINUTE_MS, -1);
}

/** Walks whole days from `from`'s day in `direction`, then the day's matching hours and minutes. */
function search(expression: string, from: number, direction: 1 | -1): number | undefined {
  const schedule = parseSchedule(expression);
  if (!schedule) return undefined;
  const startDay = Math.floor(from / DAY_MS) * DAY_MS;
  const hours = direction === 1 ? schedule.hours : [...schedule.hours].reverse();
  const minutes = direction === 1 ? schedule.minutes : [...schedule.minutes].reverse();
  for (let offset = 0; offset < SEARCH_DAYS; offset++) {
    const day = startDay + direction * offset * DAY_MS;
    const date = new Date(day);
    if (!schedule.months.has(date.getUTCMonth() + 1) || !schedule.days.has(date.getUTCDate()) || !schedule.weekdays.has(date.getUTCDay())) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const moment = day + hour * 3_600_000 + minute * MINUTE_MS;
        if (direction === 1 ? moment >= from : moment <= from) return moment;
      }
    }
  }
  return undefined;
}
