/**
 * PocketBase 0.28.4–0.38.0 keep the auth record a realtime (SSE) connection
 * was opened with even after its token key changes (0.38.1 unsets it itself):
 * a user whose sessions ended would go on receiving records that rules like
 * `@request.auth.id != ""` protect. So every connection signed in as the
 * record is dropped; the client reconnects as whoever its token says now.
 */
const AUTH_KEY = 'auth'; // apis.RealtimeClientAuthKey

export function dropRealtimeConnections(app: CoreApp, record: core.Record): number {
  const broker = app.subscriptionsBroker();
  const clients = broker.clients() as Record<string, subscriptions.Client | undefined>;
  const collectionId = record.collection().id;
  const ids = Object.keys(clients).filter((id) => {
    const auth = clients[id]?.get(AUTH_KEY) as core.Record | null | undefined;
    return !!auth && auth.id === record.id && auth.collection().id === collectionId;
  });
  // Collected first: unregistering changes the map being read.
  for (const id of ids) broker.unregister(id);
  return ids.length;
}

/** Every record a realtime connection is signed in as right now: its session lives as long as the connection. */
export function signedInConnections(app: CoreApp): string[] {
  const clients = app.subscriptionsBroker().clients() as Record<string, subscriptions.Client | undefined>;
  const ids = new Set<string>();
  for (const id of Object.keys(clients)) {
    const auth = clients[id]?.get(AUTH_KEY) as core.Record | null | undefined;
    if (auth) ids.add(auth.id);
  }
  return [...ids];
}
