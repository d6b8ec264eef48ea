// Which Authelia × PocketBase pairs a real-Authelia test runs on. `npm test`: the newest Authelia
// with the oldest and newest PocketBase. AUTHELIA_GRID=all (npm run test:authelia): every Authelia
// version × upstream 0.27.1, npm's 0.28.4 and 0.38.2, and upstream's newest. AUTHELIA_GRID may also
// list pairs, e.g. `4.38.0@0.27.1,4.39.20@0.40.4`.
import { AUTHELIA_NEWEST, AUTHELIA_VERSIONS, BUILT_POCKETBASE_VERSIONS } from '../../testkit/real/builds.js';

export type Pair = [autheliaVersion: string, pocketbaseVersion: string];

const POCKETBASE_GRID = [BUILT_POCKETBASE_VERSIONS[0]!, '0.28.4', '0.38.2', BUILT_POCKETBASE_VERSIONS.at(-1)!];
const OLDEST_AND_NEWEST_POCKETBASE = [BUILT_POCKETBASE_VERSIONS[0]!, BUILT_POCKETBASE_VERSIONS.at(-1)!];

/** The pairs of this run, for a test that holds on every version. */
export function gridPairs(): Pair[] {
  const wanted = process.env['AUTHELIA_GRID'];
  if (wanted === 'all') return AUTHELIA_VERSIONS.flatMap((a) => POCKETBASE_GRID.map((p): Pair => [a, p]));
  if (wanted) return wanted.split(',').map((pair) => pair.trim().split('@') as Pair);
  return OLDEST_AND_NEWEST_POCKETBASE.map((p): Pair => [AUTHELIA_NEWEST!, p]);
}

/** The guide's versions (its oldest Authelia with the oldest PocketBase) and the newest of both, plus the run's grid. */
export function journeyPairs(): Pair[] {
  const guide: Pair = [AUTHELIA_VERSIONS.at(-1)!, BUILT_POCKETBASE_VERSIONS[0]!];
  const pairs = [guide, ...gridPairs()];
  return pairs.filter((pair, i) => pairs.findIndex((other) => other[0] === pair[0] && other[1] === pair[1]) === i);
}
