/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core, with
 * no network (every request that is not for a local file or inline data is refused and recorded).
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.CAIRN_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const BROWSER_SKIP = existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CAIRN_TEST_CHROMIUM)`;

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught page errors. */
  errors: string[];
  /** Requests for anything but local files and inline data (refused). */
  network: string[];
}

/** `allow`: an origin (`http://127.0.0.1:PORT`) whose requests go through too (a server under test). */
export async function openPage(browser: Browser, options: { width?: number; height?: number; allow?: string } = {}): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: options.width ?? 1100, height: options.height ?? 900 } });
  const errors: string[] = [];
  const network: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    if (options.allow && (url === options.allow || url.startsWith(`${options.allow}/`))) return route.continue();
    network.push(url);
    return route.abort();
  });
  return { page, errors, network };
}
