import type { HttpAnswer } from '../../core/checks/revalidation.js';
import type { ActiveState } from '../../core/stores/state.js';
import { describeFailure } from '../../core/boot/tls-advice.js';

/**
 * Seconds per request to Authelia after the login. Short: an auth-refresh
 * waits for it, and the sweep calls records one after another.
 */
export const CHECK_TIMEOUT_SECONDS = 5;

type Send = (request: { url: string; method: string; headers?: Record<string, string>; body?: string; timeout?: number }) => { statusCode: number; body: number[] };

/** RFC 6749 section 2.3.1: id and secret are form-encoded before they go into the Basic credentials. */
function basicCredentials(clientId: string, clientSecret: string): string {
  const buffer = Buffer as unknown as { from(text: string, encoding: 'utf8'): { toString(encoding: 'base64'): string } };
  return buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`, 'utf8').toString('base64');
}

/**
 * Trades a refresh token for new tokens. Authelia enforces the client's
 * registered auth method: Basic (its default, and what PocketBase's own client
 * tries first) and, on `invalid_client`, the form-post style once — a rejected
 * request does not spend the refresh token.
 */
export function refreshGrant(state: ActiveState, clientSecret: string, refreshToken: string): HttpAnswer {
  const form = `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`;
  const basic = post(state.endpoints.tokenURL, form, { authorization: `Basic ${basicCredentials(state.clientId, clientSecret)}` });
  if (!('status' in basic) || basic.status !== 401 || errorCode(basic.body) !== 'invalid_client') return basic;
  return post(state.endpoints.tokenURL, `${form}&client_id=${encodeURIComponent(state.clientId)}&client_secret=${encodeURIComponent(clientSecret)}`, {});
}

/**
 * RFC 7009 revocation. Authelia authenticates this endpoint with its own
 * method (`revocation_endpoint_auth_method`), Basic unless configured,
 * whatever the token endpoint uses: Basic first, and on `invalid_client` the
 * form-post style once. Revoking either token of a grant revokes the grant;
 * an unknown token answers 200.
 */
export function revokeToken(state: ActiveState, clientSecret: string, token: string, hint: 'refresh_token' | 'access_token'): HttpAnswer {
  const form = `token=${encodeURIComponent(token)}&token_type_hint=${hint}`;
  const basic = post(state.endpoints.revocationURL, form, { authorization: `Basic ${basicCredentials(state.clientId, clientSecret)}` });
  if (!('status' in basic) || basic.status !== 401 || errorCode(basic.body) !== 'invalid_client') return basic;
  return post(state.endpoints.revocationURL, `${form}&client_id=${encodeURIComponent(state.clientId)}&client_secret=${encodeURIComponent(clientSecret)}`, {});
}

/** Authelia reads the user from its backend at userinfo: the only place with current groups. */
export function userinfo(state: ActiveState, accessToken: string): HttpAnswer {
  return send({ url: state.endpoints.userInfoURL, method: 'GET', headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' } });
}

function post(url: string, body: string, headers: Record<string, string>): HttpAnswer {
  return send({ url, method: 'POST', body, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' } });
}

function send(request: { url: string; method: string; headers: Record<string, string>; body?: string }): HttpAnswer {
  try {
    const response = ($http.send as unknown as Send)({ ...request, timeout: CHECK_TIMEOUT_SECONDS });
    return { status: response.statusCode, body: parseJson(toString(response.body)) };
  } catch (error) {
    // Go's error names the URL and the cause; tokens travel in headers and bodies, never in it.
    return { failure: describeFailure(error instanceof Error ? error.message : String(error)) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorCode(body: unknown): string {
  return typeof body === 'object' && body !== null && typeof (body as Record<string, unknown>)['error'] === 'string' ? String((body as Record<string, unknown>)['error']) : '';
}
