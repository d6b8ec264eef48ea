// `npm run bench`: bundles the TypeScript benchmark (Node 20 cannot run TypeScript) and runs it.
// Dependencies stay in node_modules; the bundle goes to node_modules/.cache (ignored by git).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

// Modules that find files relative to their own location: loaded from where they are, not bundled.
/** @type {Record<string, string>} */
const inPlace = {
  'pocketbase-versions.js': fileURLToPath(new URL('../testkit/pocketbase-versions.js', import.meta.url)),
  'builds.js': fileURLToPath(new URL('../testkit/real/builds.js', import.meta.url)),
};
// `node bench/run.mjs [entry.ts]`: main.ts (the benchmark) unless another entry is named.
const entry = process.argv[2] ?? 'main.ts';
const outfile = fileURLToPath(new URL(`../.tmp/bench/${entry.replace(/\.ts$/, '')}.mjs`, import.meta.url));

await build({
  entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile,
  logLevel: 'warning',
  plugins: [{
    // pocketbase-versions.js and real/builds.js find the binaries relative to their own location: load the originals.
    name: 'keep-modules-in-place',
    setup(b) {
      b.onResolve({ filter: /(pocketbase-versions|real\/builds)\.js$/ }, (args) => ({ path: inPlace[args.path.split('/').pop() ?? ''] ?? args.path, external: true }));
    },
  }],
});
await import(new URL(`file://${outfile}`).href);
