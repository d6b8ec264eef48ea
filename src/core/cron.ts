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
