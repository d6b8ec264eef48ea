import { guardedNames } from '../../core/guard/guards.js';
import { decideLogin, managedFields } from '../../core/login/login-decision.js';
import type { ActiveState } from '../../core/stores/state.js';
import { logInfo, logWarn } from '../log.js';
import { applyManagedValues, withMembership } from './managed-values.js';
import { syncProfile } from './profile.js';
import { dropRealtimeConnections } from '../checks/realtime.js';
import { loadGuards } from '../stores/registry-store.js';
import { queueRevocation } from '../sign-out/revocation.js';
import { dropTokens, storedTokens } from '../stores/token-vault.js';

export type StagedClaims =
  | { readonly kind: 'applied'; readonly changed: boolean; readonly fields: readonly string[]; readonly warnings: readonly string[] }
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
  const fields = [...(groupsChanged ? managedFields(state.login) : []), ...(state.login.syncProfile ? syncProfile(app, record, claims) : [])];
  return { kind: 'applied', changed: fields.length > 0, fields, warnings: decision.warnings };
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
  endRecordSessions(app, record);
  retireStoredTokens(app, record.id);
  logInfo(app, `ended every session of a record and cleared its Authelia groups: ${why}`, 'record', record.id);
}

/**
 * A new `tokenKey` ends every token issued before it, for refreshes and API
 * rules alike, and open realtime connections are dropped. Saved without
 * validating the record: after a superuser adds a required field (or tightens
 * a pattern) older records no longer validate, and taking access away must
 * still happen. Only the token key and the managed fields change here.
 */
export function endRecordSessions(app: CoreApp, record: core.Record): void {
  record.refreshTokenKey();
  app.saveNoValidate(record);
  dropRealtimeConnections(app, record);
}

/**
 * Saves new claims (a login's or a check's): the `fields` they changed, written onto the record as
 * the database holds it now. Never the whole copy loaded before: a check waits on Authelia and a
 * login runs after PocketBase's own work, and saving that copy would write back whatever changed
 * meanwhile, a sign-out's new token key among it, which brings back every session the sign-out
 * ended. An unrelated field that no longer validates must not keep groups a user lost: the fields
 * other than the profile's are then written without validation (what AUTHELIA_SYNC_PROFILE would
 * change waits for a record that validates). Returns the record as saved (its new `updated` stamp),
 * or `undefined` when the record is gone.
 */
export function saveClaims(app: CoreApp, record: core.Record, fields: readonly string[]): core.Record | undefined {
  const current = findCurrent(app, record);
  if (!current) return undefined;
  for (const name of fields) current.set(name, record.get(name));
  try {
    app.save(current);
    return current;
  } catch (error) {
    const mapped = record.collection().oauth2.mappedFields;
    const profile = new Set(['email', 'verified', mapped.name, mapped.avatarURL]);
    const unvalidated = findCurrent(app, record);
    if (!unvalidated) return undefined;
    for (const name of fields) if (!profile.has(name)) unvalidated.set(name, record.get(name));
    app.saveNoValidate(unvalidated);
    logWarn(app, 'saved only the Authelia-managed fields of a record that does not validate; fix the record in the dashboard', 'record', record.id,
      'error', error instanceof Error ? error.message : String(error));
    return unvalidated;
  }
}

function findCurrent(app: CoreApp, record: core.Record): core.Record | undefined {
  try {
    return app.findRecordById(record.collection().id, record.id);
  } catch {
    return undefined; // deleted meanwhile: nothing left to save
  }
}

/**
 * No token left behind: the record's stored Authelia tokens are dropped and
 * their grant revoked at Authelia by the revocation job (taking access away
 * does not wait on Authelia, which may be the thing that is down).
 */
export function retireStoredTokens(app: CoreApp, recordId: string): void {
  const sealed = storedTokens(app, recordId);
  if (!sealed) return;
  queueRevocation(app, sealed, 'urgent');
  dropTokens(app, recordId);
}
