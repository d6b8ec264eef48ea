// A private certificate authority, as a homelab runs one, made with Debian's `openssl` (Node can
// make keys but cannot sign X.509 certificates). Used by the production-shaped end-to-end test:
// the IdP and the reverse proxy serve certificates from it, and every client trusts it only
// through the variable the operator's guide names (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface IssuedCertificate {
  /** PEM files on disk, for a server that reads paths (the reverse proxy). */
  readonly certFile: string;
  readonly keyFile: string;
  /** The same PEM text, for a server that takes contents (node:https). */
  readonly cert: string;
  readonly key: string;
}

export interface PrivateCa {
  readonly dir: string;
  /** The CA certificate (PEM): what SSL_CERT_FILE and NODE_EXTRA_CA_CERTS point at. */
  readonly caFile: string;
  /** A server certificate for these names (IP addresses or DNS names), signed by this CA. */
  issue(name: string, hosts: readonly string[]): Promise<IssuedCertificate>;
  /** Deletes the folder with every key in it. */
  close(): Promise<void>;
}

/** Fails loudly when `openssl` is missing: a test that cannot build its CA must not pass. */
export async function createPrivateCa(commonName = 'pocketbase-authelia test CA'): Promise<PrivateCa> {
  const dir = await mkdtemp(join(tmpdir(), 'pb-authelia-ca-'));
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  try {
    await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', caFile,
      '-days', '2', '-subj', `/CN=${commonName}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let serial = 1;
  return {
    dir,
    caFile,
    issue: async (name, hosts) => {
      const keyFile = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const certFile = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      const altNames = hosts.map((host) => (/^[\d.]+$|:/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
      await writeFile(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${altNames}\n`);
      await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${hosts[0] ?? name}`]);
      await openssl(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial', String(serial++), '-days', '2', '-extfile', ext, '-out', certFile]);
      return { certFile, keyFile, cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') };
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'openssl is not installed: apt-get install openssl (.ci/run installs it)' : `openssl ${args[0]} failed: ${String((error as { stderr?: unknown }).stderr ?? error)}`);
  }
}
