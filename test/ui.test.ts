/**
 * The web UI (`cairn ui`) in headless Chromium: flows run through the real CLI, then the pages are
 * opened and clicked through as a person would, and the server's defences are checked from outside.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Project } from './helpers.js';
import { BROWSER_SKIP, launchBrowser, openPage } from './browser.js';
import { get, startUi, type RunningUi } from './ui-helpers.js';

const XSS = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';

const flow = `
import { FlowSpec, Parameter, step, type Inputs } from 'cairnflow';

export class ShowFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 0.5 });
  declare shards: string[];
  declare shard: string;
  declare lengths: number[];
  declare note: string;

  @step start() {
    this.shards = ['alpha', 'beta', 'gamma'];
    this.note = ${JSON.stringify(XSS)};
    console.log('starting: ' + this.note);
    this.next(this.measure, { foreach: 'shards' });
  }

  @step measure() {
    this.shard = this.input;
    console.log('measured ' + this.shard);
    this.next(this.join);
  }

  @step join(inputs: Inputs<ShowFlow>) {
    this.lengths = inputs.map((i) => i.shard.length);
    this.next(this.end);
  }

  @step end() {}
}
`;

describe('cairn ui', { skip: BROWSER_SKIP }, () => {
  const project = new Project();
  let browser: Browser;
  let ui: RunningUi;
  const runIds: string[] = [];

  before(async () => {
    project.write('show.ts', flow);
    for (const args of [['--tag', 'first'], ['--tag', XSS, '--alpha', '2']]) {
      const r = await project.cli(['run', 'show.ts', '--run-id-file', 'id.txt', '--no-progress', ...args]);
      assert.equal(r.code, 0, r.stderr);
      runIds.push((await import('node:fs')).readFileSync(`${project.dir}/id.txt`, 'utf8').trim());
    }
    ui = await startUi(project);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    project[Symbol.dispose]();
  });

  it('listens on 127.0.0.1 by default', () => {
    assert.match(ui.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('clicks from the flows page to a flow, to a run, with real URLs that reload', async () => {
    const { page, errors, network } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/`);
    await page.getByRole('link', { name: 'ShowFlow' }).click();
    await page.waitForURL(`${ui.origin}/flows/ShowFlow`);
    const rows = page.locator('table.runs tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.equal(await rows.first().getAttribute('data-run'), runIds[1], 'newest first');
    await page.locator(`a[href="/flows/ShowFlow/runs/${runIds[0]}"]`).click();
    await page.waitForURL(`${ui.origin}/flows/ShowFlow/runs/${runIds[0]}`);
    await page.locator('h1', { hasText: `ShowFlow/${runIds[0]}` }).waitFor();
    await page.reload();
    await page.locator('.step[data-step="measure"] button').click();
    await page.locator('.task-list[data-step="measure"] .task-row').nth(2).waitFor();
    assert.equal(await page.locator('.task-row').count(), 3);
    await page.goBack();
    await page.waitForURL(`${ui.origin}/flows/ShowFlow`);
    assert.deepEqual(errors, []);
    assert.deepEqual(network, []);
    await page.close();
  });

  it("names each page's first API answer in its HTML, and the page reads that preloaded answer (one request, not two)", async () => {
    const html = (await get(`${ui.origin}/flows/ShowFlow?tag=first`)).text;
    assert.match(html, /<link rel="preload" href="\/api\/flows\/ShowFlow\/runs\?tag=first&amp;limit=50" as="fetch" crossorigin="anonymous">/);
    assert.match((await get(`${ui.origin}/flows/ShowFlow/runs/${runIds[0]}`)).text, new RegExp(`<link rel="preload" href="/api/flows/ShowFlow/runs/${runIds[0]}" as="fetch"`));
    assert.doesNotMatch((await get(`${ui.origin}/flows/ShowFlow?since=2026-01-01T10:00`)).text, /rel="preload"/, 'a local time is read by the page');
    assert.doesNotMatch((await get(`${ui.origin}/no/such/page`)).text, /rel="preload"/);
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url().slice(ui.origin.length)));
    const warnings: string[] = [];
    page.on('console', (m) => warnings.push(m.text()));
    for (const [path, first] of [['/flows/ShowFlow', 'table.runs tbody tr'], ['/', 'table.flows tbody tr'], [`/flows/ShowFlow/runs/${runIds[0]}`, '.cc-dag-node']] as const) {
      requests.length = 0;
      await page.goto(`${ui.origin}${path}`);
      await page.locator(first).first().waitFor();
      assert.equal(requests.filter((u) => u.startsWith('/api/')).length, 1, `${path}: ${requests.join(' ')}`);
    }
    assert.deepEqual(warnings.filter((w) => /preload/i.test(w)), [], 'every preload was used');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('filters runs by tag, status, user and time, in the URL', async () => {
    const { page } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/ShowFlow?tag=first`);
    await page.locator('table.runs tbody tr').first().waitFor();
    assert.deepEqual(await page.locator('table.runs tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-run'))), [runIds[0]]);
    await page.goto(`${ui.origin}/flows/ShowFlow?status=failed`);
    await page.locator('.empty', { hasText: 'No run matches' }).waitFor();
    await page.goto(`${ui.origin}/flows/ShowFlow?user=nobody`);
    await page.locator('.empty', { hasText: 'No run matches' }).waitFor();
    await page.goto(`${ui.origin}/flows/ShowFlow`);
    await page.locator('select[name="status"]').selectOption('succeeded');
    await page.waitForURL(/status=succeeded/);
    await page.waitForFunction(() => document.querySelectorAll('table.runs tbody tr').length === 2);
    const api = await (await fetch(`${ui.origin}/api/flows/ShowFlow/runs?user=tester&limit=1`)).json() as { runs: Array<{ id: string }>; next: string };
    assert.deepEqual(api.runs.map((r) => r.id), [runIds[1]]);
    const older = await (await fetch(`${ui.origin}/api/flows/ShowFlow/runs?limit=1&before=${encodeURIComponent(api.next)}`)).json() as { runs: Array<{ id: string }>; next: string | null };
    assert.deepEqual(older.runs.map((r) => r.id), [runIds[0]]);
    assert.equal(older.next, null);
    const future = await (await fetch(`${ui.origin}/api/flows/ShowFlow/runs?since=${Date.now() + 60_000}`)).json() as { runs: unknown[] };
    assert.deepEqual(future.runs, []);
    const bad = await get(`${ui.origin}/api/flows/ShowFlow/runs?status=exploded`);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.text).error.message, /status must be one of running, succeeded, failed/);
    await page.close();
  });

  it('shows a missing flow, run or page as a 404 page, not a stack trace', async () => {
    for (const path of ['/flows/NoFlow', `/flows/ShowFlow/runs/999`, '/no/such/page', '/flows/ShowFlow/runs/1/steps/x/tasks/1']) {
      const r = await get(`${ui.origin}${path}`);
      assert.equal(r.status, 404, path);
    }
    const api = await get(`${ui.origin}/api/flows/ShowFlow/runs/999`);
    assert.equal(api.status, 404);
    assert.match(JSON.parse(api.text).error.message, /Run 'ShowFlow\/999' was not found/);
    assert.doesNotMatch(api.text, /at .*\.js:\d+/);
    const { page } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/ShowFlow/runs/999`);
    await page.locator('.notfound h1', { hasText: 'Not found' }).waitFor();
    assert.match((await page.locator('.notfound').textContent()) ?? '', /ShowFlow\/999/);
    await page.close();
  });

  it('renders tags, parameters and logs that hold <script> and <img onerror> as text', async () => {
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/ShowFlow`);
    await page.locator('.tag', { hasText: '<img' }).waitFor();
    await page.goto(`${ui.origin}/flows/ShowFlow/runs/${runIds[1]}`);
    await page.locator('.tag', { hasText: '<script>' }).waitFor();
    const found = await page.evaluate(() => ({
      pwned: (window as { pwned?: unknown }).pwned,
      imgs: document.querySelectorAll('main img').length,
      scripts: document.querySelectorAll('main script').length,
    }));
    assert.deepEqual(found, { pwned: undefined, imgs: 0, scripts: 0 });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('refuses traversal, other hosts, cross-origin data and writes', async () => {
    // Raw paths, as a client that does not normalise them would send.
    const raw = (path: string, headers: Record<string, string> = {}): Promise<number> =>
      new Promise((resolve, reject) => {
        const u = new URL(ui.origin);
        const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of ['/assets/../server.js', '/assets/%2e%2e/server.js', '/assets/..%2fserver.js', '/assets/%2Fetc%2Fpasswd', '//etc/passwd', '/assets/app.js%00', '/api/flows/..%5c..%5cx', '/../../etc/passwd']) {
      const status = await raw(path);
      assert.ok(status === 400 || status === 404, `${path}: ${status}`);
    }
    assert.equal((await get(`${ui.origin}/assets/server.js`)).status, 404);
    assert.equal((await get(`${ui.origin}/assets/app.js`)).status, 200);
    assert.equal(await raw('/api/flows', { Host: 'evil.example:80' }), 403, 'a rebound host name gets nothing');
    const cross = await get(`${ui.origin}/api/flows`, { Origin: 'https://evil.example' });
    assert.equal(cross.status, 403);
    assert.doesNotMatch(cross.text, /ShowFlow/);
    assert.equal(cross.headers.get('access-control-allow-origin'), null);
    assert.equal((await get(`${ui.origin}/api/flows`, { 'Sec-Fetch-Site': 'cross-site' })).status, 403);
    const post = await fetch(`${ui.origin}/api/flows`, { method: 'POST' });
    assert.equal(post.status, 405);
  });

  it('warns, with --host, that anyone who can reach the port can read every artifact', async () => {
    const open = await startUi(project, {}, ['--host', '0.0.0.0']);
    try {
      await open.proc.waitFor(/warning: the UI listens on 0\.0\.0\.0: anyone who can reach port \d+ can read every run, log and artifact/);
    } finally {
      await open.stop();
    }
  });

  it('sends a strict Content-Security-Policy with every page', async () => {
    const r = await get(`${ui.origin}/flows/ShowFlow`);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
  });
});
