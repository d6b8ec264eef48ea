// Strict client authentication, like Authelia: each endpoint where a client authenticates has its
// own registered method, and a client that uses the other style gets `invalid_client` (401).
// - The token endpoint enforces `token_endpoint_auth_method` (default client_secret_basic).
// - Revocation and introspection enforce `revocation_endpoint_auth_method` and
//   `introspection_endpoint_auth_method`, which default to client_secret_basic *whatever the token
//   endpoint uses* (Authelia's client schema, internal/configuration/schema/identity_providers.go,
//   and its defaults in internal/configuration/validator/identity_providers.go). Seen on the real
//   binaries: 4.39.20 and 4.38.0 refuse the secret in the body at revocation; 4.38.19 accepts both
//   styles there unless a method is configured.
// oidc-provider registers one method per client for every endpoint and accepts either secret style,
// so the check lives in a Koa middleware in front of it. The middleware has to know which client
// sent the request even when the id is only in the form body, so it reads the body and puts it
// back for oidc-provider to parse (see peekBody).
import type { IncomingMessage } from 'node:http';
import type { KoaContextWithOIDC, KoaMiddleware } from 'oidc-provider';
import type { AutheliaVersion, IdpClient } from './idp-types.js';

type Method = 'client_secret_basic' | 'client_secret_post';

/** The registered method of each client at each endpoint path. */
export interface EndpointPaths {
  readonly token: string;
  readonly revocation: string;
  readonly introspection: string;
  readonly pushedAuthorization: string;
}

const MAX_BODY_BYTES = 56 * 1024; // oidc-provider's own limit

export class StrictClientAuth {
  readonly #methods = new Map<string, Map<string, Method>>();

  constructor(clients: readonly IdpClient[], version: AutheliaVersion, paths: EndpointPaths) {
    for (const client of clients) {
      const token = client.tokenEndpointAuthMethod ?? 'client_secret_basic';
      const methods = new Map<string, Method>([
        [paths.token, token],
        [paths.pushedAuthorization, token],
        [paths.introspection, client.introspectionEndpointAuthMethod ?? 'client_secret_basic'],
      ]);
      const revocation = client.revocationEndpointAuthMethod ?? (version === '4.38' ? undefined : 'client_secret_basic');
      if (revocation) methods.set(paths.revocation, revocation);
      this.#methods.set(client.clientId, methods);
    }
  }

  /** Every path this middleware guards. */
  has(path: string): boolean {
    for (const byPath of this.#methods.values()) if (byPath.has(path)) return true;
    return false;
  }

  middleware: KoaMiddleware = async (ctx, next) => {
    if (ctx.method !== 'POST' || !this.has(ctx.path)) return next();
    const basic = parseBasic(ctx.headers.authorization);
    const form = ctx.is('application/x-www-form-urlencoded') ? new URLSearchParams(await peekBody(ctx.req)) : new URLSearchParams();
    const clientId = basic?.clientId ?? form.get('client_id') ?? undefined;
    const registered = clientId === undefined ? undefined : this.#methods.get(clientId)?.get(ctx.path);
    // Unknown clients, malformed headers and missing credentials are left to oidc-provider's own errors.
    if (registered) {
      const used: Method | undefined = basic ? 'client_secret_basic' : form.has('client_secret') ? 'client_secret_post' : undefined;
      if (used && used !== registered) return reject(ctx, `the client is registered for ${registered} at this endpoint, not ${used}`);
    }
    await next();
  };
}

/**
 * Reads the whole form body (bounded by its content-length) and puts it back at the front of the
 * stream in the same tick, so oidc-provider's own parser reads it as if untouched.
 */
async function peekBody(req: IncomingMessage): Promise<string> {
  const length = Number(req.headers['content-length']);
  if (!Number.isInteger(length) || length <= 0 || length > MAX_BODY_BYTES) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < length) {
    const chunk = req.read() as Buffer | null;
    if (chunk === null) {
      if (req.readableEnded) break;
      await new Promise<void>((resolve) => {
        const done = () => {
          req.off('readable', done);
          req.off('end', done);
          resolve();
        };
        req.on('readable', done);
        req.on('end', done);
      });
      continue;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  const body = Buffer.concat(chunks);
  if (body.length > 0) req.unshift(body);
  return body.toString('utf8');
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

function reject(ctx: KoaContextWithOIDC, description: string): void {
  ctx.status = 401;
  ctx.set('WWW-Authenticate', 'Basic error="invalid_client"');
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { error: 'invalid_client', error_description: description };
}
