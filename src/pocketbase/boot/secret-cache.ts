/**
 * PocketBase before 0.36.8 blanks the OAuth2 client secrets of the *cached*
 * collection whenever it serializes one (every time the dashboard shows a
 * collection), and from then on every OAuth2 login fails with "Failed to fetch
 * OAuth2 token" until a restart. Reloading the cache from the database after
 * each collection API response restores the secret. These endpoints are for
 * superusers only, so the extra query costs nothing anyone notices.
 */
export function reloadCollectionsAfter(e: { next(): void; app: CoreApp }): void {
  e.next();
  e.app.reloadCachedCollections();
}
