import { registrationTargets, type RegistrationTargets } from '../core/targets.js';
import { readProcessEnv, readTextFile } from './env.js';

export function currentTargets(): RegistrationTargets {
  return registrationTargets(readProcessEnv(), readTextFile);
}
