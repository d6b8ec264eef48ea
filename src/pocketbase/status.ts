import { LOGIN_PROBLEM_STORE_KEY } from '../core/state.js';
import { loadState } from './state-store.js';
import { revalidationStatus } from './revalidation-status.js';

/**
 * `GET /api/authelia/status`, superusers only: what boot decided (the secret
 * is never part of it), where the endpoints came from, and the last login
 * that did not go cleanly.
 */
export function status(e: core.RequestEvent): void {
  const problem: unknown = e.app.store().get(LOGIN_PROBLEM_STORE_KEY);
  const state = loadState(e.app) ?? { status: 'not-booted' };
  e.json(200, {
    ...state,
    ...(state.status === 'active' ? { clientSecret: '(redacted)' } : {}),
    ...(state.status === 'active' ? { revalidation: revalidationStatus(e.app, state) } : {}),
    lastLoginProblem: typeof problem === 'string' ? JSON.parse(problem) : null,
  });
}
