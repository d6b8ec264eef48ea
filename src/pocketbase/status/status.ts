import { guardedNames, type PublishedGuards } from '../../core/guard/guards.js';
import { LOGIN_PROBLEM_STORE_KEY } from '../../core/stores/state.js';
import { loadGuards } from '../stores/registry-store.js';
import { loadState } from '../stores/app-store.js';
import { revalidationStatus } from './checks-status.js';
import { signOutCounts } from '../sign-out/revocation.js';
import { relinkStatus } from '../login/relink.js';
import { autheliaConfigurationProblems } from '../login/token-lifespan.js';

/**
 * `GET /api/authelia/status`, superusers only: what boot decided (the secret
 * is never part of it), where the endpoints came from, which fields clients
 * may not write, Authelia settings the logins showed to be wrong, the last login
 * that did not go cleanly, and records relinked to a new Authelia subject.
 */
export function status(e: core.RequestEvent): void {
  const problem: unknown = e.app.store().get(LOGIN_PROBLEM_STORE_KEY);
  const state = loadState(e.app) ?? { status: 'not-booted' };
  const guards = loadGuards(e.app);
  e.json(200, {
    ...state,
    ...(state.status === 'active' ? { clientSecret: '(redacted)' } : {}),
    ...(state.status === 'active' ? { revalidation: revalidationStatus(e.app, state) } : {}),
    autheliaOnly: guards?.authOnly ?? null,
    guarded: guards ? describeGuards(e.app, guards) : null,
    autheliaConfigurationProblems: autheliaConfigurationProblems(e.app),
    lastLoginProblem: typeof problem === 'string' ? JSON.parse(problem) : null,
    signOut: signOutCounts(e.app),
    // Records moved to a new Authelia subject since the start; several within the hour: Authelia's storage was probably reset.
    ...relinkStatus(e.app),
  });
}

function describeGuards(app: CoreApp, guards: PublishedGuards): Array<{ collection: string; fields: string[]; providers: readonly string[] }> {
  return Object.entries(guards.collections).map(([id, guard]) => {
    let collection: core.Collection | undefined;
    try {
      collection = app.findCachedCollectionByNameOrId(id);
    } catch {
      collection = undefined;
    }
    const fields = collection?.fields;
    return { collection: collection?.name ?? id, fields: guardedNames(guard, (fieldId) => fields?.getById(fieldId)?.getName()).sort(), providers: guard.providers };
  });
}
