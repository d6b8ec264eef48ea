import { forbiddenWrites, guardedNames } from '../../core/guard/guards.js';
import type { ManagedValues } from '../../core/login/login-decision.js';
import { PENDING_VALUES_KEY } from '../../core/stores/state.js';
import { applyManagedValues } from '../login/managed-values.js';
import { loadGuards } from '../stores/registry-store.js';

/**
 * Every create and update request to any collection (direct, `/api/batch`,
 * and the record PocketBase creates for a new OAuth2 user). It is not tagged
 * with a collection name: a name in another letter case, an id or a rename
 * would slip past a tag. Collections without managed fields pass after one
 * lookup. Only a superuser may write a managed field.
 */
export function onRecordWrite(e: core.RecordRequestEvent): void {
  const guards = loadGuards(e.app);
  const collection = e.collection;
  if (!collection) {
    e.next();
    return;
  }
  if (!guards) {
    // Boot has not published its guards (it failed first): refuse what cannot be checked.
    if (collection.isAuth() && !e.hasSuperuserAuth()) throw new BadRequestError('Authelia login failed to start; ask an administrator to check the log.');
    e.next();
    return;
  }
  const guard = guards.collections[collection.id];
  if (!guard) {
    e.next();
    return;
  }

  if (!e.hasSuperuserAuth()) {
    const fields = collection.fields;
    const attempted = forbiddenWrites(e.requestInfo().body, guardedNames(guard, (id) => fields.getById(id)?.getName()));
    if (attempted.length > 0) {
      throw new BadRequestError(`${attempted.join(', ')} ${attempted.length > 1 ? 'are' : 'is'} managed by Authelia and cannot be set by clients.`);
    }
  }

  const pending: unknown = e.get(PENDING_VALUES_KEY);
  if (e.record && typeof pending === 'string' && e.requestInfo().context === 'oauth2') {
    applyManagedValues(e.record, JSON.parse(pending) as ManagedValues);
  }
  e.next();
}
