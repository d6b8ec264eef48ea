// The user journey in a real browser: Debian's Chromium (installed by .ci/run with apt; never a
// downloaded browser), driven with playwright-core.
//
//   a page on its own loopback origin, with the official SDK's authWithOAuth2({ provider }) popup
//   -> the IdP's sign-in form -> its consent form -> PocketBase's /api/oauth2-redirect, which
//   hands the code to the page over realtime -> the page shows pb.authStore.record with groups.
//
// Then the PocketBase dashboard as a superuser, with a screenshot of the users collection's OAuth2
// settings for the README (docs/oauth2-settings.png, rewritten every run).
//
// The demo page itself is covered by demo.test.ts. Run on its own with `npm run test:browser`.
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdpUser } from '../../testkit/idp.js';
import { servePage, type PageServer } from '../../testkit/page-server.js';
import { SUPERUSER } from '../../testkit/pocketbase.js';
import { NEWEST, VERSIONS } from '../../testkit/pocketbase-versions.js';
import { startStack, storedUser, type Stack } from '../support/stack.js';
import { launchChromium, openContext, settled } from './chromium.js';

const SCREENSHOT = resolve('docs/oauth2-settings.png');

const alice: IdpUser = { username: 'alice', password: 'alice-password', name: 'Alice Liddell', email: 'alice@example.test', groups: ['dev', 'admins'] };
const bob: IdpUser = { username: 'bob', password: 'bob-password', name: 'Bob', email: 'bob@example.test', groups: ['dev'] };

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(VERSIONS)('the sign-in journey in Chromium on PocketBase %s', (version) => {
  let stack: Stack;
  let app: PageServer;

  beforeAll(async () => {
    stack = await startStack({ version, users: [alice, bob] });
    app = await serveAppPage(stack.pb.url);
  });
  afterAll(async () => {
    await app?.close();
    await stack?.close();
  });

  it('signs in through the SDK popup, the IdP forms and /api/oauth2-redirect, and shows the groups', async () => {
    const { page, visited } = await openContext(browser, 'journey');
    await page.goto(app.url);
    await page.getByText('Not signed in.').waitFor();

    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Login with Authelia' }).click()]);
    // Registered now: the SDK closes the popup itself as soon as it has the code. The whole
    // sign-in must fit in this, so it is longer than one step (and still within vitest's 30 s).
    const popupClosed = popup.waitForEvent('close', { timeout: 25_000 });
    popupClosed.catch(() => undefined); // awaited below; not an unhandled rejection if a step fails first
    // Every top-level request of the popup, redirects included (the code passes through them).
    popup.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === popup.mainFrame()) visited.push(request.url());
    });

    // The IdP's sign-in page: a plain HTML form, filled in and submitted like a person would.
    await popup.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(popup.url()).toContain(`${stack.idp.issuer}/interaction/`);
    await popup.getByLabel('Username').fill(alice.username);
    await popup.getByLabel('Password').fill(alice.password);
    await popup.getByRole('button', { name: 'Sign in' }).click();

    // Consent, Authelia style: the groups scope is asked for by name.
    await popup.getByRole('heading', { name: `Hi ${alice.username}` }).waitFor();
    await popup.getByText('Access your group membership').waitFor();
    await popup.getByRole('button', { name: 'Accept' }).click();

    await popupClosed;
    // The IdP sent the browser back to PocketBase's redirect page with a code and the state.
    const redirect = visited.map((url) => new URL(url)).find((url) => url.href.startsWith(`${stack.pb.url}/api/oauth2-redirect?`));
    expect(redirect?.searchParams.get('code')).toBeTruthy();
    expect(redirect?.searchParams.get('state')).toBeTruthy();

    // Back in the page: the SDK finished authWithOAuth2 and the auth store holds the record.
    const out = page.locator('#out:not([data-state="pending"])');
    await out.waitFor();
    const text = (await out.textContent()) ?? '';
    expect({ state: await out.getAttribute('data-state'), text }).toMatchObject({ state: 'signed-in' });
    const record = JSON.parse(text) as Record<string, unknown>;
    expect(record).toMatchObject({ collectionName: 'users', email: alice.email, name: alice.name, groups: ['admins', 'dev'] });
    expect(await page.evaluate(() => (window as unknown as { pb: { authStore: { isValid: boolean } } }).pb.authStore.isValid)).toBe(true);

    // What PocketBase stored, read as superuser, says the same.
    const stored = await storedUser(stack.pb, alice.email);
    expect(stored.id).toBe(record['id']);
    expect(stored['groups']).toEqual(['admins', 'dev']);
  });

  it('shows the IdP error on the sign-in form for a wrong password, and creates no user', async () => {
    const { page } = await openContext(browser, 'wrong-password');
    await page.goto(app.url);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Login with Authelia' }).click()]);

    await popup.getByRole('heading', { name: 'Sign in' }).waitFor();
    await popup.getByLabel('Username').fill(bob.username);
    await popup.getByLabel('Password').fill('not-bobs-password');
    await popup.getByRole('button', { name: 'Sign in' }).click();

    // The form comes back with the error and the username kept; no redirect to PocketBase.
    await popup.getByRole('alert').filter({ hasText: 'Incorrect username or password.' }).waitFor();
    expect(await popup.getByLabel('Username').inputValue()).toBe(bob.username);
    expect(await popup.getByLabel('Password').inputValue()).toBe('');
    expect(popup.url()).toContain(`${stack.idp.issuer}/interaction/`);
    expect(popup.isClosed()).toBe(false);

    // The page is still waiting and nobody got an account.
    expect(await page.locator('#out').getAttribute('data-state')).toBe('pending');
    const superuser = await stack.pb.superuser();
    const users = await superuser.collection('users').getList(1, 1, { filter: superuser.filter('email = {:email}', { email: bob.email }) });
    expect(users.totalItems).toBe(0);
  });
});

describe(`the PocketBase ${NEWEST} dashboard`, () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ version: NEWEST, users: [alice] });
  });
  afterAll(() => stack?.close());

  it('shows Authelia as the users collection\'s OAuth2 provider (and saves docs/oauth2-settings.png)', async () => {
    const { page } = await openContext(browser, 'dashboard');
    await page.goto(`${stack.pb.url}/_/`);

    // Superuser login form.
    await page.getByLabel('Email', { exact: true }).fill(SUPERUSER.email);
    await page.getByLabel('Password', { exact: true }).fill(SUPERUSER.password);
    await page.getByRole('button', { name: 'Login' }).click();

    // Collections -> users -> Collection settings (the gear) -> Options tab -> OAuth2.
    await page.locator('nav.collections-list').getByTitle('users', { exact: true }).click();
    await page.getByRole('button', { name: 'Collection settings' }).click();
    await page.locator('button[data-tab="Options"]').click();
    const oauth2 = page.locator('details[data-pb="oauth2Accordion"]');
    await oauth2.waitFor();
    // A click on the summary toggles: open it only if it is closed.
    if (!(await oauth2.evaluate((el) => (el as HTMLDetailsElement).open))) await oauth2.locator('summary').click();

    const provider = oauth2.getByText('Authelia', { exact: true });
    await provider.waitFor({ state: 'visible' });
    // The end of the accordion's content: then wait out the drawer's slide-in and the accordion's
    // opening (a transition on its height that animations: 'disabled' does not stop).
    await oauth2.getByText('Optional users create fields mapping').waitFor({ state: 'visible' });
    await settled(oauth2);
    expect(await oauth2.locator('summary').textContent()).toContain('Enabled');
    expect(await oauth2.getByText('oidc', { exact: true }).isVisible()).toBe(true);

    await mkdir(resolve('docs'), { recursive: true });
    // Finished slide-in and accordion transitions, no blinking caret: the same picture every run.
    await page.screenshot({ path: SCREENSHOT, animations: 'disabled', caret: 'hide' });
  });
});

/**
 * A frontend on its own loopback origin, like a real app: the official SDK (UMD build) and one
 * button that runs its popup flow. `#out` carries `data-state` = signed-out | pending |
 * signed-in | failed, and the record as JSON once signed in.
 */
async function serveAppPage(pocketbaseUrl: string): Promise<PageServer> {
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in with Authelia</title></head>
<body>
<h1>Sign in with Authelia</h1>
<button id="login">Login with Authelia</button>
<pre id="out" data-state="signed-out">Not signed in.</pre>
<script src="/pocketbase.umd.js"></script>
<script>
  const pb = new PocketBase(${JSON.stringify(pocketbaseUrl)});
  window.pb = pb;
  const out = document.getElementById('out');
  document.getElementById('login').addEventListener('click', async () => {
    out.dataset.state = 'pending';
    out.textContent = 'Signing in...';
    try {
      await pb.collection('users').authWithOAuth2({ provider: 'oidc' });
      out.textContent = JSON.stringify(pb.authStore.record);
      out.dataset.state = 'signed-in';
    } catch (err) {
      out.textContent = 'Login failed: ' + (err && err.message ? err.message : String(err));
      out.dataset.state = 'failed';
    }
  });
</script>
</body>
</html>
`;
  return servePage(html);
}
