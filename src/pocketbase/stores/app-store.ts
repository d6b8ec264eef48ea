import { STATE_STORE_KEY, type ExtensionState } from '../../core/stores/state.js';

/**
 * Reads a JSON value boot left in PocketBase's app store (shared by every
 * pooled runtime). Each runtime keeps the last value it parsed: handlers read
 * these on every login or write, and parsing again costs more than comparing
 * the stored text. These caches are the only mutable module state in the
 * extension; they never hold anything the store does not. Marked free of side effects so that a
 * bundle drops the readers it never calls (loadState lives here, beside every reader's home).
 */
/* @__NO_SIDE_EFFECTS__ */
export function storeReader<T>(key: string): (app: CoreApp) => T | undefined {
  let lastParsed: { readonly raw: string; readonly value: T } | undefined;
  return (app) => {
    const raw: unknown = app.store().get(key);
    if (typeof raw !== 'string') return undefined;
    if (lastParsed?.raw !== raw) lastParsed = { raw, value: JSON.parse(raw) as T };
    return lastParsed.value;
  };
}

export function saveState(app: CoreApp, state: ExtensionState): void {
  app.store().set(STATE_STORE_KEY, JSON.stringify(state));
}

/** What boot decided; `undefined` before boot has run (e.g. a CLI command, not `serve`). */
export const loadState = storeReader<ExtensionState>(STATE_STORE_KEY);
