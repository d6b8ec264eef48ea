import { STATE_STORE_KEY, type ExtensionState } from '../core/state.js';

export function saveState(app: CoreApp, state: ExtensionState): void {
  app.store().set(STATE_STORE_KEY, JSON.stringify(state));
}

/** `undefined` before boot has run (e.g. a CLI command, not `serve`). */
export function loadState(app: CoreApp): ExtensionState | undefined {
  const raw: unknown = app.store().get(STATE_STORE_KEY);
  return typeof raw === 'string' ? (JSON.parse(raw) as ExtensionState) : undefined;
}
