// `npm run bench:cold`: only item 3 (the first login after a restart), with more restarts than
// `npm run bench` gives it, to compare builds. Prints first - warm per server, per restart.
import { NEWEST, selectVersions } from '../testkit/pocketbase-versions.js';
import { restarts } from './boot.js';
import { benchUser } from './codes.js';
import { warmUp } from './latency.js';
import { machine } from './report.js';
import { startPair } from './servers.js';
import { median } from './stats.js';

const count = Number(process.env['COLD_RESTARTS'] ?? 16);
const users = Array.from({ length: 20 }, (_, i) => benchUser(`user${i}`));
for (const version of selectVersions(process.env['BENCH_VERSIONS'], { variable: 'BENCH_VERSIONS', fallback: [NEWEST] })) {
  const before = machine();
  const pair = await startPair(version, users);
  try {
    await warmUp(pair, users);
    await warmUp(pair, users);
    const result = await restarts(pair, users, count);
    const line = (side: 'ext' | 'base' | 'floor') => `${side}: first - warm median ${median(result.coldExtra[side]).toFixed(2)} ms, boot median ${median(result.boot[side]).toFixed(1)} ms (first - warm per restart: ${result.coldExtra[side].map((ms) => ms.toFixed(1)).join(', ')})`;
    process.stdout.write(`PocketBase ${version}, ${count} restarts, load ${before.load} -> ${machine().load}\n${line('ext')}\n${line('base')}\n${line('floor')}\n` +
      `extension - baseline: cold ${(median(result.coldExtra.ext) - median(result.coldExtra.base)).toFixed(2)} ms, boot ${(median(result.boot.ext) - median(result.boot.base)).toFixed(1)} ms\n`);
  } finally {
    await pair.close();
  }
}
