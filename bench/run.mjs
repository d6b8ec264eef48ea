// `npm run bench`: bundles the TypeScript benchmark (Node 20 cannot run TypeScript) and runs it.
// Dependencies stay in node_modules; the bundle goes to node_modules/.cache (ignored by git).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const versionsModule = fileURLToPath(new URL('../testkit/pocketbase-versions.js', import.meta.url));
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
    // pocketbase-versions.js finds the binaries relative to its own location: load the original.
    name: 'keep-versions-module',
    setup(b) {
      b.onResolve({ filter: /pocketbase-versions\.js$/ }, () => ({ path: versionsModule, external: true }));
    },
  }],
});
await import(new URL(`file://${outfile}`).href);
