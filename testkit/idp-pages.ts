// HTML for the demo IdP's pages: sign-in, consent, errors and the demo's user admin page. Plain
// server-rendered forms, no JavaScript, so they work the same for a person in a browser and for
// the headless test driver.
import type { ServerResponse } from 'node:http';
import type { IdpUser } from './idp.js';

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  // Authelia's wording on its consent screen.
  openid: 'Use OpenID to verify your identity',
  profile: 'Access your profile information',
  email: 'Access your email addresses',
  groups: 'Access your group membership',
  offline_access: 'Automatically refresh these permissions without user interaction',
};

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

export function loginPage(opts: { action: string; clientId: string; username?: string; error?: string }): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return layout('Sign in', `<h1>Sign in</h1>
<p class="muted">to continue to <strong>${escapeHtml(opts.clientId)}</strong></p>
${error}
<form method="post" action="${escapeHtml(opts.action)}">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(opts.username ?? '')}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button class="primary" type="submit">Sign in</button>
</form>`);
}

export function consentPage(opts: { action: string; clientId: string; username: string; scopes: string[]; remember?: boolean }): string {
  const items = opts.scopes
    .map((s) => `<li><strong>${escapeHtml(s)}</strong>: ${escapeHtml(SCOPE_DESCRIPTIONS[s] ?? s)}</li>`)
    .join('\n  ');
  return layout('Consent', `<h1>Hi ${escapeHtml(opts.username)}</h1>
<p><strong>${escapeHtml(opts.clientId)}</strong> is requesting the following permissions:</p>
<ul>
  ${items}
</ul>
<form method="post" action="${escapeHtml(opts.action)}">
  ${opts.remember ? '<label class="check"><input type="checkbox" name="remember" value="on"> Remember my consent</label>' : ''}
  <button class="primary" type="submit" name="decision" value="accept">Accept</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`);
}

/** Error page. `data-oauth-error` carries the OAuth error code for scripts and tests. */
export function errorPage(error: string, description: string | undefined): string {
  return layout('Error', `<h1>Something went wrong</h1>
<p class="error" role="alert" data-oauth-error="${escapeHtml(error)}"><code>${escapeHtml(error)}</code></p>
${description ? `<p>${escapeHtml(description)}</p>` : ''}
<p class="muted">Go back to the application and try signing in again.</p>`);
}

/** The demo's user admin page: one form per user to set groups and disable or enable them. */
export function usersPage(opts: { action: string; csrfToken: string; users: IdpUser[]; backendDown: boolean; notice?: string; note?: string }): string {
  const notice = opts.notice ? `<p class="muted" role="status">${escapeHtml(opts.notice)}</p>` : '';
  const rows = opts.users.map((u) => {
    const groups = Array.isArray(u.groups) ? u.groups.join(', ') : '';
    const id = `groups-${escapeHtml(u.username)}`;
    return `<section class="user">
<h2>${escapeHtml(u.username)}${u.disabled ? ' <span class="error">disabled</span>' : ''}</h2>
<p class="muted">${escapeHtml(u.name)} · ${escapeHtml(u.email)}</p>
<form method="post" action="${escapeHtml(opts.action)}">
  <input type="hidden" name="csrf" value="${escapeHtml(opts.csrfToken)}">
  <input type="hidden" name="username" value="${escapeHtml(u.username)}">
  <label for="${id}">Groups (comma-separated)</label>
  <input id="${id}" name="groups" value="${escapeHtml(groups)}">
  <label class="check"><input type="checkbox" name="disabled" value="on"${u.disabled ? ' checked' : ''}> Disabled (cannot sign in; userinfo answers without identity)</label>
  <button class="primary" type="submit">Save</button>
</form>
</section>`;
  });
  return layout('Users', `<h1>Demo users</h1>
<p class="muted">The identity provider sees a change at once (its next userinfo answer); a relying party
sees it only when it asks again, without a new sign-in.</p>
${opts.note ? `<p id="reaches" class="muted">${escapeHtml(opts.note)}</p>` : ''}
${notice}
<section class="user">
<h2>User backend: ${opts.backendDown ? '<span class="error">down</span>' : 'up'}</h2>
<p class="muted">Down is an LDAP outage: nobody can sign in, and Authelia answers every check without looking the user up, exactly as it answers for a removed user. PocketBase keeps everybody's access and groups until it answers normally again.</p>
<form method="post" action="${escapeHtml(opts.action)}">
  <input type="hidden" name="csrf" value="${escapeHtml(opts.csrfToken)}">
  <button class="primary" type="submit" name="backend" value="${opts.backendDown ? 'up' : 'down'}">${opts.backendDown ? 'Bring the user backend back' : 'Take the user backend down'}</button>
</form>
</section>
${rows.join('\n') || '<p>No users.</p>'}`, '36rem');
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
