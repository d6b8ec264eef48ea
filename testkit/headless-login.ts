// Signs a user in at the Authelia-like IdP (testkit/idp.ts) the way a person's browser would, without a
// browser: follow redirects with a cookie jar, fill in the sign-in form, answer the consent form,
// and stop at the redirect back to the client's redirect_uri.

export interface HeadlessLoginResult {
  code: string;
  state: string;
  iss?: string;
  redirectUrl: string;
  /** Whether the IdP showed its consent page on the way. */
  consentShown?: boolean;
}

/** An OAuth error the IdP sent back to the redirect_uri (or showed on its error page). */
export class OAuthRedirectError extends Error {
  constructor(
    readonly code: string,
    readonly description: string | undefined,
    readonly redirectUrl?: string,
  ) {
    super(`IdP returned error=${code}${description ? ` error_description=${description}` : ''}`);
    this.name = 'OAuthRedirectError';
  }
}

const MAX_STEPS = 20;

export async function loginAtIdp(
  authUrl: string,
  redirectUri: string,
  username: string,
  password: string,
  opts: { consent?: 'accept' | 'deny'; rememberConsent?: boolean } = {},
): Promise<HeadlessLoginResult> {
  const start = new URL(authUrl);
  // PocketBase hands clients an auth URL without redirect_uri; the client adds its own.
  start.searchParams.set('redirect_uri', redirectUri);
  const target = new URL(redirectUri);
  const jar = new CookieJar();
  let submittedLogin = false;
  let consentShown = false;

  let request: { url: URL; method: 'GET' | 'POST'; form?: URLSearchParams } = { url: start, method: 'GET' };
  for (let step = 0; step < MAX_STEPS; step++) {
    const res = await fetch(request.url, {
      method: request.method,
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        ...(jar.header(request.url) ? { cookie: jar.header(request.url) } : {}),
        ...(request.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: request.form ? request.form.toString() : null,
    });
    jar.store(request.url, res.headers.getSetCookie());

    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      const next = new URL(location, request.url);
      if (next.origin === target.origin && next.pathname === target.pathname) return { ...resultFrom(next), consentShown };
      request = { url: next, method: 'GET' };
      continue;
    }

    const html = await res.text();
    const errorCode = /data-oauth-error="([^"]*)"/.exec(html)?.[1];
    if (errorCode) throw new OAuthRedirectError(decodeHtml(errorCode), pageText(html));
    if (res.status !== 200) throw new Error(`IdP answered ${res.status} at ${request.url}: ${pageText(html)}`);

    const form = parseForm(html, request.url);
    if (!form) throw new Error(`IdP page at ${request.url} has no form: ${pageText(html)}`);
    if (form.fields.has('password')) {
      if (submittedLogin) {
        const alert = /role="alert"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1];
        throw new Error(`login as ${username} rejected by the IdP: ${alert ? pageText(alert) : 'sign-in form shown again'}`);
      }
      form.fields.set('username', username);
      form.fields.set('password', password);
      submittedLogin = true;
    } else if (form.buttons.has('decision')) {
      consentShown = true;
      form.fields.set('decision', opts.consent ?? 'accept');
      if (opts.rememberConsent) form.fields.set('remember', 'on');
    } else {
      throw new Error(`unrecognised IdP form at ${request.url}`);
    }
    request = { url: form.action, method: 'POST', form: form.fields };
  }
  throw new Error(`login did not reach ${redirectUri} within ${MAX_STEPS} steps`);
}

/** The code (or the OAuth error, thrown) of the redirect back to the client's redirect_uri. */
export function resultFrom(url: URL): HeadlessLoginResult {
  const q = url.searchParams;
  const error = q.get('error');
  if (error) throw new OAuthRedirectError(error, q.get('error_description') ?? undefined, url.href);
  const code = q.get('code');
  if (!code) throw new Error(`redirect without code or error: ${url.href}`);
  const iss = q.get('iss');
  return { code, state: q.get('state') ?? '', ...(iss === null ? {} : { iss }), redirectUrl: url.href };
}

interface ParsedForm {
  action: URL;
  fields: URLSearchParams; // named inputs with their values
  buttons: Set<string>; // names of submit buttons
}

// Enough HTML parsing for the IdP's own forms: the first <form>, its inputs and buttons.
function parseForm(html: string, base: URL): ParsedForm | undefined {
  const [, formAttrs = '', content = ''] = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html) ?? [];
  if (!formAttrs && !content) return undefined;
  const action = attr(formAttrs, 'action');
  const fields = new URLSearchParams();
  for (const [, attrs = ''] of content.matchAll(/<input\b([^>]*)>/gi)) {
    const name = attr(attrs, 'name');
    // A browser submits a checkbox only when it is checked.
    const unchecked = /\btype="checkbox"/i.test(attrs) && !/\bchecked\b/i.test(attrs);
    if (name && !unchecked) fields.set(name, attr(attrs, 'value') ?? '');
  }
  const buttons = new Set<string>();
  for (const [, attrs = ''] of content.matchAll(/<button\b([^>]*)>/gi)) {
    const name = attr(attrs, 'name');
    if (name) buttons.add(name);
  }
  return { action: new URL(action ?? base.href, base), fields, buttons };
}

function attr(attrs: string, name: string): string | undefined {
  const value = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(attrs)?.[1];
  return value === undefined ? undefined : decodeHtml(value);
}

function decodeHtml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function pageText(html: string): string {
  const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  return decodeHtml(body.replace(/<style[\s\S]*?<\/style>/gi, '').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 500);
}

/** Cookies for one origin, honouring Path and expiry (enough for an OpenID provider). */
class CookieJar {
  readonly #cookies = new Map<string, { value: string; path: string; host: string }>();

  store(url: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const a of attrs) {
        const [k = '', v = ''] = a.split('=');
        const key = k.toLowerCase();
        if (key === 'path' && v.startsWith('/')) path = v;
        if (key === 'max-age' && Number(v) <= 0) expired = true;
        if (key === 'expires' && Date.parse(v) <= Date.now()) expired = true;
      }
      const id = `${url.host} ${path} ${name}`;
      if (expired) this.#cookies.delete(id);
      else this.#cookies.set(id, { value: `${name}=${value}`, path, host: url.host });
    }
  }

  header(url: URL): string {
    const matches = [...this.#cookies.values()].filter(
      (c) => c.host === url.host && (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
    );
    return matches.map((c) => c.value).join('; ');
  }
}
