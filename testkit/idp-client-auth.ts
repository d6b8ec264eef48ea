// Strict client authentication, like Authelia: a client registered for client_secret_basic that
// sends its secret in the form body (client_secret_post), or the other way round, gets
// `invalid_client` (401). oidc-provider accepts either style from both kinds of client.
//
// The check lives in a Koa middleware in front of oidc-provider's endpoints, which cannot read a
// client_id sent in the form body without consuming the body oidc-provider still has to parse.
// So it only looks at the Authorization header, and covers the body case indirectly:
// - Basic header from a client_secret_post client: rejected here.
// - Basic header from a client_secret_basic client: the secret is rewritten to `secret + tag`,
//   and oidc-provider is told that `secret + tag` is the client's secret. The tag is random per
//   IdP and never leaves the process, so the same client sending the plain secret in the body
//   fails oidc-provider's own secret check with invalid_client.
import { randomBytes } from 'node:crypto';
import type { KoaContextWithOIDC, KoaMiddleware } from 'oidc-provider';
import type { IdpClient } from './idp.js';

type Method = NonNullable<IdpClient['tokenEndpointAuthMethod']>;

export class StrictClientAuth {
  readonly #tag = `#basic-only-${randomBytes(12).toString('hex')}`;
  readonly #methods: Map<string, Method>;

  constructor(
    clients: readonly IdpClient[],
    readonly paths: ReadonlySet<string>, // endpoints where clients authenticate
  ) {
    this.#methods = new Map(clients.map((c) => [c.clientId, c.tokenEndpointAuthMethod ?? 'client_secret_basic']));
  }

  /** The secret to register with oidc-provider for this client. */
  registeredSecret(client: IdpClient): string {
    return this.#methods.get(client.clientId) === 'client_secret_basic' ? client.clientSecret + this.#tag : client.clientSecret;
  }

  middleware: KoaMiddleware = async (ctx, next) => {
    const basic = ctx.method === 'POST' && this.paths.has(ctx.path) ? parseBasic(ctx.headers.authorization) : undefined;
    // Unknown clients and malformed headers are left to oidc-provider's own errors.
    const method = basic && this.#methods.get(basic.clientId);
    if (basic && method === 'client_secret_post') return reject(ctx, 'the client is registered for client_secret_post, not client_secret_basic');
    if (basic && method === 'client_secret_basic') ctx.headers.authorization = formatBasic(basic.clientId, basic.secret + this.#tag);
    await next();
  };
}

// RFC 6749 2.3.1: id and secret are form-urlencoded, then base64'd. Decoding as oidc-provider does.
function parseBasic(header: string | string[] | undefined): { clientId: string; secret: string } | undefined {
  const encoded = typeof header === 'string' ? /^basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header)?.[1] : undefined;
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  try {
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, '%20'));
    return { clientId: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

function formatBasic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

function reject(ctx: KoaContextWithOIDC, description: string): void {
  ctx.status = 401;
  ctx.set('WWW-Authenticate', 'Basic error="invalid_client"');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'invalid_client', error_description: description };
}
