// What every page of the stand-in IdP shares: the layout, escaping, the error page and the headers
// a page is sent with. Each page lives beside the handler that serves it (sign-in and consent in
// idp-interactions.ts, the demo's users page in idp-admin.ts, the sign-out page in idp-logout.ts):
// plain server-rendered forms, no JavaScript, so they work the same for a person in a browser and
// for the headless test driver.
import type { ServerResponse } from 'node:http';

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function layout(title: string, body: string, width = '22rem'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Authelia (demo)</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f3f4f6; margin: 0; }
  main { max-width: ${width}; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  label { display: block; margin: .8rem 0 .2rem; font-size: .9rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
  button { margin-top: 1.2rem; padding: .55rem 1.2rem; font-size: 1rem; cursor: pointer; }
  .primary { background: #1976d2; color: #fff; border: 0; border-radius: 4px; }
  .error { color: #b00020; background: #fdecea; padding: .6rem; border-radius: 4px; }
  .muted { color: #555; font-size: .85rem; }
  .user { border-top: 1px solid #ddd; padding: .8rem 0; }
  .user h2 { font-size: 1rem; margin: 0; }
  .check { display: flex; gap: .4rem; align-items: center; }
  .check input { width: auto; }
</style>
</head>
<body><main>
${body}
</main></body>
</html>`;
}

/** Error page. `data-oauth-error` carries the OAuth error code for scripts and tests. */
export function errorPage(error: string, description: string | undefined): string {
  return layout('Error', `<h1>Something went wrong</h1>
<p class="error" role="alert" data-oauth-error="${escapeHtml(error)}"><code>${escapeHtml(error)}</code></p>
${description ? `<p>${escapeHtml(description)}</p>` : ''}
<p class="muted">Go back to the application and try signing in again.</p>`);
}

/** Sends one of these pages with headers that keep it unframed and script-free. */
export function sendPage(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // Sign-in pages must not be framed (clickjacking) and need no scripts at all. No
    // `form-action` directive: browsers apply it to the redirect chain after a POST, which ends
    // at the client's redirect_uri on another origin.
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(html);
}
