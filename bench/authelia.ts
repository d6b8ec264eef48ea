// `npm run bench:authelia`: what the checks after the login cost the real Authelia, and the sweep at
// 10,000 linked records (against the stand-in, on loopback). Prints a table and, last, one summary
// line; writes bench/authelia-results.md, whose table the README's "Performance" section carries.
// BENCH_QUICK=1: a short smoke pass (fewer users and records, shorter windows), nothing written.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NEWEST } from '../testkit/pocketbase-versions.js';
import { autheliaCost } from './authelia-cost.js';
import { renderAutheliaBench } from './authelia-report.js';
import { machine } from './report.js';
import { sweepAtScale } from './sweep-scale.js';

const quick = process.env['BENCH_QUICK'] === '1';
const version = process.env['BENCH_VERSIONS']?.split(',')[0]?.trim() || NEWEST;
const log = (line: string) => process.stderr.write(`[bench:authelia] ${line}\n`);

const started = performance.now();
const before = machine();
// BENCH_PART=cost|scale runs one half (while working on it); the summary needs both.
const part = process.env['BENCH_PART'];
const cost = part === 'scale' ? undefined : await autheliaCost({
  pocketbaseVersion: version,
  users: quick ? 6 : 20,
  cycles: quick ? 2 : 5,
  loginRounds: quick ? 2 : 8,
  tokenWindowSeconds: quick ? 240 : 600,
  log,
});
// Kept as soon as they exist: the scale half comes after 25 minutes of these.
if (cost) await writeFile(resolve('.tmp/bench/authelia-cost.json'), JSON.stringify(cost, null, 2));
const scale = part === 'cost' ? undefined : await sweepAtScale({ version, records: quick ? 1_000 : 10_000, ...(quick ? { idleAfterMs: 40_000 } : {}), log });
const after = machine();
if (!cost || !scale) {
  process.stdout.write(`${JSON.stringify(cost ?? scale, null, 2)}\n`);
  process.exit(0);
}

const { markdown, line } = renderAutheliaBench({ cost, scale, version, before, after, seconds: (performance.now() - started) / 1000 });
if (!quick) await writeFile(resolve('bench/authelia-results.md'), `${markdown}\n\nSummary line:\n\n    ${line}\n`);
log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s${quick ? ' (quick pass: bench/authelia-results.md not written)' : '; wrote bench/authelia-results.md'}`);
process.stdout.write(`${markdown}\n\n${line}\n`);
