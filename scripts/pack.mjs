// `npm run pack`: dist/pocketbase-authelia-<version>.zip, the release artifact. It holds the
// pb_hooks/ files exactly as committed, the operator CLI as one Node file (built from src/cli here,
// its packages' licences in THIRD_PARTY_NOTICES.txt), LICENSE and INSTALL.txt. No zip tool is assumed, so this writes
// the zip format itself (PKWARE APPNOTE 6.3: local headers, central directory, end record), with
// fixed timestamps and a fixed file order: the same sources give the same bytes.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { bundleCli, CLI_FILE } from './bundles.mjs';
import { bundledPackages, noticesText } from './notices.mjs';

/** @typedef {{ name: string, data: Buffer }} ZipEntry */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 (ISO-HDLC: poly 0xEDB88320, init and final xor 0xFFFFFFFF), as zip requires. */
export function crc32(/** @type {Uint8Array} */ bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = /** @type {number} */ (CRC_TABLE[(crc ^ byte) & 0xff]) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// MS-DOS date and time of every entry: 1980-01-01 00:00:00, the earliest a zip can say.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const VERSION = 20; // 2.0: deflate
const MADE_BY_UNIX = (3 << 8) | VERSION; // so that unzip applies the mode below
const FILE_MODE = 0o100644; // regular file, rw-r--r--
const UTF8_NAMES = 0x0800;

/**
 * A zip of the entries, in the given order. Each is deflated, or stored when deflate does not help.
 * @param {readonly ZipEntry[]} entries
 */
export function zip(entries) {
  /** @type {Buffer[]} */
  const parts = [];
  /** @type {Buffer[]} */
  const directory = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const deflated = deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const method = stored ? 0 : 8;
    const crc = crc32(data);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28); // no extra field

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(MADE_BY_UNIX, 4);
    central.writeUInt16LE(VERSION, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    // extra length, comment length, disk number, internal attributes: all 0
    central.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);

    parts.push(local, nameBytes, body);
    directory.push(central, nameBytes);
    offset += local.length + nameBytes.length + body.length;
  }
  const directorySize = directory.reduce((size, part) => size + part.length, 0);
  if (entries.length > 0xffff || offset + directorySize > 0xffffffff) throw new RangeError('zip64 is not supported');

  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  // disk numbers: 0
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directorySize, 12);
  end.writeUInt32LE(offset, 16);
  // no comment
  return Buffer.concat([...parts, ...directory, end]);
}

/** Every file under `dir`, as sorted `/`-separated paths relative to `base`. */
function filesUnder(/** @type {string} */ dir, /** @type {string} */ base) {
  /** @type {string[]} */
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(path, base));
    else if (entry.isFile()) files.push(relative(base, path).split(sep).join('/'));
  }
  return files.sort();
}

/** @param {{ version: string, homepage?: string }} pkg */
export function installText(pkg) {
  const readme = pkg.homepage ? `${pkg.homepage}#readme` : 'README.md in the pocketbase-authelia repository';
  return [
    `pocketbase-authelia ${pkg.version}: Authelia single sign-on and group sync for PocketBase.`,
    '',
    "1. Copy the contents of this pb_hooks folder into your PocketBase's pb_hooks folder (next to pb_data).",
    `2. Register PocketBase as an OpenID Connect client in Authelia: node ${CLI_FILE} authelia-config`,
    '   --pocketbase-url https://<your PocketBase> prints the client, a secret and its digest (needs only Node.js 20+).',
    "3. Set AUTHELIA_URL=<Authelia's root URL> and AUTHELIA_CLIENT_SECRET_FILE=<file holding the client secret>;",
    `   node ${CLI_FILE} check checks them against Authelia.`,
    '4. Restart PocketBase; its log says "Authelia login is on".',
    '',
    `Every setting, the Authelia client and troubleshooting: ${readme}`,
    '',
  ].join('\n');
}

/**
 * The artifact's entries: INSTALL.txt, LICENSE, the CLI and its notices, then every file of
 * `<root>/pb_hooks` (which carries its own notices), in sorted order.
 * @param {string} root the project directory
 * @returns {Promise<{ name: string, entries: ZipEntry[] }>}
 */
export async function releaseEntries(root) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const hooks = filesUnder(join(root, 'pb_hooks'), root);
  if (!hooks.includes('pb_hooks/authelia.pb.js')) throw new Error('pb_hooks/authelia.pb.js is missing; run node build.mjs');
  const cli = await bundleCli();
  return {
    name: `pocketbase-authelia-${pkg.version}.zip`,
    entries: [
      { name: 'INSTALL.txt', data: Buffer.from(installText(pkg), 'utf8') },
      { name: 'LICENSE', data: readFileSync(join(root, 'LICENSE')) },
      { name: 'THIRD_PARTY_NOTICES.txt', data: Buffer.from(noticesText(`${CLI_FILE} (the pocketbase-authelia CLI)`, bundledPackages([cli.metafile])), 'utf8') },
      { name: CLI_FILE, data: cli.code },
      ...hooks.map((path) => ({ name: path, data: readFileSync(join(root, path)) })),
    ],
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { name, entries } = await releaseEntries('.');
  mkdirSync('dist', { recursive: true });
  const bytes = zip(entries);
  writeFileSync(join('dist', name), bytes);
  console.log(`dist/${name}: ${entries.length} files, ${bytes.length} bytes`);
  for (const entry of entries) console.log(`  ${entry.name}`);
}
