// The demo IdP's own sign-in and consent pages, served at <issuer>/interaction/:uid.
//
// oidc-provider's built-in "devInteractions" accept any username with no password, so they are
// disabled; these handlers check passwords and show Authelia-style consent instead. The flow:
//   GET  /api/oidc/authorization  -> oidc-provider redirects to /interaction/:uid (+ cookie)
//   GET  /interaction/:uid         -> sign-in form, or consent form once signed in
//   POST /interaction/:uid/login   -> bad password: form again with an error; else back to oidc-provider
//   POST /interaction/:uid/consent -> accept: record a grant; deny: access_denied to the client
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider, InteractionDetails } from 'oidc-provider';
import type { UserDirectory } from './idp-accounts.js';
import { errorPage, escapeHtml, layout, sendPage as send } from './idp-pages.js';
import type { ConsentMode } from './idp-types.js';

const MAX_FORM_BYTES = 16 * 1024;

/** Authelia's client `consent_mode` (`auto` picks pre-configured when a duration is set). */
export interface InteractionContext {
  provider: Provider;
  users: UserDirectory;
  basePath: string; // issuer path prefix, '' or e.g. '/authelia'
  consentMode: ConsentMode;
  remembered: RememberedConsents;
  /** 4.39: offline_access shows the consent page even with implicit consent; 4.38 skips it then. */
  offlineAccessForcesConsent: boolean;
}

/**
 * Pre-configured consents a user chose to remember, per user and client, with their scopes:
 * Authelia stores them (oauth2_consent_preconfiguration) and skips the consent page while one
 * covers every requested scope, offline_access included.
 */
export class RememberedConsents {
  readonly #scopes = new Map<string, Set<string>>();

  remember(sub: string, clientId: string, scopes: readonly string[]): void {
    this.#scopes.set(`${sub} ${clientId}`, new Set(scopes));
  }

  covers(sub: string, clientId: string, scopes: readonly string[]): boolean {
    const remembered = this.#scopes.get(`${sub} ${clientId}`);
    return remembered !== undefined && scopes.every((scope) => remembered.has(scope));
  }

  /** Authelia keeps remembered consents in its storage: an empty one remembers none. */
  forget(): void {
    this.#scopes.clear();
  }
}

/** Handles a request whose path (issuer prefix removed) starts with /interaction/. */
export async function handleInteraction(ctx: InteractionContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|consent))?$/.exec(path);
  if (!match) return send(res, 404, errorPage('not_found', 'No such page.'));
  const [, uid, action] = match;

  let interaction: InteractionDetails;
  try {
    // Reads the interaction cookie (scoped to this path), so a stale or foreign uid fails here.
    interaction = await ctx.provider.interactionDetails(req, res);
  } catch {
    return send(res, 400, errorPage('invalid_request', 'This sign-in attempt has expired or was started in another browser.'));
  }
  if (interaction.uid !== uid) {
    return send(res, 400, errorPage('invalid_request', 'This sign-in attempt does not match your browser session.'));
  }

  const prompt = interaction.prompt.name;
  const clientId = String(interaction.params.client_id ?? '');
  const actionUrl = (name: string) => `${ctx.basePath}/interaction/${uid}/${name}`;

  if (req.method === 'GET' && !action) {
    if (prompt === 'login') return send(res, 200, loginPage({ action: actionUrl('login'), clientId }));
    if (prompt === 'consent') {
      const sub = interaction.session?.accountId ?? '';
      const implicitSkips = ctx.consentMode === 'implicit' && !ctx.offlineAccessForcesConsent;
      if (implicitSkips || (ctx.consentMode === 'pre-configured' && ctx.remembered.covers(sub, clientId, requestedScopes(interaction)))) {
        const grantId = await grantRequestedAccess(ctx.provider, interaction);
        return ctx.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      }
      const remember = ctx.consentMode === 'pre-configured';
      return send(res, 200, consentPage({ action: actionUrl('consent'), clientId, username: usernameOf(ctx, interaction), scopes: requestedScopes(interaction), remember }));
    }
    return send(res, 400, errorPage('invalid_request', `Unsupported prompt: ${prompt}`));
  }
  // Only POST the step that is actually pending: no skipping login by posting consent directly.
  if (req.method !== 'POST' || action !== prompt) {
    return send(res, 400, errorPage('invalid_request', 'Unexpected form submission for this step.'));
  }

  let form: URLSearchParams;
  try {
    form = await readForm(req);
  } catch (err) {
    return send(res, 400, errorPage('invalid_request', (err as Error).message));
  }

  if (action === 'login') {
    const username = form.get('username') ?? '';
    const sub = ctx.users.authenticate(username, form.get('password') ?? '');
    if (!sub) {
      // Authelia's message: it does not say whether the username or the password was wrong.
      return send(res, 200, loginPage({ action: actionUrl('login'), clientId, username, error: 'Incorrect username or password.' }));
    }
    // amr "pwd" (RFC 8176) is what Authelia reports after one-factor sign-in. remember: false
    // keeps the IdP session cookie a browser-session cookie, like Authelia without "remember me".
    return ctx.provider.interactionFinished(req, res, { login: { accountId: sub, amr: ['pwd'], remember: false } }, { mergeWithLastSubmission: false });
  }

  // action === 'consent'
  if (form.get('decision') !== 'accept') {
    return ctx.provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The resource owner or authorization server denied the request.' },
      { mergeWithLastSubmission: false },
    );
  }
  const grantId = await grantRequestedAccess(ctx.provider, interaction);
  const sub = interaction.session?.accountId;
  if (ctx.consentMode === 'pre-configured' && form.get('remember') === 'on' && sub) ctx.remembered.remember(sub, clientId, requestedScopes(interaction));
  return ctx.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** Records the user's consent as an oidc-provider Grant covering what the prompt says is missing. */
async function grantRequestedAccess(provider: Provider, interaction: InteractionDetails): Promise<string> {
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (!accountId || typeof clientId !== 'string') throw new Error('consent without a signed-in user');
  const grant = (interaction.grantId && (await provider.Grant.find(interaction.grantId))) || new provider.Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims } = interaction.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  if (missingOIDCScope?.length) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims?.length) grant.addOIDCClaims(missingOIDCClaims);
  return grant.save();
}

function requestedScopes(interaction: InteractionDetails): string[] {
  const scope = typeof interaction.params.scope === 'string' ? interaction.params.scope : '';
  return scope.split(' ').filter(Boolean);
}

function usernameOf(ctx: InteractionContext, interaction: InteractionDetails): string {
  const sub = interaction.session?.accountId;
  return (sub && ctx.users.bySub(sub)?.user.username) || 'there';
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new Error('Expected a form submission.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new Error('Form too large.');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const SCOPE_DESCRIPTIONS: Record<string, string> = {
  // Authelia's wording on its consent screen.
  openid: 'Use OpenID to verify your identity',
  profile: 'Access your profile information',
  email: 'Access your email addresses',
  groups: 'Access your group membership',
  offline_access: 'Automatically refresh these permissions without user interaction',
};

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
