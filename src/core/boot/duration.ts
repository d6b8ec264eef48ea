/**
 * Durations as operators write them in AUTHELIA_REVALIDATE_AFTER and
 * AUTHELIA_MAX_SESSION: a whole number with a unit, `90s`, `5m`, `1h`, `2d`,
 * or several in a row, `1h30m`. A bare `0` means zero.
 */
export type DurationResult = { readonly seconds: number } | { readonly problem: string };

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
/** Ten years: anything longer is a typo, and it keeps the milliseconds well inside a safe integer. */
const MAX_SECONDS = 10 * 365 * 86400;

export function parseDuration(value: string): DurationResult {
  const text = value.trim().toLowerCase();
  if (text === '0') return { seconds: 0 };
  if (!/^(\d+[smhd])+$/.test(text)) {
    return { problem: `"${value}" is not a duration; write a number with a unit s, m, h or d, e.g. 90s, 5m, 1h, 1h30m` };
  }
  let seconds = 0;
  for (const [, amount = '', unit = ''] of text.matchAll(/(\d+)([smhd])/g)) {
    seconds += Number(amount) * (UNIT_SECONDS[unit] ?? 0);
  }
  if (seconds > MAX_SECONDS) return { problem: `"${value}" is longer than ten years; use a shorter duration` };
  return { seconds };
}

/** `5m`, `1h30m`, `90s`: the shortest exact way to write a number of seconds, for logs and the status page. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0';
  let rest = seconds;
  let text = '';
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const amount = Math.floor(rest / size);
    if (amount > 0) text += `${amount}${unit}`;
    rest -= amount * size;
  }
  return text;
}
