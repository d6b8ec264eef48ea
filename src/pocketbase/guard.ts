import { PENDING_VALUES_KEY } from '../core/state.js';
import type { ManagedValues } from '../core/login-decision.js';
import { managedFieldsFromEnv } from './targets.js';
import { applyManagedValues } from './managed-values.js';
import { loadState } from './state-store.js';

/**
 * Every create and update request to the collection (direct, `/api/batch`,
 * and the record PocketBase creates for a new OAuth2 user). Only a superuser
 * may write a managed field; everybody else is refused before anything is saved.
 */
export function onRecordWrite(e: core.RecordRequestEvent): void {
  const state = loadState(e.app);
  // Fail closed: without an active boot the names come straight from the environment.
  const protectedFields = state?.status === 'active' ? state.managedFields : managedFieldsFromEnv();

  if (!e.hasSuperuserAuth()) {
    const attempted = writtenFields(e.requestInfo().body).filter((field) => protectedFields.includes(field));
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

/** Body keys name fields directly or with PocketBase's `+field`, `field+`, `field-` modifiers. */
function writtenFields(body: Record<string, unknown> | undefined): string[] {
  return Object.keys(body ?? {}).map((key) => key.replace(/^\+/, '').replace(/[+-]$/, ''));
}
