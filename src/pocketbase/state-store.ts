import { STATE_STORE_KEY, type ExtensionState } from '../core/stores/state.js';
import { storeReader } from './stores/app-store.js';

export function saveState(app: CoreApp, state: ExtensionState): void {
  app.store().set(STATE_STORE_KEY, JSON.stringify(state));
}

/** `undefined` before boot has run (e.g. a CLI command, not `serve`). */
export const loadState = storeReader<ExtensionState>(STATE_STORE_KEY);
