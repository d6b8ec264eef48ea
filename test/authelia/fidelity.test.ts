// Fidelity: every behaviour testkit's stand-in models from Authelia's source, asked of the stand-in
// and of the real Authelia with the same calls, per version, and the answers compared. The real one
// is the truth: where they differ, the stand-in (and the product) follow it. What is compared is
// each answer's shape (status, OAuth error code, which claims) and the values the product reads
// (groups), never the random parts (tokens, subjects, times).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startIdp, type AutheliaVersion, type Idp, type IdpUser } from '../../testkit/idp.js';
import { loginAtIdp, type HeadlessLoginResult } from '../../testkit/headless-login.js';
import { HttpsClient } from '../../testkit/authelia/https-client.js';
import { startAuthelia, type RealAuthelia } from '../../testkit/authelia/launcher.js';
import { loginAtAuthelia } from '../../testkit/authelia/portal-login.js';
import { startSlapd, type Slapd } from '../../testkit/authelia/slapd.js';
import type { RealUser } from '../../testkit/authelia/config.js';
import { createPrivateCa, type PrivateCa } from '../../testkit/private-ca.js';
import { AUTHELIA_VERSIONS } from '../../testkit/real/builds.js';
import { CLIENT_ID, CLIENT_SECRET } from '../../testkit/client.js';
import { jwtClaims, OidcClient, type Answer, type Authorization } from './oidc-client.js';

const TIMEOUT = 180_000;
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const SCOPES = 'openid email profile groups';
const OFFLINE = `${SCOPES} offline_access`;
/** Long enough for a login, an exchange and two userinfo calls on a busy machine; short enough to wait out. */
const SHORT_ACCESS_TOKEN_S = 8;

interface Person extends RealUser {
  readonly email: string;
  readonly groups: string[];
}
const person = (name: string, groups: string[]): Person => ({ username: name, password: `${name}-password-1`, displayname: `${name} Example`, email: `${name}@example.test`, groups });

/** One IdP under test: the real Authelia or the stand-in, with the same switches. */
interface IdpUnderTest {
  readonly client: OidcClient;
  signIn(authorization: Authorization, user: Person): Promise<HeadlessLoginResult>;
  setUsers(users: readonly Person[]): Promise<void>;
  /** The user backend down or up (only where the IdP has one that can stop: LDAP, or the stand-in's switch). */
  backend(state: 'up' | 'down'): Promise<void>;
  close(): Promise<void>;
}

async function realAuthelia(version: string, ca: PrivateCa, users: Person[], backend: 'file' | 'ldap'): Promise<IdpUnderTest> {
  let slapd: Slapd | undefined;
  if (backend === 'ldap') slapd = await startSlapd(users);
  let authelia: RealAuthelia;
  try {
    authelia = await startAuthelia({
      version,
      ca,
      clientSecret: CLIENT_SECRET,
      client: { redirectUris: [REDIRECT_URI], offlineAccess: true, consentMode: 'implicit' },
      ...(slapd ? { ldap: slapd.backend, totpUsers: users.map((u) => u.username), lifespans: { access_token: `${SHORT_ACCESS_TOKEN_S}s` } } : { users }),
    });
  } catch (error) {
    await slapd?.close();
    throw error;
  }
  return {
    client: new OidcClient(new HttpsClient(readFileSync(ca.caFile, 'utf8')), authelia.url, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI),
    signIn: (authorization, user) => loginAtAuthelia(authelia, authorization.url, REDIRECT_URI, user),
    setUsers: (now) => (slapd ? slapd.setUsers(now) : authelia.setUsers(now)),
    backend: async (state) => {
      if (!slapd) throw new Error('this Authelia has the file backend, which cannot be down');
      await (state === 'down' ? slapd.stop() : slapd.start());
    },
    close: async () => {
      await authelia.close();
      await slapd?.close();
    },
  };
}

/** The stand-in's mode for a real version: 4.38.0 to 4.38.6 never look the user up at userinfo. */
function standInMode(version: string): AutheliaVersion {
  if (!version.startsWith('4.38.')) return '4.39';
  return Number(version.split('.')[2]) < 7 ? '4.38.0' : '4.38';
}

async function standIn(version: string, users: Person[], backend: 'file' | 'ldap'): Promise<IdpUnderTest> {
  const asIdpUser = (u: Person): IdpUser => ({ username: u.username, password: u.password, name: u.displayname ?? u.username, email: u.email, groups: u.groups, ...(u.disabled ? { disabled: true } : {}) });
  const idp: Idp = await startIdp({
    users: users.map(asIdpUser),
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI], offlineAccess: true }],
    autheliaVersion: standInMode(version),
    consent: 'implicit',
    ...(backend === 'ldap' ? { accessTokenTtl: SHORT_ACCESS_TOKEN_S } : {}),
  });
  let known = users.map((u) => u.username);
  return {
    client: new OidcClient(new HttpsClient(''), idp.issuer, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI),
    signIn: (authorization, user) => loginAtIdp(authorization.url, REDIRECT_URI, user.username, user.password),
    setUsers: async (now) => {
      for (const name of known) if (!now.some((u) => u.username === name)) idp.removeUser(name);
      for (const user of now) idp.setUser(asIdpUser(user));
      known = now.map((u) => u.username);
    },
    backend: async (state) => idp.setUserBackend(state),
    close: () => idp.close(),
  };
}

/** What the product reads of a userinfo answer. */
function userinfoShape(answer: Answer) {
  return {
    status: answer.status,
    ...(answer.status === 200
      ? { claims: Object.keys(answer.body).sort(), groups: answer.body['groups'] ?? '(none)' }
      : { error: answer.body['error'], errorIn: answer.body['errorIn'] ?? 'body' }),
  };
}

const tokenShape = (answer: Answer) => ({ status: answer.status, ...(answer.status === 200 ? { refreshToken: typeof answer.body['refresh_token'] === 'string' } : { error: answer.body['error'] }) });

interface Signed {
  readonly access: string;
  readonly refresh: string;
  readonly idToken: string;
  readonly consentShown: boolean;
}

async function signIn(idp: IdpUnderTest, user: Person, scope: string, extra: Record<string, string> = {}): Promise<Signed> {
  const authorization = idp.client.authorization(scope, extra);
  const result = await idp.signIn(authorization, user);
  const tokens = await idp.client.exchange(result.code, authorization.verifier);
  if (tokens.status !== 200) throw new Error(`code exchange for ${user.username}: ${JSON.stringify(tokens)}`);
  return {
    access: String(tokens.body['access_token']),
    refresh: String(tokens.body['refresh_token'] ?? ''),
    idToken: String(tokens.body['id_token'] ?? ''),
    consentShown: result.consentShown === true,
  };
}

/** The file backend's behaviours: live, changed, removed and disabled users; tokens; consent; the claims parameter. */
async function observeUsers(make: (users: Person[]) => Promise<IdpUnderTest>) {
  const lia = person('lia', ['dev']);
  const cho = person('cho', ['dev']);
  const rem = person('rem', ['admins']);
  const dis = person('dis', ['admins']);
  const cla = person('cla', ['admins']);
  const idp = await make([lia, cho, rem, dis, cla]);
  try {
    const seen: Record<string, unknown> = {};
    const liaLogin = await signIn(idp, lia, OFFLINE);
    const plain = await signIn(idp, lia, SCOPES);
    seen['consent page'] = { withOfflineAccess: liaLogin.consentShown, without: plain.consentShown };
    const choLogin = await signIn(idp, cho, OFFLINE);
    const remLogin = await signIn(idp, rem, OFFLINE);
    const disLogin = await signIn(idp, dis, OFFLINE);
    const claims = JSON.stringify({ id_token: { groups: { essential: true } } });
    const claLogin = await signIn(idp, cla, SCOPES, { claims });
    seen['ID token groups: default, asked with the claims parameter'] = [jwtClaims(plain.idToken)['groups'] ?? '(none)', jwtClaims(claLogin.idToken)['groups'] ?? '(none)'];

    seen['userinfo, live user'] = userinfoShape(await idp.client.userinfo(liaLogin.access));
    await idp.setUsers([lia, { ...cho, groups: ['dev', 'ops'] }, { ...dis, disabled: true }]);
    seen['userinfo, groups changed after the login'] = userinfoShape(await idp.client.userinfo(choLogin.access));
    seen['userinfo, removed user'] = userinfoShape(await idp.client.userinfo(remLogin.access));
    seen['userinfo, disabled user'] = userinfoShape(await idp.client.userinfo(disLogin.access));
    seen['userinfo, removed user whose ID token held groups (claims parameter)'] = userinfoShape(await idp.client.userinfo(claLogin.access));
    seen['userinfo, unknown token'] = userinfoShape(await idp.client.userinfo('not-a-token-the-idp-issued'));
    seen['refresh, removed user'] = tokenShape(await idp.client.refresh(remLogin.refresh));

    const rotated = await idp.client.refresh(liaLogin.refresh);
    seen['refresh (rotation)'] = tokenShape(rotated);
    seen['userinfo with the access token before the rotation'] = userinfoShape(await idp.client.userinfo(liaLogin.access));
    seen['refresh token reused'] = tokenShape(await idp.client.refresh(liaLogin.refresh));
    seen['after the reuse: the rotated refresh token'] = tokenShape(await idp.client.refresh(String(rotated.body['refresh_token'])));
    seen['after the reuse: the rotated access token'] = userinfoShape(await idp.client.userinfo(String(rotated.body['access_token'])));

    seen['revocation with the secret in the body'] = { status: (await idp.client.revoke(choLogin.refresh, 'post')).status };
    seen['revocation with HTTP Basic'] = { status: (await idp.client.revoke(choLogin.refresh, 'basic')).status };
    seen['refresh after its revocation'] = tokenShape(await idp.client.refresh(choLogin.refresh));
    seen['userinfo after the refresh token was revoked'] = userinfoShape(await idp.client.userinfo(choLogin.access));
    return seen;
  } finally {
    await idp.close();
  }
}

/** The user backend down (LDAP stopped), and an expired access token. */
async function observeBackend(make: (users: Person[]) => Promise<IdpUnderTest>) {
  const ann = person('ann', ['staff']);
  const idp = await make([ann]);
  try {
    const seen: Record<string, unknown> = {};
    const login = await signIn(idp, ann, OFFLINE);
    const issuedAt = Date.now();
    await idp.backend('down');
    seen['userinfo, user backend down'] = userinfoShape(await idp.client.userinfo(login.access));
    seen['refresh, user backend down'] = tokenShape(await idp.client.refresh(login.refresh));
    await idp.backend('up');
    await new Promise((done) => setTimeout(done, Math.max(0, issuedAt + (SHORT_ACCESS_TOKEN_S + 2) * 1_000 - Date.now())));
    seen['userinfo, expired access token'] = userinfoShape(await idp.client.userinfo(login.access));
    return seen;
  } finally {
    await idp.close();
  }
}

/** The same observation of the real Authelia and of the stand-in, compared. */
async function compare(version: string, backend: 'file' | 'ldap', observe: (make: (users: Person[]) => Promise<IdpUnderTest>) => Promise<Record<string, unknown>>): Promise<void> {
  const ca = await createPrivateCa();
  try {
    const real = await observe((users) => realAuthelia(version, ca, users, backend));
    const stand = await observe((users) => standIn(version, users, backend));
    expect(stand).toEqual(real);
  } finally {
    await ca.close();
  }
}

describe.concurrent.each(AUTHELIA_VERSIONS)('the stand-in answers as the real Authelia %s', (version) => {
  it('userinfo for live, changed, removed and disabled users; the 401 kinds; rotation; reuse; revocation; consent for offline_access; the claims parameter', { timeout: TIMEOUT }, async () => {
    await compare(version, 'file', observeUsers);
  });

  it('userinfo and refresh with the user backend (LDAP) down; an expired access token', { timeout: TIMEOUT }, async () => {
    await compare(version, 'ldap', observeBackend);
  });
});
