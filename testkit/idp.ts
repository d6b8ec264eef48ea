// An OpenID provider that behaves like Authelia (4.38 / 4.39), built on the certified
// `oidc-provider`. Authelia itself cannot be installed where the tests run, so the end-to-end tests
// and the product demo (`npm start`) talk to this instead: Authelia's endpoint paths, claims per
// scope and version, strict client authentication, PKCE S256, no end-session endpoint. The comments
// below point out where a setting exists only to match Authelia.
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { UserDirectory } from './idp-accounts.js';
import { StrictClientAuth } from './idp-client-auth.js';
import { handleInteraction } from './idp-interactions.js';
import { errorPage } from './idp-pages.js';
import { IdpStore } from './idp-store.js';

export interface IdpUser {
  username: string;
  password: string;
  name: string;
  email: string;
  /** Passed through untouched as the `groups` claim (undefined = claim omitted). Tests send
   * hostile values on purpose, hence `unknown`. */
  groups: string[] | null | undefined | unknown;
  /** Fixed opaque subject; default: a random UUID per username, stable for the IdP's lifetime. */
  sub?: string;
}

export interface IdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Enforced strictly, like Authelia: the other method gets invalid_client. Default basic. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
}

export interface IdpOptions {
  port?: number; // 0/undefined = random free port
  host?: string; // default 127.0.0.1
  issuerPath?: string; // base path such as '/authelia'; default none
  autheliaVersion?: '4.38' | '4.39'; // default 4.39
  consent?: 'implicit' | 'explicit'; // default explicit
  users: IdpUser[];
  clients: IdpClient[];
}

export interface Idp {
  issuer: string; // http://host:port[/path], no trailing slash
  setUser(user: IdpUser): void;
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

// Endpoints where a client authenticates with its secret, and Authelia enforces the registered
// token_endpoint_auth_method.
const CLIENT_AUTH_PATHS = new Set([ROUTES.token, ROUTES.introspection, ROUTES.revocation, ROUTES.pushed_authorization_request]);

// Authelia's default scopes for a registered client.
const CLIENT_SCOPES = 'openid profile email groups';

export async function startIdp(options: IdpOptions): Promise<Idp> {
  if (!options.clients?.length) throw new TypeError('startIdp: at least one client is required');
  const host = options.host ?? '127.0.0.1';
  const basePath = normalizeBasePath(options.issuerPath);
  const users = new UserDirectory(options.users);
  const store = new IdpStore();
  const clientAuth = new StrictClientAuth(options.clients, CLIENT_AUTH_PATHS);
  const key = await signingKey();

  // Listen first: the issuer URL (and so the provider) depends on the port we actually got.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host.includes(':') ? `[${host}]` : host}:${port}${basePath}`;

  let provider: Provider;
  try {
    provider = new Provider(issuer, configuration(options, users, store, clientAuth, basePath, key));
  } catch (err) {
    server.close(); // bad options: do not leave the port held
    throw err;
  }
  provider.use(clientAuth.middleware);

  const oidc = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (url !== basePath && !url.startsWith(`${basePath}/`)) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(errorPage('not_found', 'Not an Authelia path.'));
      return;
    }
    let inner = url.slice(basePath.length) || '/';
    const path = inner.split('?', 1)[0] ?? '/';
    if (path.startsWith('/interaction/')) {
      handleInteraction({ provider, users, basePath }, req, res, path).catch((err: unknown) => {
        console.error('demo IdP: interaction failed', err);
        if (res.writableEnded) return;
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
        res.end(errorPage('server_error', 'The sign-in page failed.'));
      });
      return;
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
    // Idempotent: tests may close in afterAll and again in a finally block.
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => {
          store.clear();
          if (err) reject(err);
          else resolve();
        });
        // Keep-alive sockets (fetch pools them) would otherwise hold close() open.
        server.closeAllConnections();
      })),
  };
}

function configuration(
  options: IdpOptions,
  users: UserDirectory,
  store: IdpStore,
  clientAuth: StrictClientAuth,
  basePath: string,
  key: Record<string, unknown>,
): Configuration {
  const consentMode = options.consent ?? 'explicit';
  const version = options.autheliaVersion ?? '4.39';

  return {
    adapter: store.adapterFor,
    jwks: { keys: [key] },
    // Random per instance: signs the session/interaction cookies (oidc-provider warns without).
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    routes: ROUTES,
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: clientAuth.registeredSecret(c),
      redirect_uris: c.redirectUris,
      token_endpoint_auth_method: c.tokenEndpointAuthMethod ?? 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      scope: CLIENT_SCOPES,
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
    async findAccount(_ctx: unknown, sub: string) {
      if (!users.bySub(sub)) return undefined; // deleted/renamed away: tokens stop working
      return {
        accountId: sub,
        // Called when a token or userinfo response is built, so it reads the user's CURRENT
        // data, like Authelia's lookup at userinfo time (setUser between logins shows up here).
        async claims() {
          const { user } = users.bySub(sub) ?? {};
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
      // grant remembered in the session, unlike oidc-provider's default.
      if (consentMode === 'explicit' || !ctx.oidc.account || !ctx.oidc.client) return undefined;
      // Implicit consent: grant the requested scopes (within the client's) without asking.
      const allowed = new Set(CLIENT_SCOPES.split(' '));
      const grant = new ctx.oidc.provider.Grant({ accountId: ctx.oidc.account.accountId, clientId: ctx.oidc.client.clientId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].filter((s) => allowed.has(s)).join(' '));
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `${basePath}/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false }, // accepts any login; we serve real pages instead
      // Any authenticated client may introspect (oidc-provider's default for confidential clients).
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: ownTokenOnly },
      pushedAuthorizationRequests: { enabled: true },
      userinfo: { enabled: true },
      jwtUserinfo: { enabled: false }, // userinfo_signed_response_alg: none = plain JSON
      rpInitiatedLogout: { enabled: false }, // Authelia has no end-session endpoint
      dPoP: { enabled: false }, // not supported by Authelia
      resourceIndicators: { enabled: false }, // not supported by Authelia
    },
    issueRefreshToken: () => false, // not needed by the product
    // Authelia's defaults: codes live 1 minute, access and ID tokens 1 hour.
    ttl: {
      AuthorizationCode: 60,
      AccessToken: 3600,
      IdToken: 3600,
      Interaction: 600, // time a person has to sign in
      Session: 3600,
      Grant: 3600,
      RefreshToken: 3600,
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
