// Debian's OpenLDAP server (slapd) as Authelia's user backend, on loopback with its own config and
// data folder: stopping it is exactly the user-backend outage that Authelia's userinfo answers with
// its fallback. Users and groups are written with slapadd before the start and ldapmodify after.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../pocketbase.js';
import type { LdapBackend, RealUser } from './config.js';

const run = promisify(execFile);
const BASE_DN = 'dc=example,dc=test';
const ROOT_DN = `cn=admin,${BASE_DN}`;
const ROOT_PASSWORD = 'ldap-admin-password';
const SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];

export interface Slapd {
  readonly backend: LdapBackend;
  /** Writes the users' groups as they are now (groups nobody is in are deleted). */
  setUsers(users: readonly RealUser[]): Promise<void>;
  /** Deletes a user's entry (and their memberships). */
  removeUser(username: string, users: readonly RealUser[]): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startSlapd(users: readonly RealUser[]): Promise<Slapd> {
  for (const tool of ['slapd', 'slapadd', 'ldapmodify']) {
    const found = await run('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]).then(() => true, () => false);
    if (!found) throw new Error(`${tool} is not installed: apt-get install slapd ldap-utils (npm test installs them when run as root)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'slapd-'));
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const conf = join(dir, 'slapd.conf');
  await mkdir(join(dir, 'data'));
  await writeFile(conf, [
    ...SCHEMAS.map((schema) => `include /etc/ldap/schema/${schema}.schema`),
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `pidfile ${dir}/slapd.pid`,
    'database mdb',
    'maxsize 10485760',
    `suffix "${BASE_DN}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ROOT_PASSWORD}`,
    `directory ${dir}/data`,
    '',
  ].join('\n'));
  const initial = join(dir, 'initial.ldif');
  await writeFile(initial, [baseEntries(), ...users.map(userEntry), ...groupEntries(users)].join('\n'));
  await run('/usr/sbin/slapadd', ['-f', conf, '-l', initial]);

  let child: ChildProcess | undefined;
  let output = '';
  const knownGroups = new Set(groupNames(users));
  const modify = async (ldif: string) => {
    if (!ldif.trim()) return;
    const file = join(dir, 'change.ldif');
    await writeFile(file, ldif);
    await run('ldapmodify', ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-c', '-f', file]).catch((error: { stderr?: string }) => {
      throw new Error(`ldapmodify failed: ${error.stderr ?? String(error)}`);
    });
  };
  const start = async () => {
    const proc = spawn('/usr/sbin/slapd', ['-f', conf, '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`slapd exited with ${proc.exitCode}: ${output}`);
      const ready = await run('ldapsearch', ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-b', BASE_DN, '-s', 'base', 'dn']).then(() => true, () => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`slapd did not answer on ${url} within 10 s: ${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((done) => proc.once('exit', done));
    proc.kill('SIGTERM');
    await exited;
  };
  await start();
  const slapd: Slapd = {
    backend: { url, baseDn: BASE_DN, bindDn: ROOT_DN, bindPassword: ROOT_PASSWORD },
    setUsers: async (now) => {
      const changes: string[] = [];
      const wanted = new Set(groupNames(now));
      for (const group of knownGroups) if (!wanted.has(group)) changes.push(`dn: cn=${group},ou=groups,${BASE_DN}\nchangetype: delete\n`);
      for (const group of wanted) {
        const members = memberDns(now, group);
        changes.push(knownGroups.has(group)
          ? `dn: cn=${group},ou=groups,${BASE_DN}\nchangetype: modify\nreplace: member\n${members.map((m) => `member: ${m}`).join('\n')}\n`
          : `dn: cn=${group},ou=groups,${BASE_DN}\nchangetype: add\nobjectClass: groupOfNames\ncn: ${group}\n${members.map((m) => `member: ${m}`).join('\n')}\n`);
      }
      await modify(changes.join('\n'));
      knownGroups.clear();
      for (const group of wanted) knownGroups.add(group);
    },
    removeUser: async (username, remaining) => {
      await slapd.setUsers(remaining.filter((u) => u.username !== username));
      await modify(`dn: uid=${username},ou=users,${BASE_DN}\nchangetype: delete\n`);
    },
    stop,
    start,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return slapd;
}

function baseEntries(): string {
  return [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example\n`,
    `dn: ou=users,${BASE_DN}\nobjectClass: organizationalUnit\nou: users\n`,
    `dn: ou=groups,${BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n`,
  ].join('\n');
}

function userEntry(user: RealUser): string {
  return [
    `dn: uid=${user.username},ou=users,${BASE_DN}`,
    'objectClass: inetOrgPerson',
    `uid: ${user.username}`,
    `cn: ${user.displayname ?? user.username}`,
    `sn: ${user.username}`,
    ...(user.email ? [`mail: ${user.email}`] : []),
    `userPassword: ${user.password}`,
    '',
  ].join('\n');
}

function groupNames(users: readonly RealUser[]): string[] {
  return [...new Set(users.flatMap((user) => user.groups ?? []))];
}

function memberDns(users: readonly RealUser[], group: string): string[] {
  return users.filter((user) => user.groups?.includes(group)).map((user) => `uid=${user.username},ou=users,${BASE_DN}`);
}

// groupOfNames needs at least one member: a group nobody is in has no entry.
function groupEntries(users: readonly RealUser[]): string[] {
  return groupNames(users).map((group) => [
    `dn: cn=${group},ou=groups,${BASE_DN}`,
    'objectClass: groupOfNames',
    `cn: ${group}`,
    ...memberDns(users, group).map((dn) => `member: ${dn}`),
    '',
  ].join('\n'));
}
