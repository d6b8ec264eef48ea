import { HOOK_TAGS_FILE, formatHookTags, hookTags, parseHookTags } from '../../core/guard/hook-tags.js';
import { registrationTargets, type RegistrationTargets } from '../../core/guard/targets-rules.js';
import { readProcessEnv, readTextFile } from './env.js';

export interface HookRegistration extends RegistrationTargets {
  /** Tags for the record hooks (never empty: an empty list would mean every collection). */
  readonly hookTags: readonly string[];
}

/** Read when the hooks load (top level, no database yet) and again by boot, which sees the same file. */
export function currentTargets(app: CoreApp): HookRegistration {
  const targets = registrationTargets(readProcessEnv(), readTextFile);
  return { ...targets, hookTags: registeredTags(app, targets) };
}

/** The tags this process's hooks were registered with. */
export function registeredTags(app: CoreApp, targets: RegistrationTargets): string[] {
  let text: string | undefined;
  try {
    text = readTextFile(tagsPath(app));
  } catch {
    text = undefined; // first start: untagged
  }
  return hookTags(targets, parseHookTags(text));
}

export function rememberTags(app: CoreApp, tags: readonly string[]): void {
  const content = formatHookTags(tags);
  let current: string | undefined;
  try {
    current = readTextFile(tagsPath(app));
  } catch {
    current = undefined;
  }
  if (current !== content) $os.writeFile(tagsPath(app), content, 0o600 as unknown as os.FileMode);
}

function tagsPath(app: CoreApp): string {
  return `${app.dataDir()}/${HOOK_TAGS_FILE}`;
}
