import { guardedNames } from '../core/guards.js';
import { decideLogin } from '../core/login-decision.js';
import type { ActiveState } from '../core/state.js';
import { logInfo } from './log.js';
import { applyManagedValues, withMembership } from './managed-values.js';
import { syncProfile } from './profile.js';
import { loadGuards } from './registry-store.js';

export type StagedClaims =
  | { readonly kind: 'applied'; readonly changed: boolean; readonly warnings: readonly string[] }
  | { readonly kind: 'refused'; readonly reason: string; readonly groups: readonly string[]; readonly warnings: readonly string[] };

/**
 * Makes an existing record's managed fields (and, with AUTHELIA_SYNC_PROFILE,
 * its profile) exactly what these claims grant, in memory only: the caller
 * decides when to save (a login saves only after PocketBase linked the record).
 * A refusal by the allowed-groups gate changes nothing here.
 */
export function stageClaims(app: CoreApp, record: core.Record, claims: Readonly<Record<string, unknown>>, state: ActiveState): StagedClaims {
  const decision = decideLogin(claims, state.login);
  if (!decision.allowed) return { kind: 'refused', reason: decision.reason, groups: decision.groups, warnings: decision.warnings };
  const groupsChanged = applyManagedValues(record, withMembership(app, decision.values, state.login));
  const profileChanged = state.login.syncProfile && syncProfile(app, record, claims);
  return { kind: 'applied', changed: groupsChanged || profileChanged, warnings: decision.warnings };
}

/**
 * Takes away everything Authelia granted and ends every session of the record:
 * its guarded fields (as boot published them, so this works whatever the
 * configuration says now) are emptied, and a new `tokenKey` makes each token
 * issued before it invalid, for refreshes and for API rules alike.
 */
export function revokeAccess(app: CoreApp, record: core.Record, why: string): void {
  const collection = record.collection();
  const guard = loadGuards(app)?.collections[collection.id];
  for (const name of guard ? guardedNames(guard, (id) => collection.fields.getById(id)?.getName()) : []) {
    // Lists only: a name guarded from an invalid configuration may be some other field.
    const type = collection.fields.getByName(name)?.type();
    if (type === 'json' || type === 'select' || type === 'relation') record.set(name, []);
  }
  record.refreshTokenKey();
  app.save(record);
  logInfo(app, `ended every session of a record and cleared its Authelia groups: ${why}`, 'record', record.id);
}
