// Signs a user in at the real Authelia without a browser, through the JSON API its portal uses:
// the authorization URL sends the browser to the portal with a flow id (4.39: `flow`/`flow_id`,
// 4.38: `workflow`/`workflow_id`), /api/firstfactor and /api/secondfactor/totp sign in, the consent
// API answers the consent page (4.39: `flow_id`, 4.38: `id`), and the authorization endpoint then
// redirects to the client's redirect_uri with the code.
import { resultFrom, type HeadlessLoginResult } from '../headless-login.js';
import type { HttpsClient } from './https-client.js';
import type { RealAuthelia } from './launcher.js';

const MAX_STEPS = 20;

export interface PortalLoginOptions {
  readonly consent?: 'accept' | 'deny';
  /** An HTTPS client whose cookies hold an earlier portal session (single sign-on across logins). */
  readonly session?: HttpsClient;
}

interface ApiAnswer {
  status: 'OK' | 'KO';
  message?: string;
  data?: { redirect?: string; redirect_uri?: string; client_id?: string };
}

export async function loginAtAuthelia(
  authelia: RealAuthelia,
  authUrl: string,
  redirectUri: string,
  user: { readonly username: string; readonly password: string },
  options: PortalLoginOptions = {},
): Promise<HeadlessLoginResult> {
  const http = options.session ?? authelia.client();
  const start = new URL(authUrl);
  start.searchParams.set('redirect_uri', redirectUri);
  const target = new URL(redirectUri);
  const issuer = new URL(authelia.url);
  const v438 = authelia.version.startsWith('4.38.');
  let portalVisits = 0;
  let consentShown = false;
  let url = start;
  for (let step = 0; step < MAX_STEPS; step++) {
    if (url.origin === target.origin && url.pathname === target.pathname) return { ...resultFrom(url), consentShown };
    const flowId = url.searchParams.get('flow_id') ?? url.searchParams.get('workflow_id') ?? url.searchParams.get('id');
    // 4.38 without a consent session yet: the portal gets the authorization URL to return to (rd).
    const returnTo = url.searchParams.get('rd');
    const onPortal = url.origin === issuer.origin && !url.pathname.startsWith('/api/');
    if (onPortal && /\/consent/.test(url.pathname) && flowId) {
      consentShown = true;
      url = await consent(http, authelia, flowId, v438, options.consent ?? 'accept');
      continue;
    }
    if (onPortal && (flowId || returnTo)) {
      if (++portalVisits > 2) throw new Error(`Authelia sent ${user.username} back to its sign-in page after both factors: ${url.href}`);
      const flow = v438
        ? { workflow: 'openid_connect', ...(flowId ? { workflowID: flowId } : {}), ...(returnTo ? { targetURL: returnTo } : {}) }
        : { flow: 'openid_connect', flowID: flowId };
      let redirect: string | undefined;
      // What the portal does: the password first, unless this browser session already passed it;
      // then TOTP, when the first factor led nowhere (4.38 without a consent session sends the
      // browser back to the authorization URL after one factor, which sends it here again).
      if ((await authenticationLevel(http, authelia)) < 1) {
        const first = await api(http, `${authelia.url}/api/firstfactor`, { username: user.username, password: user.password, keepMeLoggedIn: false, ...flow }, `first factor of ${user.username}`);
        redirect = first.data?.redirect;
      }
      if (!redirect) {
        const token = await authelia.totp.nextCode(user.username);
        const second = await api(http, `${authelia.url}/api/secondfactor/totp`, { token, ...flow }, `TOTP of ${user.username}`);
        redirect = second.data?.redirect;
      }
      // Without a redirect the portal sends the browser back where it came from.
      url = redirect ? new URL(redirect, authelia.url) : returnTo ? new URL(returnTo) : start;
      continue;
    }
    const answer = await http.send(url);
    const next = answer.location();
    if (answer.status >= 300 && answer.status < 400 && next) {
      url = next;
      continue;
    }
    throw new Error(`Authelia answered ${answer.status} at ${url.href}: ${answer.body.slice(0, 500)}`);
  }
  throw new Error(`the login of ${user.username} did not reach ${redirectUri} within ${MAX_STEPS} steps`);
}

async function authenticationLevel(http: HttpsClient, authelia: RealAuthelia): Promise<number> {
  const state = await http.send(`${authelia.url}/api/state`);
  if (state.status !== 200) throw new Error(`Authelia's /api/state answered ${state.status}: ${state.body.slice(0, 300)}`);
  return state.json<{ data: { authentication_level: number } }>().data.authentication_level;
}

async function consent(http: HttpsClient, authelia: RealAuthelia, flowId: string, v438: boolean, decision: 'accept' | 'deny'): Promise<URL> {
  const query = v438 ? `id=${encodeURIComponent(flowId)}` : `flow_id=${encodeURIComponent(flowId)}`;
  const shown = await http.send(`${authelia.url}/api/oidc/consent?${query}`);
  if (shown.status !== 200) throw new Error(`Authelia's consent API answered ${shown.status}: ${shown.body.slice(0, 500)}`);
  const details = shown.json<ApiAnswer>();
  const clientId = details.data?.client_id;
  if (!clientId) throw new Error(`Authelia's consent API named no client: ${shown.body.slice(0, 500)}`);
  const body = v438
    ? { id: flowId, client_id: clientId, consent: decision === 'accept', pre_configure: false }
    : { flow_id: flowId, client_id: clientId, consent: decision === 'accept', pre_configure: false, claims: [] };
  const answer = await api(http, `${authelia.url}/api/oidc/consent`, body, 'consent');
  const redirect = answer.data?.redirect_uri;
  if (!redirect) throw new Error(`Authelia's consent API gave no redirect_uri: ${JSON.stringify(answer)}`);
  return new URL(redirect, authelia.url);
}

async function api(http: HttpsClient, url: string, json: unknown, what: string): Promise<ApiAnswer> {
  const answer = await http.send(url, { method: 'POST', json });
  const body = answer.status === 200 ? answer.json<ApiAnswer>() : undefined;
  if (!body || body.status !== 'OK') throw new Error(`${what} refused by Authelia (${answer.status}): ${answer.body.slice(0, 500)}`);
  return body;
}
