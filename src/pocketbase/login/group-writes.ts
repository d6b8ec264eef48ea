import { GROUPS_GENERATION_KEY } from '../../core/stores/state.js';
import { loadState } from '../stores/app-store.js';

/**
 * A group record changed or went away (a rename changes what a membership
 * means): every login mark is stale (see login/fast-path.ts), so each user's
 * next login takes the full path. Registered for the guarded collections;
 * a write to the auth collection renews that record's own `updated` instead.
 */
export function onGuardedRecordWrite(e: core.RecordEvent): void {
  e.next();
  const state = loadState(e.app);
  if (state?.status === 'active' && e.record?.collection().id === state.collectionId) return;
  e.app.store().setFunc(GROUPS_GENERATION_KEY, (old: unknown) => (typeof old === 'number' ? old + 1 : 1));
}
