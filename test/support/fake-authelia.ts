// A loopback HTTP server standing in for a broken Authelia: it answers whatever the test tells
// it to (a slow, garbage or lying discovery document) and records every request it receives, so
// tests can prove that PocketBase did, or did not, talk to it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeServer {
  /** http://127.0.0.1:port, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** `METHOD path` of every request received so far, in arrival order. */
  readonly requests: string[];
  /** When each of those requests arrived (Date.now()). */
  readonly arrivals: number[];
  /** Stops listening and drops open connections (also the ones still waiting for an answer). */
  close(): Promise<void>;
}

export type Responder = (req: IncomingMessage, res: ServerResponse) => void;

export async function startFakeServer(respond: Responder, port = 0): Promise<FakeServer> {
  const requests: string[] = [];
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    arrivals.push(Date.now());
    respond(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    arrivals,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}

/** Answers with this status, content type and body. */
export function answer(status: number, contentType: string, body: string): Responder {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) }).end(body);
  };
}

/** Accepts the connection and the request, then answers only after `delayMs` (or never, if closed first). */
export function slowly(delayMs: number, then: Responder): Responder {
  return (req, res) => {
    const timer = setTimeout(() => {
      if (!res.destroyed) then(req, res);
    }, delayMs);
    res.once('close', () => clearTimeout(timer));
  };
}

/** An OpenID discovery document in Authelia's shape, for `issuer`, with endpoints under `endpointBase`. */
export function discoveryDocument(issuer: string, endpointBase = issuer): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${endpointBase}/api/oidc/authorization`,
    token_endpoint: `${endpointBase}/api/oidc/token`,
    userinfo_endpoint: `${endpointBase}/api/oidc/userinfo`,
    jwks_uri: `${endpointBase}/jwks.json`,
    scopes_supported: ['openid', 'offline_access', 'groups', 'email', 'profile'],
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
  };
}
