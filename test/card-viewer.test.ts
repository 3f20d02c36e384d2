/**
 * The card viewer in a real browser (headless Chromium, no network): a card file opens offline and
 * draws every component, the DAG and a Vega chart; nothing in the document runs as code; and a card
 * in a frame updates in place from the documents its parent posts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { cardFileHtml } from '../src/cards/html.js';
import { sampleCard } from '../src/cards/sample.fixture.js';
import { BROWSER_SKIP, launchBrowser, openPage } from './browser.js';

describe('The card viewer in Chromium', { skip: BROWSER_SKIP }, () => {
  let browser: Browser;
  const dir = mkdtempSync(join(tmpdir(), 'cairn-viewer-'));
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a card file offline and draws its components, the DAG and a Vega chart', async () => {
    const file = join(dir, 'card.html');
    writeFileSync(file, cardFileHtml(sampleCard()));
    const { page, errors, network } = await openPage(browser);
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('.cc-chart-view svg .mark-rect path', { timeout: 15_000 });
    assert.equal(await page.locator('.cc-chart-view svg .mark-rect path').count(), 3, 'three bars');
    assert.equal(await page.locator('.cc-markdown h1').textContent(), 'Report');
    assert.equal(await page.locator('.cc-valuebox-value').textContent(), '0.93');
    assert.match((await page.locator('.cc-progress-value').textContent()) ?? '', /25%/);
    assert.equal(await page.locator('.cc-table').first().locator('tbody tr').count(), 3);
    assert.equal(await page.locator('.cc-table').first().locator('tbody em').textContent(), 'inside', 'a component inside a cell');
    assert.ok(await page.locator('.cc-image img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 8));
    assert.equal(await page.locator('.cc-dag-node').count(), 6);
    assert.equal(await page.locator('.cc-dag-node.current').getAttribute('data-step'), 'train');
    assert.equal(await page.locator('.cc-dag-edge').count(), 6);
    assert.match((await page.locator('.cc-code').textContent()) ?? '', /<\/script>/, 'code is shown as text');
    assert.deepEqual(errors, []);
    assert.deepEqual(network, []);
    await page.close();
  });

  it('runs nothing that the document holds: <script>, <img onerror> and javascript: links stay inert', async () => {
    const file = join(dir, 'xss.html');
    writeFileSync(file, cardFileHtml(sampleCard()));
    const { page } = await openPage(browser);
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('.cc-markdown');
    const found = await page.evaluate(() => ({
      pwned: (window as { pwned?: unknown }).pwned,
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
      scripts: document.querySelectorAll('#cairn-card script').length,
      javascriptLinks: [...document.querySelectorAll('a')].filter((a) => (a.getAttribute('href') ?? '').toLowerCase().startsWith('javascript')).length,
      externalLink: document.querySelector<HTMLAnchorElement>('.cc-markdown a[href^="https"]')?.rel,
      shownAsText: document.querySelector('.cc-table tbody tr:nth-child(2) td')?.textContent,
    }));
    assert.equal(found.pwned, undefined);
    assert.equal(found.handlers, 0);
    assert.equal(found.scripts, 0);
    assert.equal(found.javascriptLinks, 0);
    assert.equal(found.externalLink, 'noopener noreferrer');
    assert.match(found.shownAsText ?? '', /^<script>window\.pwned = 1<\/script><img/);
    await page.click('.cc-markdown a:not([href])').catch(() => undefined);
    assert.equal(await page.evaluate(() => (window as { pwned?: unknown }).pwned), undefined);
    await page.close();
  });

  it('updates a card in a frame in place from the documents its parent posts, and reports its height', async () => {
    const live = sampleCard({ status: 'rendering', components: [{ type: 'progressBar', value: 1, max: 4, label: 'Shards' }] });
    writeFileSync(join(dir, 'frame.html'), cardFileHtml(live, { listen: true }));
    writeFileSync(
      join(dir, 'parent.html'),
      `<!doctype html><body><iframe id="f" src="frame.html" sandbox="allow-scripts" style="width:900px"></iframe>
       <script>window.heights = []; window.ready = false;
       addEventListener('message', (e) => { if (e.data.type === 'cairn-card-size') heights.push(e.data.height); if (e.data.type === 'cairn-card-ready') ready = true; });</script></body>`,
    );
    const { page, errors } = await openPage(browser);
    await page.goto(pathToFileURL(join(dir, 'parent.html')).href);
    await page.waitForFunction(() => (window as unknown as { ready: boolean }).ready);
    const frame = page.frameLocator('#f');
    assert.match((await frame.locator('.cc-progress-value').textContent()) ?? '', /1 \/ 4/);
    assert.equal(await frame.locator('.cc-pill.live').count(), 1);
    await frame.locator('.cc-progress-fill').evaluate((el) => el.setAttribute('data-marker', 'same element'));
    await page.evaluate((doc) => (document.getElementById('f') as HTMLIFrameElement).contentWindow!.postMessage({ type: 'cairn-card', document: doc }, '*'), {
      ...live,
      components: [{ type: 'progressBar', value: 3, max: 4, label: 'Shards' }],
    });
    await frame.locator('.cc-progress-value', { hasText: '3 / 4' }).waitFor();
    assert.equal(await frame.locator('.cc-progress-fill').getAttribute('data-marker'), 'same element', 'patched in place, not redrawn');
    await page.evaluate((doc) => (document.getElementById('f') as HTMLIFrameElement).contentWindow!.postMessage({ type: 'cairn-card', document: doc }, '*'), {
      ...live,
      status: 'ready',
      components: [{ type: 'progressBar', value: 4, max: 4, label: 'Shards' }, { type: 'markdown', text: 'done\n\n'.repeat(30) }],
    });
    await frame.locator('.cc-pill.live').waitFor({ state: 'detached' });
    await page.waitForFunction(() => (window as unknown as { heights: number[] }).heights.length >= 2);
    const heights = await page.evaluate(() => (window as unknown as { heights: number[] }).heights);
    assert.ok(heights.at(-1)! > heights[0]!, `the frame grew: ${heights.join(', ')}`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
