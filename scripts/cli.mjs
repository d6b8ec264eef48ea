// `npm run authelia-config -- ...` / `npm run authelia-check -- ...` in a checkout: builds the CLI
// from src/cli (a fraction of a second, so it is never stale) into .tmp/ (ignored by git) and runs
// it in this process with the same arguments. Servers without the sources use the copy in the
// release zip instead (`npm run pack`).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI_FILE, ROOT, buildCli } from './bundles.mjs';

const outfile = join(ROOT, '.tmp/cli', CLI_FILE);
await buildCli(outfile);
// npm runs scripts in the project directory; a relative --secret-file means the user's directory.
if (process.env['INIT_CWD']) process.chdir(process.env['INIT_CWD']);
// The CLI reads process.argv.slice(2): `node scripts/cli.mjs check ...` gives it `check ...`.
await import(pathToFileURL(outfile).href);
