// Where the Go-built test components live, and which versions exist (testkit/real/versions.json).
// Plain JS so that scripts/build-real.mjs can import it without a TypeScript loader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @typedef {{ toolchain: string, ldflags: string[] }} BuildSpec */
/** @type {{ authelia: Record<string, BuildSpec>, pocketbase: Record<string, BuildSpec> }} */
const versions = JSON.parse(readFileSync(new URL('./versions.json', import.meta.url), 'utf8'));

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE = fileURLToPath(new URL('../../.cache/', import.meta.url));

/** Authelia releases, newest first. */
export const AUTHELIA_VERSIONS = Object.keys(versions.authelia);
export const AUTHELIA_NEWEST = AUTHELIA_VERSIONS[0];
/** Upstream PocketBase releases built from the Go module, oldest first. */
export const BUILT_POCKETBASE_VERSIONS = Object.keys(versions.pocketbase);

/**
 * @typedef {{ kind: 'authelia' | 'pocketbase', version: string, spec: BuildSpec, module: string, binary: string }} RealBuild
 * @returns {RealBuild[]}
 */
export function realBuilds() {
  return /** @type {const} */ (['authelia', 'pocketbase']).flatMap((kind) =>
    Object.entries(versions[kind]).map(([version, spec]) => ({
      kind,
      version,
      spec,
      module: fileURLToPath(new URL(`./${kind}-${version}/`, import.meta.url)),
      binary: realBinary(kind, version),
    })),
  );
}

/**
 * @param {'authelia' | 'pocketbase'} kind
 * @param {string} version
 */
export function realBinary(kind, version) {
  return `${CACHE}${kind}/${version}/${kind}`;
}
