// The first step of npm test: what the end-to-end tests need beside node_modules. Debian's openssl
// (the private CA), caddy (the TLS reverse proxy), slapd and ldap-utils (Authelia's LDAP backend),
// sqlite3 (reading the real Authelia's storage) and chromium (the browser tests; never a downloaded
// browser), installed when missing and running as root,
// else named with the apt-get line; then the real Authelia and upstream PocketBase from their Go
// modules (npm run build:real), which the first run builds and later runs reuse from .cache/.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian package → the command it brings. */
const PACKAGES = {
  openssl: 'openssl',
  caddy: 'caddy',
  slapd: '/usr/sbin/slapd',
  'ldap-utils': 'ldapmodify',
  sqlite3: 'sqlite3',
  chromium: 'chromium',
};

const missing = Object.entries(PACKAGES).filter(([, command]) => !available(command)).map(([name]) => name);
if (missing.length > 0) {
  const line = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0 || !available('apt-get')) {
    console.error(`test setup: the end-to-end tests need Debian's ${missing.join(', ')}. Install them as root: apt-get update && ${line}`);
    process.exit(1);
  }
  console.log(`test setup: installing Debian's ${missing.join(', ')} (apt-get, once)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...missing]]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0) {
      console.error(`test setup: apt-get ${args[0]} failed (exit ${result.status}); run as root: apt-get update && ${line}`);
      process.exit(1);
    }
  }
}

const build = spawnSync(process.execPath, ['scripts/build-real.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

/** @param {string} command */
function available(command) {
  if (command.startsWith('/')) return existsSync(command);
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
