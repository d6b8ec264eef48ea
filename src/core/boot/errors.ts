/** One problem with one environment variable. */
export interface ConfigIssue {
  /** The variable at fault, e.g. `AUTHELIA_URL` or `AUTHELIA_CLIENT_SECRET_FILE`. */
  readonly variable: string;
  /** Lowercase, says what is wrong and what to do. */
  readonly message: string;
}

/** Every problem in one line, so an operator fixes them all in one restart. */
export function formatIssues(issues: readonly ConfigIssue[]): string {
  const lines = issues.map((issue) => `${issue.variable}: ${issue.message}`);
  return `invalid Authelia configuration: ${lines.join('; ')}`;
}
