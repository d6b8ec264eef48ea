import {
  refreshedAtLogin, secondsLeft, shortTokenProblem, shortTokenWarning, SHORT_TOKEN_PROBLEM_KEY, SHORT_TOKEN_WARNED_KEY, STRICT_REFUSAL, type ShortTokenProblem,
} from '../../core/login/token-lifespan-rules.js';
import type { ActiveState } from '../../core/stores/state.js';
import { logInfo, logWarn } from '../log.js';
import { storeReader } from '../stores/app-store.js';

const loadProblem = storeReader<ShortTokenProblem>(SHORT_TOKEN_PROBLEM_KEY);

/**
 * First in an Authelia login, before anything stores, revokes or presents its tokens: when the
 * access token expired so soon that PocketBase refreshed it before reading userinfo (see
 * src/core/login/token-lifespan-rules.ts), both tokens on the event are dead (the refresh token spent,
 * the access token revoked by the rotation), so they are blanked and never reach Authelia again.
 * The operator is told once per start in the log and on the status page until a login with a
 * longer token; AUTHELIA_STRICT refuses such a login.
 */
export function dropTokensRefreshedAtLogin(app: CoreApp, user: auth.AuthUser | undefined, state: ActiveState): void {
  if (!user) return;
  const now = Date.now();
  const expiry = user.expiry;
  // To the millisecond: unix() would cut up to a second off.
  const expiresAt = expiry && !expiry.isZero() ? expiry.time().unixMilli() : undefined;
  if (expiresAt === undefined || !refreshedAtLogin(expiresAt, now)) {
    if (app.store().has(SHORT_TOKEN_PROBLEM_KEY)) app.store().remove(SHORT_TOKEN_PROBLEM_KEY);
    return;
  }
  user.accessToken = '';
  user.refreshToken = '';
  const left = secondsLeft(expiresAt, now);
  app.store().set(SHORT_TOKEN_PROBLEM_KEY, JSON.stringify(shortTokenProblem(left, now, loadProblem(app))));
  let first = false;
  app.store().setFunc(SHORT_TOKEN_WARNED_KEY, (old: unknown) => {
    first = old !== true;
    return true;
  });
  if (first) logWarn(app, shortTokenWarning(left, state.strict), 'secondsLeft', left);
  if (state.strict) {
    const rawUser = user.rawUser as Record<string, unknown> | undefined;
    logInfo(app, "login refused: Authelia's access token expired within 10 s of the sign-in (AUTHELIA_STRICT)", 'sub', String(rawUser?.['sub'] ?? ''), 'secondsLeft', left);
    throw new ApiError(500, STRICT_REFUSAL);
  }
}

/** The status page's `autheliaConfigurationProblems`: Authelia settings that the logins showed to be wrong. */
export function autheliaConfigurationProblems(app: CoreApp): ShortTokenProblem[] {
  const problem = loadProblem(app);
  return problem ? [problem] : [];
}
