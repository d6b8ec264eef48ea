// A plain OpenID client for the fidelity test: the calls PocketBase and the extension make to
// Authelia (code exchange, userinfo, refresh, revocation), made directly so that the test sees each
// answer as it is, from the real Authelia and from testkit's stand-in alike.
import { createHash, randomBytes } from 'node:crypto';
import type { HttpsClient } from '../../testkit/authelia/https-client.js';

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface Authorization {
  readonly url: string;
  readonly verifier: string;
}

export class OidcClient {
  constructor(
    private readonly http: HttpsClient,
    readonly issuer: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    readonly redirectUri: string,
  ) {}

  /** The authorization URL a client builds (PKCE S256), without redirect_uri: the login helpers add it. */
  authorization(scope: string, extra: Record<string, string> = {}): Authorization {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${this.issuer}/api/oidc/authorization`);
    const params = {
      client_id: this.clientId,
      response_type: 'code',
      scope,
      state: randomBytes(12).toString('base64url'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...extra,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return { url: url.href, verifier };
  }

  exchange(code: string, verifier: string): Promise<Answer> {
    return this.token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: this.redirectUri });
  }

  refresh(refreshToken: string): Promise<Answer> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  async userinfo(accessToken: string): Promise<Answer> {
    return answer(await this.http.send(`${this.issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } }));
  }

  /** RFC 7009 revocation, the client authenticated with HTTP Basic or in the form body. */
  async revoke(token: string, auth: 'basic' | 'post'): Promise<Answer> {
    return answer(await this.http.send(`${this.issuer}/api/oidc/revocation`, this.form({ token }, auth)));
  }

  private async token(fields: Record<string, string>): Promise<Answer> {
    return answer(await this.http.send(`${this.issuer}/api/oidc/token`, this.form(fields, 'basic')));
  }

  private form(fields: Record<string, string>, auth: 'basic' | 'post') {
    const body = new URLSearchParams(auth === 'post' ? { ...fields, client_id: this.clientId, client_secret: this.clientSecret } : fields);
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(this.clientId)}:${encodeURIComponent(this.clientSecret)}`).toString('base64')}`;
    return {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth === 'basic' ? { authorization: basic } : {}) },
      body: body.toString(),
    };
  }
}

function answer(response: { status: number; body: string; headers: Readonly<Record<string, string | string[] | undefined>> }): Answer {
  let body: Record<string, unknown>;
  try {
    body = response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {};
  } catch {
    body = { text: response.body.slice(0, 200) };
  }
  // A 401 at userinfo may name its error only in the WWW-Authenticate header (RFC 6750).
  const challenge = response.headers['www-authenticate'];
  const headerError = typeof challenge === 'string' ? /error="([^"]*)"/.exec(challenge)?.[1] : undefined;
  if (body['error'] === undefined && headerError) body = { ...body, error: headerError, errorIn: 'WWW-Authenticate' };
  return { status: response.status, body };
}

/** The claims of a JWT's payload (the ID token), unverified: the test only reads what the IdP put there. */
export function jwtClaims(token: unknown): Record<string, unknown> {
  const payload = typeof token === 'string' ? token.split('.')[1] : undefined;
  return payload ? (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>) : {};
}
