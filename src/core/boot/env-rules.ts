import type { ConfigIssue } from './errors.js';

/** The process environment as plain data, so the core never reads globals. */
export type EnvSource = Readonly<Record<string, string | undefined>>;
/** Reads a whole text file; throws when it cannot. */
export type ReadTextFile = (path: string) => string;

export interface ResolvedEnv {
  /** Trimmed values; `undefined` when neither `X` nor `X_FILE` gave one. */
  readonly values: Readonly<Record<string, string | undefined>>;
  readonly issues: readonly ConfigIssue[];
}

/**
 * Reads each variable from `X` or from the file named by `X_FILE` (Docker and
 * Kubernetes secrets), the convention Grafana's `__FILE` variables made familiar.
 *
 * Empty strings count as unset: PocketBase's `$os.getenv` cannot tell the two
 * apart, and `AUTHELIA_X=` in a compose file usually means "not set".
 */
export function resolveEnv(names: readonly string[], env: EnvSource, readFile: ReadTextFile): ResolvedEnv {
  const values: Record<string, string | undefined> = {};
  const issues: ConfigIssue[] = [];

  for (const name of names) {
    const direct = nonEmpty(env[name]);
    const fileVariable = `${name}_FILE`;
    const path = nonEmpty(env[fileVariable]);

    if (direct !== undefined && path !== undefined) {
      issues.push({ variable: name, message: `both ${name} and ${fileVariable} are set; keep only one` });
      continue;
    }
    if (path === undefined) {
      values[name] = direct;
      continue;
    }
    const fromFile = readTrimmed(path, readFile);
    if (typeof fromFile === 'string') {
      values[name] = fromFile;
    } else {
      issues.push({ variable: fileVariable, message: fromFile.problem });
    }
  }
  return { values, issues };
}

function readTrimmed(path: string, readFile: ReadTextFile): string | { problem: string } {
  let content: string;
  try {
    content = readFile(path);
  } catch {
    // The underlying error may quote file content on some platforms: name the path only.
    return { problem: `cannot read the file "${path}"; check that it exists and that PocketBase may read it` };
  }
  const trimmed = content.trim();
  if (trimmed === '') {
    return { problem: `the file "${path}" is empty; put the value in it` };
  }
  return trimmed;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
