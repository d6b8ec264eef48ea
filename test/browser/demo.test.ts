// The demo as a newcomer meets it: `node demo/run.mjs` (what `npm start` runs after the build),
// in its own process on free ports with a fresh data dir, then its page in Chromium. alice
// (group admins) and bob (group dev) sign in through the popup; the page shows what the extension
// wrote on their records and what the admins-only rule of demo_notes lets each of them read.
// Closing the sign-in window, or an error answered by the IdP, ends the wait with a message.
// The signed-in page of alice is saved as docs/demo-page.png for the README, every run.
//
// Run on its own with `npm run test:browser`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testkit/pocketbase.js';
import { launchChromium, openContext } from './chromium.js';

const SCREENSHOT = resolve('docs/demo-page.png');
const DEMO_VIEWPORT = { width: 960, height: 480 };
const READY = 'PocketBase + Authelia demo is running';
const REVALIDATE_AFTER_S = 3;

interface Demo {
  readonly pageUrl: string;
  readonly idpUrl: string;
  stop(): Promise<void>;
}

/** Starts the demo and resolves once it prints its banner; rejects with its output if it exits first. */
async function startDemo(): Promise<Demo> {
  const [port, idpPort, pagePort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = await mkdtemp(join(tmpdir(), 'pb-authelia-demo-'));
  // The demo's own defaults, not the shell's: no operator AUTHELIA_* reaches it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AUTHELIA_')));
  const child: ChildProcess = spawn(process.execPath, ['demo/run.mjs'], {
    // A short revalidation interval and no sweep, so that the Refresh test below knows who checks.
    env: { ...env, AUTHELIA_REVALIDATE_AFTER: `${REVALIDATE_AFTER_S}s`, AUTHELIA_SWEEP: 'off', HOST: '127.0.0.1', PORT: String(port), IDP_PORT: String(idpPort), DEMO_PAGE_PORT: String(pagePort), PB_DATA: join(dataDir, 'pb_data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await new Promise<void>((ready, fail) => {
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) ready();
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    void exited.then((code) => fail(new Error(`the demo exited (${code}) before it was ready:\n${output}`)));
  });
  return {
    pageUrl: `http://127.0.0.1:${pagePort}/`,
    idpUrl: `http://127.0.0.1:${idpPort}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM'); // the demo stops PocketBase and its IdP itself
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Clicks "Login with Authelia" and goes through the IdP's sign-in and consent forms in the popup. */
async function signIn(page: Page, demo: Demo, username: string): Promise<void> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Login with Authelia' }).click()]);
  const closed = popup.waitForEvent('close', { timeout: 25_000 });
  closed.catch(() => undefined); // awaited below; not an unhandled rejection if a step fails first
  await popup.getByRole('heading', { name: 'Sign in' }).waitFor();
  expect(popup.url()).toContain(`${demo.idpUrl}/interaction/`);
  await popup.getByLabel('Username').fill(username);
  await popup.getByLabel('Password').fill(`${username}-password`); // as the README and the banner say
  await popup.getByRole('button', { name: 'Sign in' }).click();
  await popup.getByRole('button', { name: 'Accept' }).click();
  await closed;
  await page.locator('#session:not([data-state="pending"])').waitFor();
  expect(await page.locator('#who').textContent()).toMatch(/^Signed in as /);
}

/** Waits until the page's status line says `text`: the page updates within about a second, so 10 s is generous. */
async function saysSoon(page: Page, text: string): Promise<void> {
  await expect.poll(() => page.locator('#who').textContent(), { timeout: 10_000 }).toBe(text);
}

/** Clicks "Login with Authelia" and returns the sign-in window once it shows one of the IdP's pages. */
async function openSignInWindow(page: Page, demo: Demo): Promise<Page> {
  const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Login with Authelia' }).click()]);
  await popup.waitForURL(`${demo.idpUrl}/interaction/**`);
  await popup.locator('h1').waitFor();
  expect(await page.locator('#who').textContent()).toBe('Signing in...');
  expect(await page.getByRole('button', { name: 'Login with Authelia' }).isDisabled()).toBe(true);
  return popup;
}

/**
 * Counts the EventSources the page opened that are still open: the SDK's authWithOAuth2 holds one
 * (its realtime subscription to @oauth2) while it waits, and must drop it when the wait is over.
 * Runs in the page, before its own scripts.
 */
function countEventSources(): void {
  const Native = window.EventSource;
  const opened: EventSource[] = [];
  window.EventSource = class extends Native {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init);
      opened.push(this);
    }
  };
  (window as unknown as { openEventSources: () => number }).openEventSources = () => opened.filter((source) => source.readyState !== Native.CLOSED).length;
}

const openEventSources = (page: Page) => page.evaluate(() => (window as unknown as { openEventSources: () => number }).openEventSources());

/** The page's table and note list, as the user sees them. */
async function shown(page: Page): Promise<Record<string, unknown>> {
  return {
    groups: await page.locator('#groups').textContent(),
    memberOf: await page.locator('#memberOf').textContent(),
    roles: await page.locator('#roles').textContent(),
    notes: await page.locator('#notes li').allTextContents(),
  };
}

describe('the demo page (npm start)', () => {
  let browser: Browser;
  let demo: Demo;

  beforeAll(async () => {
    browser = await launchChromium();
    demo = await startDemo();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('alice (admins, dev) sees her groups, memberOf names, roles and the admins-only note (saves docs/demo-page.png)', async () => {
    const { page } = await openContext(browser, 'demo-alice', DEMO_VIEWPORT);
    await page.goto(demo.pageUrl);
    await page.getByText('Not signed in.').waitFor();
    await signIn(page, demo, 'alice');

    expect(await page.locator('#who').textContent()).toBe('Signed in as Alice Demo (alice@example.test)');
    expect(await shown(page)).toEqual({
      groups: '["admins","dev"]',
      memberOf: 'admins, dev',
      roles: 'admin, developer',
      notes: ['For admins only: Only members of the Authelia group "admins" can read this note.'],
    });
    expect(await page.getByText('@request.auth.memberOf.name ?= "admins"').isVisible()).toBe(true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true, animations: 'disabled', caret: 'hide' });
  });

  it("Sign out ends the PocketBase session and Authelia's own: the next Login with Authelia asks alice for her password again", async () => {
    const { page } = await openContext(browser, 'demo-sign-out', DEMO_VIEWPORT);
    await page.goto(demo.pageUrl);
    await signIn(page, demo, 'alice');
    const visited: string[] = [];
    page.on('request', (request) => {
      if (request.isNavigationRequest()) visited.push(request.url());
    });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(demo.pageUrl);
    await page.getByText('Not signed in.').waitFor();
    expect(visited.some((url) => url.startsWith(`${demo.idpUrl}/logout?rd=`))).toBe(true);
    // The IdP's browser session is gone too: the popup shows the sign-in form, not the consent page.
    await signIn(page, demo, 'alice');
    expect(await page.locator('#who').textContent()).toBe('Signed in as Alice Demo (alice@example.test)');
  });

  it('closing the sign-in window: the page says "Sign-in window closed", drops its realtime subscription, and the button signs in again', async () => {
    const { context, page } = await openContext(browser, 'demo-window-closed', DEMO_VIEWPORT);
    await context.addInitScript(countEventSources);
    await page.goto(demo.pageUrl);
    const popup = await openSignInWindow(page, demo);
    await popup.getByRole('heading', { name: 'Sign in' }).waitFor();
    await popup.close();

    await saysSoon(page, 'Sign-in window closed');
    expect(await page.locator('#details').isHidden()).toBe(true);
    expect(await page.getByRole('button', { name: 'Login with Authelia' }).isEnabled()).toBe(true);
    await expect.poll(() => openEventSources(page), { timeout: 10_000 }).toBe(0);

    await signIn(page, demo, 'alice');
    expect(await page.locator('#who').textContent()).toBe('Signed in as Alice Demo (alice@example.test)');
  });

  it('the IdP answers with an error (consent denied): the page says "Sign-in failed: access_denied", and the button signs in again', async () => {
    const { context, page } = await openContext(browser, 'demo-access-denied', DEMO_VIEWPORT);
    await context.addInitScript(countEventSources);
    await page.goto(demo.pageUrl);
    const popup = await openSignInWindow(page, demo);
    const closed = popup.waitForEvent('close', { timeout: 25_000 });
    closed.catch(() => undefined); // awaited below
    await popup.getByLabel('Username').fill('bob');
    await popup.getByLabel('Password').fill('bob-password');
    await popup.getByRole('button', { name: 'Sign in' }).click();
    await popup.getByRole('button', { name: 'Deny' }).click();

    await saysSoon(page, 'Sign-in failed: access_denied');
    await closed;
    expect(await page.getByRole('button', { name: 'Login with Authelia' }).isEnabled()).toBe(true);
    await expect.poll(() => openEventSources(page), { timeout: 10_000 }).toBe(0);

    // bob is still signed in at the IdP, which now asks only for consent.
    const again = await openSignInWindow(page, demo);
    await again.getByRole('button', { name: 'Accept' }).click();
    await saysSoon(page, 'Signed in as Bob Demo (bob@example.test)');
  });

  it('a slow code exchange still signs in: the window that PocketBase closes after passing the code on is no "Sign-in window closed"', async () => {
    const { page } = await openContext(browser, 'demo-slow-exchange', DEMO_VIEWPORT);
    // PocketBase's success page closes the window long before this exchange answers.
    await page.route('**/api/collections/*/auth-with-oauth2*', async (route) => {
      await new Promise((done) => setTimeout(done, 3_000));
      await route.continue();
    });
    await page.goto(demo.pageUrl);
    await signIn(page, demo, 'bob');
    expect(await page.locator('#who').textContent()).toBe('Signed in as Bob Demo (bob@example.test)');
  });

  it('bob (dev) sees his group and role, and an empty list: the rule admits only members of admins', async () => {
    const { page } = await openContext(browser, 'demo-bob', DEMO_VIEWPORT);
    await page.goto(demo.pageUrl);
    await signIn(page, demo, 'bob');

    expect(await page.locator('#who').textContent()).toBe('Signed in as Bob Demo (bob@example.test)');
    expect(await shown(page)).toEqual({
      groups: '["dev"]',
      memberOf: 'dev',
      roles: 'developer',
      notes: ['No notes: the rule lets this user read none.'],
    });
  });

  it('says what Refresh did: not due yet, then checked with Authelia once due, after a change on the IdP users page that says when changes arrive', async () => {
    const { context, page } = await openContext(browser, 'demo-carol', DEMO_VIEWPORT);
    await page.goto(demo.pageUrl);
    await signIn(page, demo, 'carol');
    const signedInAt = Date.now();
    const refresh = async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator('#refresh-result:not([data-outcome="pending"])').waitFor();
      return { outcome: await page.locator('#refresh-result').getAttribute('data-outcome'), text: await page.locator('#refresh-result').textContent() };
    };

    expect(await refresh()).toEqual({
      outcome: 'not-due',
      text: expect.stringMatching(new RegExp(`^Not checked with Authelia: not due until \\d\\d:\\d\\d:\\d\\d \\(AUTHELIA_REVALIDATE_AFTER=${REVALIDATE_AFTER_S}s after the last check, at \\d\\d:\\d\\d:\\d\\d\\)\\.$`)),
    });

    const users = await context.newPage();
    await users.goto(`${demo.idpUrl}/demo/users`);
    expect(await users.locator('#reaches').textContent()).toBe('PocketBase sees a change here only when it next asks. A Refresh on the demo page asks once ' +
      `${REVALIDATE_AFTER_S}s have passed since that user's last check (AUTHELIA_REVALIDATE_AFTER=${REVALIDATE_AFTER_S}s); there is no background sweep ` +
      "(AUTHELIA_SWEEP=off). Whichever comes first brings the change; the demo page's Refresh says whether it checked, or when it will.");
    const carol = users.locator('section.user', { hasText: 'carol@example.test' });
    await carol.getByLabel('Groups (comma-separated)').fill('dev');
    await carol.getByRole('button', { name: 'Save' }).click();
    await users.getByText('Saved carol.').waitFor();

    await new Promise((done) => setTimeout(done, Math.max(0, signedInAt + REVALIDATE_AFTER_S * 1000 + 500 - Date.now())));
    expect(await refresh()).toEqual({ outcome: 'checked-changed', text: 'Checked with Authelia just now: groups changed, (none) → dev.' });
    expect((await shown(page))['groups']).toBe('["dev"]');
    expect((await refresh()).outcome).toBe('not-due');
  });
});
