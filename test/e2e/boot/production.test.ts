// Production shape, end to end: a private CA made by the test (Debian's openssl), the Authelia-like
// IdP on HTTPS with a certificate from it, PocketBase behind a TLS-terminating reverse proxy (Debian's
// Caddy), every URL a user or PocketBase meets https://. PocketBase trusts the CA only through
// SSL_CERT_FILE, the CLI only through NODE_EXTRA_CA_CERTS, the user's device (another Node process)
// only through NODE_EXTRA_CA_CERTS too. What docs/operations.md tells an operator is what runs here.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET } from '../../../testkit/client.js';
import { startIdp, type Idp, type IdpUser } from '../../../testkit/idp.js';
import { freePort, logEntries, SUPERUSER, startPocketBase, type PocketBaseServer } from '../../../testkit/pocketbase.js';
import { VERSIONS } from '../../../testkit/pocketbase-versions.js';
import { createPrivateCa, type PrivateCa } from '../../../testkit/private-ca.js';
import { startTlsProxy, type TlsProxy } from '../../../testkit/tls-proxy.js';
import { trustingClient, type ClientAnswer } from '../../../testkit/trusting-client.js';
import { runCli } from '../../cli/cli.js';
import { storedUser } from '../../support/stack.js';

const REVALIDATE_AFTER_MS = 2_000;
const mia: IdpUser & { groups: string[] } = { username: 'mia', password: 'mia-password', name: 'Mia', email: 'mia@example.test', groups: ['dev'] };

function value<T>(answer: ClientAnswer<T>): T {
  if (!answer.ok) throw new Error(`the client failed: ${answer.message} (${answer.causeCode ?? answer.status ?? 'no code'})`);
  return answer.result;
}

describe.each(VERSIONS)('production shape on PocketBase %s: HTTPS from a private CA, behind a reverse proxy', (version) => {
  let ca: PrivateCa;
  let otherCa: PrivateCa;
  let secretDir: string;
  let secretFile: string;
  let idp: Idp;
  let pb: PocketBaseServer;
  let proxy: TlsProxy;
  const device = () => trustingClient(ca.caFile);

  beforeAll(async () => {
    ca = await createPrivateCa('homelab CA');
    otherCa = await createPrivateCa('some other CA');
    secretDir = await mkdtemp(join(tmpdir(), 'pb-authelia-secret-'));
    secretFile = join(secretDir, 'authelia_client_secret');
    await writeFile(secretFile, `${CLIENT_SECRET}\n`);
    const [proxyPort, pbPort] = [await freePort(), await freePort()];
    idp = await startIdp({
      tls: await ca.issue('authelia', ['127.0.0.1']),
      users: [mia],
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`https://127.0.0.1:${proxyPort}/api/oauth2-redirect`], offlineAccess: true }],
    });
    pb = await startPocketBase({
      version,
      port: pbPort,
      env: {
        AUTHELIA_URL: idp.issuer,
        AUTHELIA_CLIENT_SECRET_FILE: secretFile,
        AUTHELIA_SCOPES: 'openid email profile groups offline_access',
        AUTHELIA_REVALIDATE_AFTER: `${REVALIDATE_AFTER_MS / 1000}s`,
        AUTHELIA_SWEEP: 'off',
        SSL_CERT_FILE: ca.caFile,
      },
    });
    const proxyCert = await ca.issue('pocketbase', ['127.0.0.1']);
    proxy = await startTlsProxy({ port: proxyPort, upstreamPort: pbPort, certFile: proxyCert.certFile, keyFile: proxyCert.keyFile });
  }, 90_000);

  afterAll(async () => {
    await proxy?.close();
    await pb?.destroy();
    await idp?.close();
    await ca?.close();
    await otherCa?.close();
    if (secretDir) await rm(secretDir, { recursive: true, force: true });
  });

  it('serves every public URL over TLS from the private CA: a device without the CA is refused, one with it gets through', async () => {
    expect(idp.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(proxy.url).toMatch(/^https:\/\//);
    for (const url of [`${proxy.url}/api/health`, `${idp.issuer}/.well-known/openid-configuration`]) {
      const refused = await trustingClient(undefined).http(url);
      expect(refused).toMatchObject({ ok: false, causeCode: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      expect(value(await device().http(url)).status).toBe(200);
    }
  });

  it('boots with discovery read over HTTPS, PocketBase trusting the CA through SSL_CERT_FILE', async () => {
    const status = await (await pb.superuser()).send('/api/authelia/status', {});
    expect(status).toMatchObject({
      status: 'active',
      issuer: idp.issuer,
      endpoints: { source: 'discovery', tokenURL: `${idp.issuer}/api/oidc/token`, userInfoURL: `${idp.issuer}/api/oidc/userinfo` },
      discovery: { issuerMatched: true },
    });
    expect(status.discovery.problem).toBeUndefined();
  });

  it('signs a user in through the proxy with their groups, and a due auth-refresh brings a group change from Authelia', async () => {
    const login = value(await device().login(proxy.url, mia));
    const loggedInAt = Date.now();
    expect(login.scope).toBe('openid email profile groups offline_access');
    expect(login.record['groups']).toEqual(['dev']);
    expect(idp.requests.map((r) => `${r.method} ${r.path} ${r.grant_type ?? ''} ${r.status ?? '-'}`.replace('  ', ' '))).toEqual(
      expect.arrayContaining(['POST /api/oidc/token authorization_code 200', 'GET /api/oidc/userinfo 200']),
    );

    idp.setUser({ ...mia, groups: ['admins', 'dev'] });
    idp.requests.length = 0;
    await new Promise((done) => setTimeout(done, Math.max(0, loggedInAt + REVALIDATE_AFTER_MS + 500 - Date.now())));
    const refreshed = value(await device().refresh(proxy.url, login.token));
    expect(refreshed.status).toBe(200);
    expect(refreshed.record['groups']).toEqual(['admins', 'dev']);
    expect(idp.requests.map((r) => `${r.method} ${r.path} ${r.status ?? '-'}`)).toEqual(['GET /api/oidc/userinfo 200']);
    expect((await storedUser(pb, mia.email))['groups']).toEqual(['admins', 'dev']);

    // The record's own view of its checks, without a superuser: times only.
    const own = value(await device().http(`${proxy.url}/api/authelia/status/me`, { headers: { authorization: refreshed.token } }));
    expect(own.status).toBe(200);
    const me = JSON.parse(own.body) as { linked: boolean; lastSuccessfulCheck: string; nextCheckAtRefresh: string; revalidateAfter: string; sweep: string };
    expect(me).toMatchObject({ linked: true, revalidateAfter: '2s', sweep: 'off' });
    expect(Date.parse(me.nextCheckAtRefresh) - Date.parse(me.lastSuccessfulCheck)).toBe(REVALIDATE_AFTER_MS);
    expect(Date.parse(me.lastSuccessfulCheck)).toBeGreaterThan(loggedInAt); // the due refresh's check, not the login
    expect(own.body).not.toContain(refreshed.token);
    expect(value(await device().http(`${proxy.url}/api/authelia/status/me`)).status).toBe(401);
  });

  it("answers the README's status recipe through the proxy: a superuser token from auth-with-password, then each record with its email and name", async () => {
    const auth = value(await device().http(`${proxy.url}/api/collections/_superusers/auth-with-password`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identity: SUPERUSER.email, password: SUPERUSER.password }),
    }));
    expect(auth.status).toBe(200);
    const token = (JSON.parse(auth.body) as { token: string }).token;
    const records = value(await device().http(`${proxy.url}/api/authelia/status/records`, { headers: { authorization: token } }));
    expect(records.status).toBe(200);
    const record = (await storedUser(pb, mia.email)).id;
    expect((JSON.parse(records.body) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ recordId: record, email: mia.email, name: mia.name, outcome: 'current', hasRefreshToken: true }),
    ]);
  });

  it('has the CLI check pass with NODE_EXTRA_CA_CERTS, and name that variable when the CA is missing', async () => {
    const env = { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET_FILE: secretFile, AUTHELIA_SCOPES: 'openid email profile groups offline_access' };
    const trusted = await runCli(['check', '--pocketbase-url', proxy.url], { ...env, NODE_EXTRA_CA_CERTS: ca.caFile });
    expect(trusted.stdout).toMatch(/^ok +client: Authelia accepted client "pocketbase"/m);
    expect(trusted.stdout).toMatch(/^info +NODE_EXTRA_CA_CERTS: .*SSL_CERT_FILE/m);
    expect(trusted.stdout).toContain(`${proxy.url}/api/oauth2-redirect`);
    expect(trusted.code).toBe(0);

    for (const extra of [{}, { NODE_EXTRA_CA_CERTS: otherCa.caFile }]) {
      const untrusted = await runCli(['check'], { ...env, ...extra });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stdout).toMatch(/^error +discovery: cannot read https:\S+ \(unable to verify the first certificate\): this check does not trust Authelia's TLS certificate: .*NODE_EXTRA_CA_CERTS=/m);
      expect(untrusted.stdout).not.toMatch(/start Authelia/);
    }
  });

  it('names the certificate problem and SSL_CERT_FILE at boot when PocketBase lacks the CA or has another one', async () => {
    for (const trust of [{}, { SSL_CERT_FILE: otherCa.caFile }]) {
      const lacking = await startPocketBase({ version, env: { AUTHELIA_URL: idp.issuer, AUTHELIA_CLIENT_SECRET_FILE: secretFile, ...trust } });
      try {
        const status = await (await lacking.superuser()).send('/api/authelia/status', {});
        expect(status.endpoints.source).toBe('fallback');
        expect(status.discovery.problem).toMatch(/x509: certificate signed by unknown authority\); PocketBase does not trust Authelia's TLS certificate: .*SSL_CERT_FILE=/);
        const warning = logEntries(await lacking.logs(/discovery failed/)).find((entry) => /discovery failed/.test(entry.message));
        expect(warning?.data['reason']).toMatch(/PocketBase does not trust Authelia's TLS certificate.*SSL_CERT_FILE/);
      } finally {
        await lacking.destroy();
      }
    }
  }, 60_000);

  it("offers PocketBase's trusted proxy setting the operator guide names (Settings > Application > User IP proxy headers)", async () => {
    const superuser = await pb.superuser();
    await superuser.settings.update({ trustedProxy: { headers: ['X-Forwarded-For'], useLeftmostIP: false } });
    const settings = await superuser.settings.getAll();
    expect(settings['trustedProxy']).toEqual({ headers: ['X-Forwarded-For'], useLeftmostIP: false });
    // Still served the same through the proxy.
    expect(value(await device().http(`${proxy.url}/api/health`)).status).toBe(200);
  });
});
