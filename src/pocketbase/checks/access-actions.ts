import type { ActiveState } from '../../core/stores/state.js';
import { decideLogin } from '../../core/login/login-decision.js';
import { revokeAccess, saveClaims, stageClaims } from '../login/access.js';

const GATE_REFUSAL = 'the allowed-groups gate (AUTHELIA_ALLOWED_GROUPS) refuses the user now';

export type ApplyOutcome = { readonly kind: 'applied'; readonly changed: boolean } | { readonly kind: 'refused'; readonly reason: string };

/**
 * What a check does with Authelia's verdict on an existing record: the same as
 * a login (gate, groups, membership, roles, profile), or take access away.
 * Passed in, so that the check does not depend on how the login path is built.
 */
export interface AccessActions {
  applyClaims(app: CoreApp, record: core.Record, claims: Record<string, unknown>, state: ActiveState): ApplyOutcome;
  revokeAccess(app: CoreApp, record: core.Record, why: string): void;
}

/** The login path's own rules (src/pocketbase/login/access.ts), applied and saved at once: a check has no linking step to wait for. */
export const ACCESS_ACTIONS: AccessActions = {
  applyClaims(app, record, claims, state) {
    // A record of a collection managed before AUTHELIA_COLLECTION moved: its fields are
    // retired (cleared, still guarded), so a current user keeps them empty; the gate still applies.
    if (record.collection().id !== state.collectionId) {
      const decision = decideLogin(claims, state.login);
      return decision.allowed ? { kind: 'applied', changed: false } : { kind: 'refused', reason: GATE_REFUSAL };
    }
    const staged = stageClaims(app, record, claims, state);
    if (staged.kind === 'refused') return { kind: 'refused', reason: GATE_REFUSAL };
    if (staged.changed) saveClaims(app, record, staged.fields);
    return { kind: 'applied', changed: staged.changed };
  },
  revokeAccess,
};
