// Authelia's portal sign-out page, `<issuer>/logout?rd=<url>`: ends the browser's Authelia session
// (the next authorization asks for the password again) and sends the browser to `rd` when it lies
// inside Authelia's cookie domain (Authelia's `session.cookies[].domain`; here the IdP's own host),
// else shows a "signed out" page. Tokens issued earlier are untouched: Authelia's access and refresh
// tokens are not tied to its browser session (revocation is what ends them).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdpStore } from './idp-store.js';
import { layout, sendPage } from './idp-pages.js';

// oidc-provider's session cookies (its defaults), with their signatures.
const SESSION_COOKIES = ['_session', '_session.sig', '_session.legacy', '_session.legacy.sig'];

export function handleLogout(req: IncomingMessage, res: ServerResponse, opts: { store: IdpStore; issuer: string; basePath: string }): void {
  const cookies = parseCookies(req.headers.cookie ?? '');
  const sessionId = cookies.get('_session') ?? cookies.get('_session.legacy');
  if (sessionId) opts.store.forgetSession(sessionId);
  const expired = SESSION_COOKIES.flatMap((name) => [...new Set(['/', `${opts.basePath}/`])].map((path) => `${name}=; Path=${path}; Max-Age=0; HttpOnly; SameSite=Lax`));
  res.setHeader('set-cookie', expired);
  const rd = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('rd');
  if (rd && insideCookieDomain(rd, opts.issuer)) {
    res.writeHead(302, { location: rd, 'cache-control': 'no-store' }).end();
    return;
  }
  sendPage(res, 200, layout('Signed out', '<h1>Signed out</h1>\n<p role="status">You are signed out of Authelia.</p>'));
}

function insideCookieDomain(target: string, issuer: string): boolean {
  try {
    const url = new URL(target);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname === new URL(issuer).hostname;
  } catch {
    return false;
  }
}

function parseCookies(header: string): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return cookies;
}
