import type { ProviderSlot } from './variables.js';
import type { Endpoints } from './discovery.js';
import type { ConfigIssue } from './errors.js';
import type { LoginSettings } from './login-decision.js';

/**
 * What boot decided, handed to the login, guard and auth-methods handlers.
 * Handlers run in other JS runtimes than boot, so this travels as JSON through
 * PocketBase's app store; it never holds the client secret.
 */
export type ExtensionState =
  | { readonly status: 'disabled' }
  | { readonly status: 'invalid'; readonly issues: readonly ConfigIssue[] }
  | ActiveState;

export interface ActiveState {
  readonly status: 'active';
  readonly collectionId: string;
  readonly collectionName: string;
  readonly provider: ProviderSlot;
  readonly scopes: readonly string[];
  readonly login: LoginSettings;
  /** Fields nobody but Authelia (and a superuser) may write. */
  readonly managedFields: readonly string[];
  readonly endpointsSource: Endpoints['source'];
}

export const STATE_STORE_KEY = 'pocketbase-authelia.state';
/** Request-event key that carries a login's managed values to the record-create hook. */
export const PENDING_VALUES_KEY = 'pocketbase-authelia.pendingValues';
