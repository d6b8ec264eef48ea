// Debian's Chromium (installed by .ci/run with apt; never a downloaded browser), driven with
// playwright-core: the launch settings and the per-test helpers of the browser tests.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
// Known to work as root on Debian 12 with two cores; headless is playwright's own flag.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const FAILURES = resolve('.tmp/browser-failures');
const VIEWPORT = { width: 1280, height: 800 };
/** Playwright's own waits give up before vitest's 30 s, so a failure names the step. */
export const STEP_TIMEOUT_MS = 15_000;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}. Install Debian's package: apt-get install -y --no-install-recommends chromium (as .ci/run does).`);
  }
  // A fresh temporary profile per launch (playwright's default when no user-data-dir is given).
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A fresh browser context (no cookies, no storage) for one test, closed when it ends. On failure,
 * every open page is first saved as a screenshot under .tmp/browser-failures/, and the popup's
 * URLs and the browser's console errors go to the test output.
 */
export async function openContext(
  b: Browser,
  name: string,
  viewport: { width: number; height: number } = VIEWPORT,
): Promise<{ context: BrowserContext; page: Page; visited: string[] }> {
  const context = await b.newContext({ viewport, colorScheme: 'light', locale: 'en-US' });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors: string[] = [];
  const visited: string[] = [];
  context.on('page', (p) => {
    p.on('console', (m) => m.type() === 'error' && errors.push(`${p.url()}: ${m.text()}`));
    p.on('pageerror', (err) => errors.push(`${p.url()}: ${err.message}`));
  });
  onTestFinished(async ({ task }) => {
    if (task.result?.state === 'fail') {
      await mkdir(FAILURES, { recursive: true });
      const pages = context.pages();
      for (const [i, p] of pages.entries()) await p.screenshot({ path: `${FAILURES}/${name}-${i}.png` }).catch(() => undefined);
      console.error(
        `[${name}] open pages: ${pages.map((p) => p.url()).join(', ') || '(none)'}\n` +
          `[${name}] popup went through: ${visited.join(' -> ') || '(nothing)'}\n` +
          `[${name}] browser errors: ${errors.join('\n') || '(none)'}`,
      );
    }
    await context.close();
  });
  const page = await context.newPage();
  return { context, page, visited };
}

/** Waits until an element's box has stayed the same for a few frames (a transition has ended). */
export async function settled(locator: Locator): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let last = '';
  let same = 0;
  while (same < 3) {
    if (Date.now() > deadline) throw new Error(`the element kept moving: ${last}`);
    await new Promise((done) => setTimeout(done, 100));
    const box = JSON.stringify(await locator.boundingBox());
    same = box === last ? same + 1 : 0;
    last = box;
  }
}
