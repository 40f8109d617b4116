import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { chromiumPath } from './server.js';

export const DEMO_PASSWORD = 'demo-password';

/** The zone the demo catalogue lives in; the browser is put there so slot names are predictable. */
export const DEMO_ZONE = 'Asia/Kolkata';

export const phone = { width: 390, height: 844 } as const;
export const desktop = { width: 1280, height: 800 } as const;

/**
 * Debian's Chromium, headless; playwright gives each launch a new temporary profile and removes it on
 * close. The background services are switched off: this machine's closed network refuses them.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A fresh context (no stored sign-in) at desktop size in the demo zone. Waits give up after 10 s, not
 * playwright's 30: the app and its server run on this machine, so a longer wait means a missing page.
 */
export async function freshContext(browser: Browser, baseUrl: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: desktop,
    timezoneId: DEMO_ZONE,
    locale: 'en-GB',
  });
  context.setDefaultTimeout(10_000);
  return context;
}

/** Signs in through the sign-in page, as a person would, and waits until the app has let them in. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).waitFor();
  await page.waitForURL((url) => url.pathname !== '/login');
}
