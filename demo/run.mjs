// Node 20 cannot run TypeScript, so bundle the demo first; dependencies stay in node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['demo/main.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: '.demo/main.mjs',
  logLevel: 'warning',
});
await import(new URL('../.demo/main.mjs', import.meta.url).href);
