/**
 * Reads a JSON value boot left in PocketBase's app store (shared by every
 * pooled runtime). Each runtime keeps the last value it parsed: handlers read
 * these on every login or write, and parsing again costs more than comparing
 * the stored text. These caches are the only mutable module state in the
 * extension; they never hold anything the store does not.
 */
export function storeReader<T>(key: string): (app: CoreApp) => T | undefined {
  let lastParsed: { readonly raw: string; readonly value: T } | undefined;
  return (app) => {
    const raw: unknown = app.store().get(key);
    if (typeof raw !== 'string') return undefined;
    if (lastParsed?.raw !== raw) lastParsed = { raw, value: JSON.parse(raw) as T };
    return lastParsed.value;
  };
}
