// Where Authelia treats offline_access differently from oidc-provider, adjust the authorization
// request before oidc-provider sees it (GET requests only: what PocketBase sends).
//
// - A client not registered for offline_access that asks for it: Authelia refuses the login with
//   invalid_scope; oidc-provider would drop the scope silently and go on.
// - oidc-provider follows OpenID Connect Core 11: without `prompt=consent` it drops offline_access.
//   Authelia 4.39 forces the consent page for offline_access whatever the client's consent_mode
//   says (implicit consent does not skip it; only a remembered pre-configured consent covers it);
//   4.38 lets implicit consent skip it (both seen on the real binaries). The prompt is added for
//   every such request, and idp-interactions.ts answers it as the version would.
import type { IdpClient } from './idp-types.js';

export type AuthorizationDecision =
  | { kind: 'pass'; pathAndQuery: string }
  | { kind: 'redirect'; location: string };

export function adjustAuthorizationRequest(
  pathAndQuery: string,
  opts: { clients: readonly IdpClient[]; issuer: string },
): AuthorizationDecision {
  const [path = '', query = ''] = pathAndQuery.split(/\?(.*)/s, 2);
  const params = new URLSearchParams(query);
  if (!(params.get('scope') ?? '').split(' ').includes('offline_access')) return { kind: 'pass', pathAndQuery };

  const client = opts.clients.find((c) => c.clientId === params.get('client_id'));
  const redirectUri = params.get('redirect_uri') ?? '';
  if (client && !client.offlineAccess && client.redirectUris.includes(redirectUri)) {
    // Only to a registered redirect_uri; anything else is left to oidc-provider's error page.
    const back = new URL(redirectUri);
    back.searchParams.set('error', 'invalid_scope');
    back.searchParams.set('error_description', 'The requested scope is invalid, unknown, or malformed. The OAuth 2.0 Client is not allowed to request scope \'offline_access\'.');
    const state = params.get('state');
    if (state !== null) back.searchParams.set('state', state);
    back.searchParams.set('iss', opts.issuer);
    return { kind: 'redirect', location: back.href };
  }

  const prompts = new Set((params.get('prompt') ?? '').split(' ').filter(Boolean));
  if (prompts.has('none') || prompts.has('consent')) return { kind: 'pass', pathAndQuery }; // none cannot show consent
  prompts.add('consent');
  params.set('prompt', [...prompts].join(' '));
  return { kind: 'pass', pathAndQuery: `${path}?${params.toString()}` };
}
