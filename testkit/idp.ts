// An OpenID provider that behaves like Authelia (4.38.0, 4.38.7+ and 4.39), built on the certified
// `oidc-provider`. The demo (`npm start`) and the fast end-to-end suite (test/e2e) talk to it: it
// starts in milliseconds and can show faults the real Authelia cannot (hanging, answering late);
// test/authelia/fidelity.test.ts asks it and the real Authelia the same questions, per version, and
// compares their answers. It models Authelia's endpoint paths, claims per
// scope and version, strict client authentication, PKCE S256, no end-session endpoint, and what
// happens after the login: rotating single-use refresh tokens that revoke the grant's earlier access
// tokens, Authelia's token lifespans, and Authelia's own userinfo (idp-userinfo.ts), whose answer for
// a removed user is the same as for an unreachable user backend. Switches for tests and the demo:
// the user backend down, Authelia's storage reset (every token gone, with or without the users'
// subjects), and the IdP unavailable, hanging or answering late. The comments below point out where a setting exists only
// to match Authelia.
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { UserDirectory } from './idp-accounts.js';
import { ADMIN_PATH, AdminPage } from './idp-admin.js';
import { adjustAuthorizationRequest } from './idp-authorization.js';
import { StrictClientAuth } from './idp-client-auth.js';
import { handleLogout } from './idp-logout.js';
import { handleInteraction, RememberedConsents } from './idp-interactions.js';
import { errorPage } from './idp-pages.js';
import { IdpStore } from './idp-store.js';
import { Traffic } from './idp-traffic.js';
import { answerUserinfo, liveAnswer, type GrantFacts } from './idp-userinfo.js';
import type { AutheliaVersion, ConsentMode, IdpClient, IdpMode, IdpRequest, IdpUser } from './idp-types.js';

export type { AutheliaVersion, ConsentMode, IdpClient, IdpMode, IdpRequest, IdpUser } from './idp-types.js';

export interface IdpOptions {
  port?: number; // 0/undefined = random free port
  host?: string; // default 127.0.0.1
  issuerPath?: string; // base path such as '/authelia'; default none
  /** The Authelia whose answers to give (idp-userinfo.ts); default '4.39'. */
  autheliaVersion?: AutheliaVersion;
  /**
   * Authelia's consent_mode; default explicit. `offline_access` shows the consent page in every
   * mode, unless a pre-configured consent the user remembered covers it.
   */
  consent?: ConsentMode;
  /** Access (and ID) token lifespan in seconds; default Authelia's 3600. */
  accessTokenTtl?: number;
  /** Refresh token lifespan in seconds, fresh on every rotation; default Authelia's 5400. */
  refreshTokenTtl?: number;
  /** PEM key and certificate: serve HTTPS (as real Authelia does) with an `https://` issuer. */
  tls?: { key: string; cert: string };
  /** Serve the demo's user admin page at <issuer>/demo/users (the demo only, never tests). */
  adminPage?: boolean;
  /** What the users page says about when a change reaches the relying party (default: nothing). */
  adminPageNote?: string;
  users: IdpUser[];
  clients: IdpClient[];
}

export interface Idp {
  issuer: string; // http://host:port[/path], no trailing slash
  /** Adds or replaces a user; userinfo sees the change at its next call. */
  setUser(user: IdpUser): void;
  /** Deletes a user like removing them from Authelia's users file: refresh still works, userinfo
   * answers with `sub` only, sign-in fails. Returns false when there was no such user. */
  removeUser(username: string): boolean;
  /** Every request to the token, userinfo and revocation endpoints, oldest first (live array). */
  readonly requests: IdpRequest[];
  /** Calls `listener` as each of those requests arrives, before it is answered. */
  onRequest(listener: (request: IdpRequest) => void): void;
  /**
   * 'unavailable': 503 to every request; 'hang': accept and never answer; 'late': do the work
   * (a refresh rotates the tokens) but answer only after `lateMs` (default 8 s), past a client's
   * timeout; 'up': normal.
   */
  setDown(mode: IdpMode, lateMs?: number): void;
  /**
   * The user backend (LDAP) unreachable or back: while down, nobody can sign in and userinfo gives
   * every token its fallback answer, as for a removed user. Tokens and refresh keep working.
   */
  setUserBackend(state: 'up' | 'down'): void;
  /**
   * Authelia restarted on an empty storage (a container without its volume, a move to another
   * database that left the data behind): every token, grant, remembered consent and IdP session is
   * gone; the users file stays. `kept`: the operator exported the user identifiers and imported them
   * into the new storage (`authelia storage user identifiers export` / `import`), so every user
   * keeps their `sub`. `lost`: they were not, and every user gets a new random `sub` (Authelia's
   * table `user_opaque_identifier` is empty and it makes one at the next sign-in).
   */
  resetStorage(identifiers: 'kept' | 'lost'): void;
  /** Every access and refresh token the token endpoint handed out, so tests can look for them where they must not be. */
  readonly issuedTokens: string[];
  /** <issuer>/demo/users when `adminPage` is on, else undefined. */
  adminUrl: string | undefined;
  /**
   * The tokens a sign-in of `username` to the first client would give, with the given scope
   * (`offline_access` in it: a refresh token too), made directly, without the sign-in: for
   * benchmarks that need thousands of linked users. Userinfo and the refresh grant take them as
   * they take a sign-in's.
   */
  mintGrant(username: string, scope: string): Promise<{ accessToken: string; refreshToken: string; expiresIn: number }>;
  close(): Promise<void>;
}

// Authelia's endpoint paths, relative to its root URL (the issuer).
const ROUTES = {
  authorization: '/api/oidc/authorization',
  token: '/api/oidc/token',
  userinfo: '/api/oidc/userinfo',
  jwks: '/jwks.json',
  introspection: '/api/oidc/introspection',
  revocation: '/api/oidc/revocation',
  pushed_authorization_request: '/api/oidc/pushed-authorization-request',
};

// The calls a relying party makes after the login, which tests want to count.
const LOGGED_PATHS = [ROUTES.token, ROUTES.userinfo, ROUTES.revocation];

// Authelia's portal sign-out page (not an OpenID endpoint: Authelia has no end-session endpoint).
const LOGOUT_PATH = '/logout';

// Authelia's default scopes for a registered client.
const CLIENT_SCOPES = 'openid profile email groups';

// Authelia's default lifespans: access (and ID) token 1 hour, refresh token 90 minutes.
const DEFAULT_ACCESS_TOKEN_TTL = 3600;
const DEFAULT_REFRESH_TOKEN_TTL = 5400;

export async function startIdp(options: IdpOptions): Promise<Idp> {
  if (!options.clients?.length) throw new TypeError('startIdp: at least one client is required');
  const host = options.host ?? '127.0.0.1';
  const basePath = normalizeBasePath(options.issuerPath);
  const users = new UserDirectory(options.users);
  const store = new IdpStore();
  const version: AutheliaVersion = options.autheliaVersion ?? '4.39';
  const clientAuth = new StrictClientAuth(options.clients, version, {
    token: ROUTES.token,
    revocation: ROUTES.revocation,
    introspection: ROUTES.introspection,
    pushedAuthorization: ROUTES.pushed_authorization_request,
  });
  const grantFacts = new Map<string, GrantFacts>();
  const remembered = new RememberedConsents();
  const traffic = new Traffic(LOGGED_PATHS);
  const admin = options.adminPage === true ? new AdminPage(users, basePath, options.adminPageNote) : undefined;
  for (const name of ['accessTokenTtl', 'refreshTokenTtl'] as const) {
    const ttl = options[name];
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new TypeError(`startIdp: ${name} must be a positive whole number of seconds, got ${String(ttl)}`);
  }
  const key = await signingKey();

  // Listen first: the issuer URL (and so the provider) depends on the port we actually got.
  const server: Server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }) : createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}${basePath}`;

  let provider: Provider;
  try {
    provider = new Provider(issuer, configuration(options, users, basePath, key, store));
  } catch (err) {
    server.close(); // bad options: do not leave the port held
    throw err;
  }
  provider.use(clientAuth.middleware);
  const issuedTokens: string[] = [];
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      if (ctx.path === ROUTES.token) {
        traffic.noteGrantType(ctx.req, ctx.oidc?.params?.grant_type);
        const body = ctx.body as { access_token?: unknown; refresh_token?: unknown; id_token?: unknown } | undefined;
        for (const token of [body?.access_token, body?.refresh_token]) if (typeof token === 'string') issuedTokens.push(token);
        if (ctx.status === 200 && typeof body?.access_token === 'string') noteIssued(ctx, body, { store, facts: grantFacts, users, version, issuer });
      }
      // Authelia: revoking an access token also deactivates its grant's refresh tokens (oidc-provider
      // revokes the grant only for a refresh token).
      const revokedAccess = ctx.path === ROUTES.revocation && ctx.status === 200 ? (ctx.oidc?.entities['AccessToken'] as { grantId?: string } | undefined) : undefined;
      if (revokedAccess?.grantId) store.revokeGrant(revokedAccess.grantId);
    }
  });

  const oidc = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url === basePath || url.startsWith(`${basePath}/`)) traffic.record(req, res, (url.slice(basePath.length) || '/').split('?', 1)[0] ?? '/');
    if (traffic.intercept(req, res)) return;
    if (url !== basePath && !url.startsWith(`${basePath}/`)) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(errorPage('not_found', 'Not an Authelia path.'));
      return;
    }
    let inner = url.slice(basePath.length) || '/';
    const path = inner.split('?', 1)[0] ?? '/';
    if (path.startsWith('/interaction/')) {
      // Authelia 4.39 shows the consent page for offline_access whatever the consent mode; 4.38 lets implicit consent skip it.
      handleInteraction({ provider, users, basePath, consentMode: options.consent ?? 'explicit', remembered, offlineAccessForcesConsent: version === '4.39' }, req, res, path).catch((err: unknown) => {
        console.error('demo IdP: interaction failed', err);
        if (res.writableEnded) return;
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
        res.end(errorPage('server_error', 'The sign-in page failed.'));
      });
      return;
    }
    if (path === LOGOUT_PATH && req.method === 'GET') {
      handleLogout(req, res, { store, issuer, basePath });
      return;
    }
    if (path === ROUTES.userinfo) {
      answerUserinfo({ version, issuer, store, users, facts: grantFacts }, req, res).catch((err: unknown) => {
        console.error('demo IdP: userinfo failed', err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        if (!res.writableEnded) res.end('{"error":"server_error"}');
      });
      return;
    }
    if (admin && path === ADMIN_PATH) {
      admin.handle(req, res).catch((err: unknown) => {
        console.error('demo IdP: admin page failed', err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
        if (!res.writableEnded) res.end(errorPage('server_error', 'The users page failed.'));
      });
      return;
    }
    if (path === ROUTES.authorization && req.method === 'GET') {
      const decision = adjustAuthorizationRequest(inner, { clients: options.clients, issuer });
      if (decision.kind === 'redirect') {
        res.writeHead(303, { location: decision.location, 'cache-control': 'no-store' }).end();
        return;
      }
      inner = decision.pathAndQuery;
    }
    // Authelia also serves the discovery document under the RFC 8414 name.
    if (path === '/.well-known/oauth-authorization-server') inner = '/.well-known/openid-configuration';
    // Mount oidc-provider under the base path the way Express would: it derives the endpoint
    // URLs it advertises (and the resume cookie path) from originalUrl minus url.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = basePath + inner;
    req.url = inner;
    oidc(req, res);
  });

  let closing: Promise<void> | undefined;
  return {
    issuer,
    setUser: (user) => users.set(user),
    removeUser: (username) => users.remove(username),
    requests: traffic.requests,
    onRequest: (listener) => traffic.onRequest(listener),
    setDown: (mode, lateMs) => traffic.setMode(mode, lateMs),
    setUserBackend: (state) => users.setBackend(state),
    resetStorage: (identifiers) => {
      if (identifiers !== 'kept' && identifiers !== 'lost') throw new TypeError(`resetStorage: say whether the user identifiers were 'kept' or 'lost', got ${String(identifiers)}`);
      store.forgetTokens();
      grantFacts.clear();
      remembered.forget();
      if (identifiers === 'lost') users.newSubjects();
    },
    issuedTokens,
    adminUrl: admin ? `${issuer}${ADMIN_PATH}` : undefined,
    mintGrant: async (username, scope) => {
      const sub = users.subOf(username);
      const clientId = options.clients[0]!.clientId;
      const client = await provider.Client.find(clientId);
      if (!sub || !client) throw new Error(`mintGrant: no user ${username} or client ${clientId}`);
      const now = Math.floor(Date.now() / 1000);
      const grant = new provider.Grant({ accountId: sub, clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      const common = { accountId: sub, client, grantId, scope, gty: 'authorization_code', authTime: now };
      const access = new provider.AccessToken(common);
      const accessToken = await access.save();
      const refreshToken = scope.split(' ').includes('offline_access') ? await new provider.RefreshToken({ ...common, iiat: now, rotations: 0 }).save() : '';
      grantFacts.set(grantId, { authTime: now, amr: ['pwd'], requestedAt: now, idTokenCopies: {} });
      return { accessToken, refreshToken, expiresIn: access.expiration };
    },
    // Idempotent: tests may close in afterAll and again in a finally block.
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => {
          store.clear();
          if (err) reject(err);
          else resolve();
        });
        // Keep-alive sockets (fetch pools them) and requests held by 'hang' would otherwise hold
        // close() open.
        traffic.dropHeld();
        server.closeAllConnections();
      })),
  };
}

function configuration(options: IdpOptions, users: UserDirectory, basePath: string, key: Record<string, unknown>, store: IdpStore): Configuration {
  const consentMode = options.consent ?? 'explicit';
  const version: AutheliaVersion = options.autheliaVersion ?? '4.39';
  const accessTokenTtl = options.accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL;
  const refreshTokenTtl = options.refreshTokenTtl ?? DEFAULT_REFRESH_TOKEN_TTL;

  return {
    adapter: store.adapterFor,
    jwks: { keys: [key] },
    // Random per instance: signs the session/interaction cookies (oidc-provider warns without).
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: ROUTES,
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret, // the auth style is enforced per endpoint in idp-client-auth.ts
      redirect_uris: c.redirectUris,
      token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic',
      grant_types: c.offlineAccess ? ['authorization_code', 'refresh_token'] : ['authorization_code'],
      response_types: ['code'],
      scope: c.offlineAccess ? `${CLIENT_SCOPES} offline_access` : CLIENT_SCOPES,
    })),
    // The two secret-based methods our clients use (Authelia also has JWT-based ones).
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    responseTypes: ['code'],
    // OpenID Connect Core requires redirect_uri; Authelia does not fill it in for the client.
    allowOmittingSingleRegisteredRedirectUri: false,
    pkce: { required: () => true }, // Authelia: require_pkce + S256 (the only method offered)
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    claims: {
      openid: ['sub', 'amr', 'auth_time'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // 4.39 puts scope claims (groups, email, name...) only at userinfo, 4.38 in the ID token too.
    conformIdTokenClaims: version === '4.39',
    // Like Authelia, the refresh grant does not look the user up, so it works for a removed or
    // disabled user too, and userinfo answers them with `sub` only (see claims()). A new
    // authorization asks them to sign in again instead (signInAgainWhenInactive).
    async findAccount(_ctx: unknown, sub: string) {
      return {
        accountId: sub,
        // Called when a token or userinfo response is built, so it reads the user's CURRENT
        // data, like Authelia's lookup at userinfo time (setUser between logins shows up here).
        async claims() {
          const { user } = users.activeBySub(sub) ?? {};
          if (!user) return { sub };
          return {
            sub,
            name: user.name,
            preferred_username: user.username,
            email: user.email,
            email_verified: true, // Authelia always asserts this
            ...(user.groups === undefined ? {} : { groups: user.groups }),
          };
        },
      };
    },
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      // The grant the consent page just recorded.
      const grantId = ctx.oidc.result?.consent?.grantId;
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      // Explicit consent = ask on every authorization (Authelia "explicit"), so never reuse a
      // grant remembered in the session, unlike oidc-provider's default. Pre-configured consent
      // asks unless remembered (idp-interactions.ts answers the page itself then).
      if (consentMode !== 'implicit' || !ctx.oidc.account || !ctx.oidc.client) return undefined;
      // Implicit consent: grant the requested scopes (within the client's) without asking;
      // offline_access still goes through the consent page (idp-authorization.ts).
      const allowed = new Set(CLIENT_SCOPES.split(' '));
      const grant = new ctx.oidc.provider.Grant({ accountId: ctx.oidc.account.accountId, clientId: ctx.oidc.client.clientId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].filter((s) => allowed.has(s)).join(' '));
      const claims = [...((ctx.oidc as { requestParamClaims?: Set<string> }).requestParamClaims ?? [])];
      if (claims.length > 0) grant.addOIDCClaims(claims);
      await grant.save();
      return grant;
    },
    interactions: {
      policy: signInAgainWhenInactive(users),
      url: (_ctx: unknown, interaction: { uid: string }) => `${basePath}/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false }, // accepts any login; we serve real pages instead
      // Any authenticated client may introspect (oidc-provider's default for confidential clients).
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: ownTokenOnly },
      pushedAuthorizationRequests: { enabled: true },
      // Authelia 4.39 honours the `claims` authorization parameter (claims the client may request
      // by its scopes go into the ID token or userinfo as asked).
      claimsParameter: { enabled: version === '4.39' },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: false }, // userinfo_signed_response_alg: none = plain JSON
      rpInitiatedLogout: { enabled: false }, // Authelia has no end-session endpoint
      dPoP: { enabled: false }, // not supported by Authelia
      resourceIndicators: { enabled: false }, // not supported by Authelia
    },
    // Authelia: a refresh token only for a client with the refresh_token grant, when the consent
    // included offline_access.
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    // Authelia's refresh tokens are single use: each refresh returns a new one with a fresh
    // lifespan. Presenting a used one again is refused (invalid_grant) and oidc-provider then
    // revokes the whole grant (every access and refresh token of that login), as Authelia does.
    rotateRefreshToken: () => true,
    // Codes live 1 minute (Authelia); token lifespans as configured (Authelia's defaults).
    ttl: {
      AuthorizationCode: 60,
      AccessToken: accessTokenTtl,
      IdToken: accessTokenTtl,
      Interaction: 600, // time a person has to sign in
      Session: 3600,
      // The consent record behind the tokens: it must outlive any chain of rotated refresh
      // tokens a test or demo runs (Authelia's consent has no such expiry at all).
      Grant: 30 * 24 * 3600,
      RefreshToken: refreshTokenTtl,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
    },
    clientBasedCORS: () => false, // our clients are servers; no browser calls the token endpoint
    async renderError(ctx: { type: string; body: unknown }, out: { error: string; error_description?: string }) {
      // Shown when the error cannot go back to the client (bad client_id or redirect_uri).
      // oidc-provider's own code `invalid_redirect_uri` is `invalid_request` in Authelia/OAuth.
      ctx.type = 'html';
      ctx.body = errorPage(out.error === 'invalid_redirect_uri' ? 'invalid_request' : out.error, out.error_description);
    },
  };
}

async function ownTokenOnly(ctx: KoaContextWithOIDC, client: { clientId: string }, token: { clientId: string }) {
  if (token.clientId !== client.clientId) throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
  return true;
}

// oidc-provider's default prompts, plus: a browser still signed in at the IdP as a user who has
// since been removed or disabled gets the sign-in form again (Authelia re-reads the user for its
// session and logs them out), so the demo's "disable" cannot be undone by an old IdP cookie.
function signInAgainWhenInactive(users: UserDirectory) {
  const { Check, base } = interactionPolicy;
  const policy = base();
  policy.get('login')?.checks.add(
    new Check('user_inactive', 'The user was removed or disabled', (ctx) => {
      const accountId = ctx.oidc.result?.login?.accountId ?? ctx.oidc.session?.accountId;
      return accountId && !users.activeBySub(accountId) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}

function normalizeBasePath(path: string | undefined): string {
  if (!path || path === '/') return '';
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

// A fresh RS256 key per instance, with a kid, like Authelia's issuer_private_keys. Generated
// asynchronously so that IdPs started in parallel do not block each other.
async function signingKey(): Promise<Record<string, unknown>> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

/**
 * After a token answer: what the login fixed for the grant (auth_time, amr, rat, and the ID token's
 * claims that the fallback userinfo answer repeats: Authelia keeps them in the OpenID session of
 * every token), and, after a refresh, Authelia's revocation of the grant's earlier access tokens
 * (internal/oidc/flow_refresh.go; oidc-provider keeps them valid).
 */
function noteIssued(
  ctx: KoaContextWithOIDC,
  body: { access_token?: unknown; id_token?: unknown },
  { store, facts, users, version, issuer }: { store: IdpStore; facts: Map<string, GrantFacts>; users: UserDirectory; version: AutheliaVersion; issuer: string },
): void {
  const accessToken = String(body.access_token);
  const code = ctx.oidc.entities.AuthorizationCode as { grantId?: string; authTime?: number; amr?: string[]; iat?: number; accountId?: string; clientId?: string; scope?: string } | undefined;
  if (code?.grantId) {
    const now = Math.floor(Date.now() / 1000);
    const noted: GrantFacts = {
      authTime: code.authTime ?? now,
      amr: code.amr ?? ['pwd'],
      requestedAt: code.iat ?? now,
      idTokenCopies: fallbackCopies(typeof body.id_token === 'string' ? body.id_token : '', version),
    };
    // 4.38.0 answers userinfo from what it stored at the login, never from the user backend.
    const user = version === '4.38.0' && code.accountId ? users.activeBySub(code.accountId)?.user : undefined;
    const clientId = String(code.clientId ?? '');
    const standard = { iss: issuer, sub: code.accountId, aud: [clientId], iat: now, auth_time: noted.authTime, amr: noted.amr, azp: clientId, client_id: clientId };
    facts.set(code.grantId, user ? { ...noted, atLogin: liveAnswer(version, standard, noted, String(code.scope ?? ''), user) } : noted);
  }
  const refreshed = ctx.oidc.entities.RefreshToken as { grantId?: string } | undefined;
  if (refreshed?.grantId) store.revokeAccessTokensOfGrant(refreshed.grantId, accessToken);
}

/** The scope claims our stand-in can put in an ID token; other ID-token claims are oidc-provider's own. */
const SCOPE_CLAIMS = ['name', 'preferred_username', 'email', 'email_verified', 'groups'];

/**
 * Which of the ID token's scope claims Authelia's fallback userinfo answer repeats. 4.39
 * (internal/oidc/claims.go, hydrateClaimsOriginal) skips the standard profile and email claims and
 * copies the rest, so `groups` comes through when the ID token holds it: a claims policy, or the
 * client's own `claims` request ({"id_token":{"groups":...}}). 4.38.7+ (internal/handlers/oidc.go,
 * oidcApplyUserInfoClaims) skips groups as well; 4.38.0 has no fallback (it never looks the user up).
 */
function fallbackCopies(idToken: string, version: AutheliaVersion): Record<string, unknown> {
  const payload = idToken.split('.')[1];
  if (!payload) return {};
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  const skipped = new Set(version === '4.39' ? ['name', 'preferred_username', 'email', 'email_verified'] : SCOPE_CLAIMS);
  return Object.fromEntries(SCOPE_CLAIMS.filter((claim) => claim in claims && !skipped.has(claim)).map((claim) => [claim, claims[claim]]));
}
