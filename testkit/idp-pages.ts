// HTML for the demo IdP's pages: sign-in, consent and errors. Plain server-rendered forms, no
// JavaScript, so they work the same for a person in a browser and for the headless test driver.

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

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Authelia (demo)</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f3f4f6; margin: 0; }
  main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  label { display: block; margin: .8rem 0 .2rem; font-size: .9rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }
  button { margin-top: 1.2rem; padding: .55rem 1.2rem; font-size: 1rem; cursor: pointer; }
  .primary { background: #1976d2; color: #fff; border: 0; border-radius: 4px; }
  .error { color: #b00020; background: #fdecea; padding: .6rem; border-radius: 4px; }
  .muted { color: #555; font-size: .85rem; }
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

export function consentPage(opts: { action: string; clientId: string; username: string; scopes: string[] }): string {
  const items = opts.scopes
    .map((s) => `<li><strong>${escapeHtml(s)}</strong>: ${escapeHtml(SCOPE_DESCRIPTIONS[s] ?? s)}</li>`)
    .join('\n  ');
  return layout('Consent', `<h1>Hi ${escapeHtml(opts.username)}</h1>
<p><strong>${escapeHtml(opts.clientId)}</strong> is requesting the following permissions:</p>
<ul>
  ${items}
</ul>
<form method="post" action="${escapeHtml(opts.action)}">
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
