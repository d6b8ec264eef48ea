// Entry point of the operator CLI, bundled into one Node file by scripts/bundles.mjs (run it with
// `npm run authelia-config` / `npm run authelia-check` in a checkout, or from the release zip).
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { normalizePocketBaseUrl, runAutheliaConfig } from './authelia-config.js';
import { formatLine, runChecks, summary } from './check.js';

const USAGE = `Usage: pocketbase-authelia <command> [options]

Commands:
  authelia-config --pocketbase-url URL   print the Authelia client YAML and the PocketBase variables
      --authelia-url URL     Authelia's root URL (default: AUTHELIA_URL, else a placeholder)
      --client-id ID         default: AUTHELIA_CLIENT_ID, else pocketbase
      --client-name NAME     shown on Authelia's consent page (default: PocketBase)
      --policy POLICY        one_factor, two_factor (default) or a named authorization policy
      --consent MODE         pre-configured (default: consent asked once, then remembered), explicit,
                             implicit (not with offline access) or auto
      --scopes "S1 S2"       default: AUTHELIA_SCOPES, else openid email profile groups
      --no-groups            do not add the groups scope
      --no-offline-access    leave out offline_access and the refresh_token grant (on by default, so that
                             PocketBase can re-check users with Authelia for the whole session)
      --secret-file PATH     reuse the secret in PATH instead of generating one
  check [--pocketbase-url URL]           check the AUTHELIA_* environment against Authelia

Exit codes: 0 success, 1 errors found, 2 bad usage.
`;

const COMMANDS = {
  'authelia-config': {
    'pocketbase-url': { type: 'string' },
    'authelia-url': { type: 'string' },
    'client-id': { type: 'string' },
    'client-name': { type: 'string' },
    policy: { type: 'string' },
    consent: { type: 'string' },
    scopes: { type: 'string' },
    'no-groups': { type: 'boolean' },
    'no-offline-access': { type: 'boolean' },
    'secret-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  check: {
    'pocketbase-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
} as const satisfies Record<string, NonNullable<ParseArgsConfig['options']>>;

const out = (text: string) => process.stdout.write(text);
const err = (text: string) => process.stderr.write(text);
const readFile = (path: string) => readFileSync(path, 'utf8');

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'authelia-config' && command !== 'check') {
    err(`unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  let values: Readonly<Record<string, unknown>>;
  try {
    const options: NonNullable<ParseArgsConfig['options']> = COMMANDS[command];
    ({ values } = parseArgs({ args: [...rest], options, strict: true, allowPositionals: false }));
  } catch (error) {
    err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (values['help']) {
    out(USAGE);
    return 0;
  }
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);

  if (command === 'authelia-config') {
    const pocketbaseUrl = text('pocketbase-url');
    if (pocketbaseUrl === undefined) {
      err(`authelia-config needs --pocketbase-url, PocketBase's public URL (e.g. https://pb.example.com)\n\n${USAGE}`);
      return 2;
    }
    return runAutheliaConfig({
      pocketbaseUrl,
      autheliaUrl: text('authelia-url'),
      clientId: text('client-id'),
      clientName: text('client-name'),
      policy: text('policy'),
      consent: text('consent'),
      scopes: text('scopes'),
      noGroups: values['no-groups'] === true,
      noOfflineAccess: values['no-offline-access'] === true,
      secretFile: text('secret-file'),
    }, { env: process.env, readFile, out, err });
  }

  let pocketbaseUrl: string | undefined;
  const rawUrl = text('pocketbase-url');
  if (rawUrl !== undefined) {
    const normalized = normalizePocketBaseUrl(rawUrl);
    if (typeof normalized !== 'string') {
      err(`--pocketbase-url: ${normalized.problem}\n`);
      return 2;
    }
    pocketbaseUrl = normalized;
  }
  const lines = await runChecks({ env: process.env, readFile, fetch, pocketbaseUrl });
  for (const item of lines) out(`${formatLine(item)}\n`);
  out(`${summary(lines)}\n`);
  return lines.some((item) => item.level === 'error') ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    err(`pocketbase-authelia: unexpected failure: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
