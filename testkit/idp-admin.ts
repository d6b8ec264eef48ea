// The demo's user admin page at <issuer>/demo/users (only with `adminPage: true`): change a demo
// user's groups or disable them while signed in to PocketBase, and watch the change reach
// PocketBase without signing in again; or take the user backend (LDAP) down and watch an outage
// change nothing. Real Authelia has no such page (its users file or LDAP is
// edited instead); this is the demo's stand-in for that edit.
//
// CSRF: the page is on loopback, but a page from any other origin could still POST to it, so
// every form carries a random token fixed per IdP instance and a POST without it is refused.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserDirectory } from './idp-accounts.js';
import { readForm } from './idp-interactions.js';
import { errorPage, escapeHtml, layout, sendPage } from './idp-pages.js';
import type { IdpUser } from './idp-types.js';

export const ADMIN_PATH = '/demo/users';

export class AdminPage {
  readonly #csrfToken = randomBytes(24).toString('base64url');

  constructor(
    private readonly users: UserDirectory,
    private readonly basePath: string,
    private readonly note: string | undefined = undefined,
  ) {}

  /** Handles GET/POST <issuer>/demo/users. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const action = `${this.basePath}${ADMIN_PATH}`;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const notice = new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('saved');
      return sendPage(res, 200, usersPage({
        action, csrfToken: this.#csrfToken, users: this.users.list(), backendDown: this.users.backendDown,
        ...(notice ? { notice: `Saved ${notice}.` } : {}), ...(this.note ? { note: this.note } : {}),
      }));
    }
    if (req.method !== 'POST') return sendPage(res, 405, errorPage('invalid_request', 'Use GET or POST.'));

    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (err) {
      return sendPage(res, 400, errorPage('invalid_request', (err as Error).message));
    }
    if (!sameSecret(form.get('csrf') ?? '', this.#csrfToken)) {
      return sendPage(res, 403, errorPage('access_denied', 'The form is stale or came from another site: reload the users page and try again.'));
    }
    const backend = form.get('backend');
    if (backend === 'up' || backend === 'down') {
      this.users.setBackend(backend);
      res.writeHead(303, { location: `${action}?saved=${encodeURIComponent(`the user backend (${backend})`)}`, 'cache-control': 'no-store' }).end();
      return;
    }
    const username = form.get('username') ?? '';
    const user = this.users.byUsername(username);
    if (!user) return sendPage(res, 404, errorPage('not_found', `No user named ${username}.`));

    this.users.set({ ...user, groups: parseGroups(form.get('groups') ?? ''), disabled: form.get('disabled') === 'on' });
    // Post/redirect/get: a reload does not submit the form again.
    res.writeHead(303, { location: `${action}?saved=${encodeURIComponent(username)}`, 'cache-control': 'no-store' }).end();
  }
}

/** "admins, dev,,dev " -> ['admins', 'dev'] (trimmed, no empties, no duplicates). */
export function parseGroups(text: string): string[] {
  return [...new Set(text.split(',').map((g) => g.trim()).filter(Boolean))];
}

function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
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
