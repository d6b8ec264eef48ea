/**
 * Stable error codes. Callers (and the bundle boundary: the entry file and the
 * bundles are separate programs, so `instanceof` is unreliable there) test
 * `error.code`, never the wording.
 */
export const ErrorCode = {
  ConfigInvalid: 'AUTHELIA_CONFIG_INVALID',
  DiscoveryFailed: 'AUTHELIA_DISCOVERY_FAILED',
  CollectionInvalid: 'AUTHELIA_COLLECTION_INVALID',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One problem with one environment variable. */
export interface ConfigIssue {
  /** The variable at fault, e.g. `AUTHELIA_URL` or `AUTHELIA_CLIENT_SECRET_FILE`. */
  readonly variable: string;
  /** Lowercase, says what is wrong and what to do. */
  readonly message: string;
}

export class AutheliaError extends Error {
  override readonly name = 'AutheliaError';
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Every invalid variable at once, so an operator fixes them in one restart. */
export class ConfigError extends AutheliaError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(ErrorCode.ConfigInvalid, formatIssues(issues));
    this.issues = issues;
  }
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((issue) => `${issue.variable}: ${issue.message}`);
  return `invalid Authelia configuration: ${lines.join('; ')}`;
}
