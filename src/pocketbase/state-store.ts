import { STATE_STORE_KEY, type ExtensionState } from '../core/state.js';

export function saveState(app: CoreApp, state: ExtensionState): void {
  app.store().set(STATE_STORE_KEY, JSON.stringify(state));
}

// Each pooled runtime keeps the last state it parsed: every login reads the
// state, and parsing it again costs more than comparing the stored text.
// The only mutable module state in the extension; it is a cache, never a source.
let lastParsed: { readonly raw: string; readonly state: ExtensionState } | undefined;

/** `undefined` before boot has run (e.g. a CLI command, not `serve`). */
export function loadState(app: CoreApp): ExtensionState | undefined {
  const raw: unknown = app.store().get(STATE_STORE_KEY);
  if (typeof raw !== 'string') return undefined;
  if (lastParsed?.raw !== raw) lastParsed = { raw, state: JSON.parse(raw) as ExtensionState };
  return lastParsed.state;
}
