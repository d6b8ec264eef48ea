import { VARIABLES } from '../../core/boot/variables.js';
import type { EnvSource } from '../../core/boot/env-rules.js';

/** The `AUTHELIA_*` variables (and their `_FILE` forms) as plain data for the pure core. */
export function readProcessEnv(): EnvSource {
  const env: Record<string, string> = {};
  for (const name of VARIABLES) {
    env[name] = $os.getenv(name);
    env[`${name}_FILE`] = $os.getenv(`${name}_FILE`);
  }
  return env;
}

export function readTextFile(path: string): string {
  return toString($os.readFile(path));
}
