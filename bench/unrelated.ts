// Item 7: requests unrelated to login, with and without the extension: a list of a public
// collection (read path) and a record create in it (write path; the extension's guard hook runs
// for every record write and must pass other collections through at no visible cost).
import { POSTS, type Pair, type Side } from './servers.js';
import { median, type Comparison } from './stats.js';

export type UnrelatedKind = 'list' | 'create';

async function timedList(serverUrl: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${serverUrl}/api/collections/${POSTS}/records?perPage=20`);
  const body = (await response.json()) as { items?: unknown[] };
  const ms = performance.now() - started;
  if (!response.ok || body.items?.length !== 20) throw new Error(`listing ${POSTS} at ${serverUrl} failed: ${response.status}`);
  return ms;
}

async function timedCreate(serverUrl: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${serverUrl}/api/collections/${POSTS}/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'unrelated write' }),
  });
  await response.arrayBuffer();
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`creating a record in ${POSTS} at ${serverUrl} failed: ${response.status}`);
  return ms;
}

export async function unrelatedRequests(pair: Pair, options: { repeats: number; perRepeat: number }, kind: UnrelatedKind = 'list'): Promise<Comparison> {
  const timed = kind === 'list' ? timedList : timedCreate;
  const all: Record<'ext' | 'base', number[]> = { ext: [], base: [] };
  const repeats = [];
  for (let i = 0; i < 100; i++) for (const side of ['ext', 'base'] as const) await timed(pair.servers[side].url); // warm-up
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const round: Record<'ext' | 'base', number[]> = { ext: [], base: [] };
    for (let i = 0; i < options.perRepeat; i++) {
      const order: Side[] = i % 2 === 0 ? ['ext', 'base'] : ['base', 'ext'];
      for (const side of order) round[side as 'ext' | 'base'].push(await timed(pair.servers[side].url));
    }
    repeats.push({ ext: median(round.ext), base: median(round.base) });
    all.ext.push(...round.ext);
    all.base.push(...round.base);
  }
  return { ...all, repeats };
}
