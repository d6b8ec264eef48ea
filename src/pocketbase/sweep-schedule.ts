import { cronProblem, normalizeCron } from '../core/cron.js';
import { resolveEnv } from '../core/env.js';
import { DEFAULTS } from '../core/variables.js';
import { readProcessEnv, readTextFile } from './env.js';

/**
 * The sweep's cron expression for registration, read before the database is
 * open (crons are registered at load time). `null` when the sweep is off or
 * the value is invalid: boot then reports the error, and `cronAdd` must not
 * throw while the hooks load.
 */
export function sweepScheduleFromEnv(): string | null {
  const { values } = resolveEnv(['AUTHELIA_URL', 'AUTHELIA_SWEEP'], readProcessEnv(), readTextFile);
  if (values['AUTHELIA_URL'] === undefined) return null;
  const value = values['AUTHELIA_SWEEP'] ?? DEFAULTS.AUTHELIA_SWEEP;
  if (value.toLowerCase() === 'off' || cronProblem(value) !== undefined) return null;
  return normalizeCron(value);
}
