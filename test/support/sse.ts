import type PocketBase from 'pocketbase';
// A realtime (SSE) subscriber over raw HTTP, as the SDK's realtime service does it, without an
// EventSource polyfill: GET /api/realtime, read PB_CONNECT, then POST the subscriptions with a token.

export interface RealtimeEvent {
  readonly name: string;
  readonly data: Record<string, unknown>;
}

export interface Subscriber {
  /** The next event, or `null` once the server closed the stream. */
  next(): Promise<RealtimeEvent | null>;
  /** Events up to the first one `stop` accepts (included), or all until the stream ends. */
  until(stop: (event: RealtimeEvent) => boolean): Promise<RealtimeEvent[]>;
  close(): void;
}

export async function subscribe(baseUrl: string, token: string, topics: readonly string[]): Promise<Subscriber> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/api/realtime`, { signal: abort.signal, headers: { accept: 'text/event-stream' } });
  if (!response.body) throw new Error('the realtime endpoint sent no stream');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const next = async (): Promise<RealtimeEvent | null> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event:(.*)$/m.exec(block)?.[1]?.trim() ?? 'message';
        const data = /^data:(.*)$/m.exec(block)?.[1]?.trim() ?? '{}';
        return { name, data: JSON.parse(data) as Record<string, unknown> };
      }
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch {
        return null; // aborted or reset
      }
      if (chunk.done) return null;
      buffer += chunk.value;
    }
  };
  const connect = await next();
  if (connect?.name !== 'PB_CONNECT') throw new Error(`expected PB_CONNECT, got ${JSON.stringify(connect)}`);
  const clientId = String(connect.data['clientId']);
  const posted = await fetch(`${baseUrl}/api/realtime`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify({ clientId, subscriptions: topics }),
  });
  if (posted.status !== 204) throw new Error(`subscribing answered ${posted.status}: ${await posted.text()}`);
  return {
    next,
    until: async (stop) => {
      const seen: RealtimeEvent[] = [];
      for (let event = await next(); event; event = await next()) {
        seen.push(event);
        if (stop(event)) break;
      }
      return seen;
    },
    close: () => abort.abort(),
  };
}

/**
 * A realtime feed of a members-only collection (rule `@request.auth.id != ""`) and a public one,
 * opened with `token`, already shown to deliver members' records. `membersSeenAfterwards()` creates
 * one record in each and returns the members' records the feed received before the public marker:
 * events reach a client in the order they happen, so an empty list means the connection is signed in
 * no more.
 */
export async function membersFeed(baseUrl: string, superuser: PocketBase, token: string): Promise<{ membersSeenAfterwards(): Promise<RealtimeEvent[]>; close(): void }> {
  const signedIn = '@request.auth.id != ""';
  await superuser.collections.create({ name: 'members_news', type: 'base', listRule: signedIn, viewRule: signedIn, fields: [{ name: 'title', type: 'text' }] });
  await superuser.collections.create({ name: 'public_news', type: 'base', listRule: '', viewRule: '', fields: [{ name: 'title', type: 'text' }] });
  const feed = await subscribe(baseUrl, token, ['members_news/*', 'public_news/*']);
  await superuser.collection('members_news').create({ title: 'before' });
  const first = await feed.next();
  if (first?.name !== 'members_news/*') {
    feed.close();
    throw new Error(`the feed should deliver members' records while signed in, got ${JSON.stringify(first)}`);
  }
  return {
    membersSeenAfterwards: async () => {
      await superuser.collection('members_news').create({ title: 'after' });
      await superuser.collection('public_news').create({ title: 'marker' });
      const seen = await feed.until((event) => event.name === 'public_news/*');
      return seen.filter((event) => event.name === 'members_news/*');
    },
    close: () => feed.close(),
  };
}
