// Item 7: a plain request unrelated to login (list a public collection), with and without the extension.
import { POSTS, type Pair, type Side } from './servers.js';
import { median, type Comparison } from './stats.js';

async function timedList(serverUrl: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${serverUrl}/api/collections/${POSTS}/records?perPage=20`);
  const body = (await response.json()) as { items?: unknown[] };
  const ms = performance.now() - started;
  if (!response.ok || body.items?.length !== 20) throw new Error(`listing ${POSTS} at ${serverUrl} failed: ${response.status}`);
  return ms;
}

export async function unrelatedRequests(pair: Pair, options: { repeats: number; perRepeat: number }): Promise<Comparison> {
  const all: Record<'ext' | 'base', number[]> = { ext: [], base: [] };
  const repeats = [];
  for (let i = 0; i < 100; i++) for (const side of ['ext', 'base'] as const) await timedList(pair.servers[side].url); // warm-up
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    const round: Record<'ext' | 'base', number[]> = { ext: [], base: [] };
    for (let i = 0; i < options.perRepeat; i++) {
      const order: Side[] = i % 2 === 0 ? ['ext', 'base'] : ['base', 'ext'];
      for (const side of order) round[side as 'ext' | 'base'].push(await timedList(pair.servers[side].url));
    }
    repeats.push({ ext: median(round.ext), base: median(round.base) });
    all.ext.push(...round.ext);
    all.base.push(...round.base);
  }
  return { ...all, repeats };
}
