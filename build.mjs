// Compiles src/ into the drop-in pb_hooks/ folder that users copy.
// The output is committed; CI checks that it equals a fresh build. The operator CLI is not built
// here: scripts/cli.mjs builds it when it runs, scripts/pack.mjs when it makes the release zip.
import { build, transform } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { HEADER, HOOKS_TARGET, hooksBuildOptions } from './scripts/bundles.mjs';
import { bundledPackages, noticesText } from './scripts/notices.mjs';

const OUT = 'pb_hooks';

await rm(OUT, { recursive: true, force: true });
await mkdir(`${OUT}/authelia`, { recursive: true });

const { metafile } = await build({ ...hooksBuildOptions(`${OUT}/authelia`), metafile: true });

// The registration file is not bundled: PocketBase serializes its handlers.
const entry = await transform(await readFile('src/hooks/authelia.pb.ts', 'utf8'), {
  loader: 'ts',
  target: HOOKS_TARGET,
  format: 'esm',
});
await writeFile(`${OUT}/authelia.pb.js`, HEADER + entry.code.replace(/^\/\/\/ <reference .*\n/m, ''));

// Licences travel with the bundles (users copy the authelia/ folder): ours and the bundled packages'.
await copyFile('LICENSE', `${OUT}/authelia/LICENSE`);
await writeFile(`${OUT}/authelia/THIRD_PARTY_NOTICES.txt`, noticesText('pb_hooks/authelia/ (pocketbase-authelia)', bundledPackages([metafile])));
