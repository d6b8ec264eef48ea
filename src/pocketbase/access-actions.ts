import { decideLogin } from '../core/login-decision.js';
import type { ActiveState } from '../core/state.js';
import { applyManagedValues, withMembership } from './managed-values.js';
import { syncProfile } from './profile.js';

export type ApplyOutcome = { readonly kind: 'applied'; readonly changed: boolean } | { readonly kind: 'refused'; readonly reason: string };

/**
 * What a check does with Authelia's verdict on an existing record: the same as
 * a login (gate, groups, membership, roles, profile), or take access away.
 * Passed in, so the check and its tests do not depend on the login path.
 */
export interface AccessActions {
  applyClaims(app: CoreApp, record: core.Record, claims: Record<string, unknown>, state: ActiveState): ApplyOutcome;
  revokeAccess(app: CoreApp, record: core.Record, state: ActiveState, why: string): void;
}

/** Until the login path exposes its own: the login's rules, applied to an existing record. */
export const ACCESS_ACTIONS: AccessActions = {
  applyClaims(app, record, claims, state) {
    const decision = decideLogin(claims, state.login);
    if (!decision.allowed) return { kind: 'refused', reason: 'the allowed-groups gate refuses the user (AUTHELIA_ALLOWED_GROUPS)' };
    const values = withMembership(app, record, decision.values, state.login);
    const groupsChanged = applyManagedValues(record, values);
    const profileChanged = state.login.syncProfile && syncProfile(app, record, claims);
    if (groupsChanged || profileChanged) app.save(record);
    return { kind: 'applied', changed: groupsChanged || profileChanged };
  },
  revokeAccess(app, record, state) {
    for (const field of state.managedFields) {
      if (record.collection().fields.getByName(field)) record.set(field, []);
    }
    record.refreshTokenKey();
    app.save(record);
  },
};
