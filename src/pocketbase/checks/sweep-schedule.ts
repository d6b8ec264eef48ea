import { cronProblem, normalizeCron } from '../../core/boot/cron.js';
import { resolveEnv } from '../../core/boot/env-rules.js';
import { DEFAULTS } from '../../core/boot/variables.js';
import { readProcessEnv, readTextFile } from '../boot/env.js';

/**
 * The sweep's cron expression for registration, read before the database is
 * open (crons are registered at load time). `null` when the sweep is off.
 * Registered even while AUTHELIA_URL is unset or the configuration invalid:
 * then the sweep only ends sessions past AUTHELIA_MAX_SESSION. An unreadable
 * value runs the default schedule (boot reports the error): `cronAdd` must not
 * throw while the hooks load, and the bound must not lapse.
 */
export function sweepScheduleFromEnv(): string | null {
  const { values } = resolveEnv(['AUTHELIA_SWEEP'], readProcessEnv(), readTextFile);
  const value = values['AUTHELIA_SWEEP'] ?? DEFAULTS.AUTHELIA_SWEEP;
  if (value.toLowerCase() === 'off') return null;
  return normalizeCron(cronProblem(value) === undefined ? value : DEFAULTS.AUTHELIA_SWEEP);
}
