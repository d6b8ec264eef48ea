import { EMPTY_REGISTRY, parseRegistry, type GuardRegistry } from '../../core/guard/guard-registry.js';
import type { PublishedGuards } from '../../core/guard/guards.js';
import { GUARDS_STORE_KEY } from '../../core/stores/state.js';
import { storeReader } from './app-store.js';

// A plain table, not a collection: no API, not even a superuser's, reads or
// edits it, and an invalid or disabled boot (which never writes it) cannot
// erase it. It travels with the database in backups.
const TABLE = '_authelia';
const REGISTRY_KEY = 'guardRegistry';

export function ensureTable(app: CoreApp): void {
  app.db().newQuery(`CREATE TABLE IF NOT EXISTS {{${TABLE}}} ([[key]] TEXT PRIMARY KEY NOT NULL, [[value]] TEXT NOT NULL)`).execute();
}

export function readRegistry(app: CoreApp): GuardRegistry | { readonly problem: string } {
  const rows = arrayOf(new DynamicModel({ value: '' }));
  app.db().newQuery(`SELECT [[value]] FROM {{${TABLE}}} WHERE [[key]] = {:key}`).bind({ key: REGISTRY_KEY }).all(rows);
  const row = rows[0] as { value?: string } | undefined;
  return row ? parseRegistry(row.value) : EMPTY_REGISTRY;
}

export function writeRegistry(app: CoreApp, registry: GuardRegistry): void {
  app
    .db()
    .newQuery(`INSERT INTO {{${TABLE}}} ([[key]], [[value]]) VALUES ({:key}, {:value}) ON CONFLICT([[key]]) DO UPDATE SET [[value]] = excluded.[[value]]`)
    .bind({ key: REGISTRY_KEY, value: JSON.stringify(registry) })
    .execute();
}

export function publishGuards(app: CoreApp, guards: PublishedGuards): void {
  app.store().set(GUARDS_STORE_KEY, JSON.stringify(guards));
}

/** `undefined` before boot published them (a CLI command, not `serve`). */
export const loadGuards = storeReader<PublishedGuards>(GUARDS_STORE_KEY);

/** An `_externalAuths` row of a collection and provider slot the extension has managed: one of Authelia's links. */
export function isAutheliaLink(app: CoreApp, link: core.Record): boolean {
  return loadGuards(app)?.collections[link.getString('collectionRef')]?.providers?.includes(link.getString('provider')) ?? false;
}
