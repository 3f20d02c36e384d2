/**
 * The web UI's task page and compare page in headless Chromium: flows run through the real CLI,
 * then a person's clicks from the flows page to a task, its attempts, coloured output, artifacts
 * (a broken blob among them) and cards; a running task's output followed live; two runs compared.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Project } from './helpers.js';
import { BROWSER_SKIP, launchBrowser, openPage } from './browser.js';
import { get, startUi, type RunningUi } from './ui-helpers.js';
import { LocalArtifactStore } from '../src/storage/index.js';
import { serializeCardDocument } from '../src/cards/document.js';
import { sampleCard } from '../src/cards/sample.fixture.js';

const XSS = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const flow = `
import { FlowSpec, Parameter, current, retry, step } from 'cairnflow';

export class TaskFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 1 });
  declare rows: Array<{ name: string; score: number }>;
  declare weights: Float64Array;
  declare picture: Buffer;
  declare config: Record<string, unknown>;
  declare long: string;
  declare note: string;
  declare fragile: string;
  declare same: number;

  @step start() {
    this.rows = [{ name: 'ada', score: 3 * this.alpha }, { name: 'bob', score: 5 }];
    this.weights = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i / 50) * this.alpha);
    this.picture = Buffer.from(${JSON.stringify(PNG)}, 'base64');
    this.config = { lr: 0.1 * this.alpha, layers: [8, 16], nested: { deep: { deeper: true } } };
    this.long = 'x'.repeat(10000);
    this.note = ${JSON.stringify(XSS)};
    this.fragile = 'fragile at ' + this.alpha;
    this.same = 42;
    console.log('\\x1b[32mgreen line\\x1b[0m then plain');
    console.log('note: ' + this.note);
    console.error('\\x1b[1;31mwarning in red\\x1b[0m');
    this.next(this.flaky);
  }

  @retry({ times: 1 })
  @step flaky() {
    if (current.retryCount === 0) throw new Error('flaky failure on the first try');
    console.log('second try works');
    this.next(this.end);
  }

  @step end() {
    for (let i = 1; i <= 5100; i++) console.log('line ' + i);
  }
}
`;

const live = `
import { existsSync } from 'node:fs';
import { FlowSpec, step } from 'cairnflow';

export class LiveFlow extends FlowSpec {
  @step async start() {
    for (let i = 1; !existsSync('go') && i < 600; i++) {
      console.log('tick ' + i);
      await new Promise((r) => setTimeout(r, 150));
    }
    console.log('done ticking');
    this.next(this.end);
  }
  @step end() {}
}
`;

/** The events of a Server-Sent Events answer read to its end. */
function sseEvents(text: string): Array<{ event: string; data: string; id?: string }> {
  return text.split('\n\n').filter((b) => b.includes('event:')).map((block) => {
    const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
    return { event: field('event')!, data: field('data')!, ...(field('id') !== undefined ? { id: field('id')! } : {}) };
  });
}

interface TaskRef {
  step: string;
  id: string;
}

describe('cairn ui: task and compare pages', { skip: BROWSER_SKIP }, () => {
  const project = new Project();
  let browser: Browser;
  let ui: RunningUi;
  const runIds: string[] = [];
  const tasks = new Map<string, TaskRef>();

  const api = async <T>(path: string): Promise<T> => {
    const r = await get(`${ui.origin}${path}`);
    assert.equal(r.status, 200, `${path}: ${r.text}`);
    return JSON.parse(r.text) as T;
  };

  before(async () => {
    project.write('task.ts', flow);
    for (const args of [[], ['--alpha', '2']]) {
      const r = await project.cli(['run', 'task.ts', '--run-id-file', 'id.txt', '--no-progress', ...args]);
      assert.equal(r.code, 0, r.stderr);
      runIds.push(readFileSync(join(project.dir, 'id.txt'), 'utf8').trim());
    }
    ui = await startUi(project);
    browser = await launchBrowser();
    const run = await api<{ steps: Array<{ name: string; tasks: Array<{ id: string }> }> }>(`/api/flows/TaskFlow/runs/${runIds[1]}`);
    for (const s of run.steps) tasks.set(s.name, { step: s.name, id: s.tasks[0]!.id });
    // Break one blob of the second run, and give its start task a card, as @card would.
    const store = new LocalArtifactStore(project.store);
    const start = tasks.get('start')!;
    const detail = await api<{ artifacts: Array<{ name: string; sha: string }> }>(`/api/flows/TaskFlow/runs/${runIds[1]}/steps/start/tasks/${start.id}`);
    const fragile = detail.artifacts.find((a) => a.name === 'fragile')!;
    writeFileSync(store.blobPath(fragile.sha), 'not what was stored');
    const key = { flow: 'TaskFlow', runId: runIds[1]!, step: 'start', taskId: start.id };
    await store.putCard(key, 0, 'report', serializeCardDocument(sampleCard({ id: 'report', title: 'report', task: { pathspec: `TaskFlow/${runIds[1]}/start/${start.id}`, attempt: 0, status: 'succeeded' } })));
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    project[Symbol.dispose]();
  });

  const taskPath = (run: string, t: TaskRef) => `/flows/TaskFlow/runs/${run}/steps/${t.step}/tasks/${t.id}`;

  it('clicks from the flows page to a run, to a task, and reads a log line and an artifact value', async () => {
    const { page, errors, network } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/`);
    await page.getByRole('link', { name: 'TaskFlow' }).click();
    await page.locator(`a[href="/flows/TaskFlow/runs/${runIds[0]}"]`).click();
    await page.waitForURL(`${ui.origin}/flows/TaskFlow/runs/${runIds[0]}`);
    // The run page lists the tasks of the step chosen (in the URL).
    await page.goto(`${ui.origin}/flows/TaskFlow/runs/${runIds[0]}?step=start`);
    const start = (await api<{ steps: Array<{ name: string; tasks: Array<{ id: string }> }> }>(`/api/flows/TaskFlow/runs/${runIds[0]}`)).steps.find((s) => s.name === 'start')!;
    await page.locator(`a[href="${taskPath(runIds[0]!, { step: 'start', id: start.tasks[0]!.id })}"]`).click();
    await page.waitForURL(`${ui.origin}${taskPath(runIds[0]!, { step: 'start', id: start.tasks[0]!.id })}`);
    await page.locator('.log-line', { hasText: 'green line then plain' }).waitFor();
    assert.equal(await page.locator('.log-line span.fg-c2', { hasText: 'green line' }).count(), 1, 'the ANSI colour is a class on a text span');
    assert.doesNotMatch((await page.locator('.log-box').textContent()) ?? '', /\[32m/);
    const rows = page.locator('[data-artifact="rows"]');
    await rows.locator('table').waitFor();
    assert.deepEqual(await rows.locator('thead th').evaluateAll((th) => th.map((t) => t.firstChild?.textContent)), ['name', 'score']);
    assert.match((await rows.locator('tbody tr').first().textContent()) ?? '', /ada\s*3/);
    assert.match((await page.locator('[data-artifact="weights"]').textContent()) ?? '', /Float64Array.*length\s*1,000/s);
    assert.equal(await page.locator('[data-artifact="weights"] svg.cc-spark').count(), 1, 'a small plot of the typed array');
    assert.equal(await page.locator('[data-artifact="picture"] img').getAttribute('src'), `data:image/png;base64,${PNG}`);
    assert.equal(await page.locator('[data-artifact="config"] details').count() > 0, true, 'a collapsible tree');
    assert.equal(await page.locator('[data-artifact="long"] .cc-note').textContent(), 'Showing 4,000 of 10,000 characters.', 'a large value is cut, with a note');
    assert.equal(await page.locator('[data-artifact="long"] .cc-size').textContent(), '9.8 KiB');
    assert.equal(await page.locator('[data-artifact="long"] .cc-type').textContent(), 'string');
    // stderr, searched.
    await page.getByRole('tab', { name: 'stderr' }).click();
    await page.locator('.log[data-stream="stderr"] .log-line', { hasText: 'warning in red' }).waitFor();
    await page.getByRole('tab', { name: 'stdout' }).click();
    await page.getByPlaceholder('Search the output').fill('NOTE:');
    await page.waitForFunction(() => document.querySelectorAll('.log[data-stream="stdout"] .log-line').length === 1);
    assert.equal(await page.locator('.log-line mark').first().textContent(), 'note:');
    assert.deepEqual(errors, []);
    assert.deepEqual(network, []);
    await page.close();
  });

  it('lists every attempt with its status, exit reason and error, and shows a failed attempt', async () => {
    const flaky = tasks.get('flaky')!;
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}${taskPath(runIds[1]!, flaky)}`);
    const rows = page.locator('table.attempts tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    assert.match((await rows.nth(0).textContent()) ?? '', /#0.*failed.*Error.*flaky failure on the first try/s);
    assert.match((await rows.nth(1).textContent()) ?? '', /#1 · shown.*succeeded.*finished/s);
    await rows.nth(0).getByRole('link', { name: '#0' }).click();
    await page.waitForURL(/attempt=0/);
    await page.locator('.empty', { hasText: 'did not succeed, so its artifacts were not kept' }).waitFor();
    await page.getByRole('tab', { name: 'stderr' }).click();
    await page.locator('.log[data-stream="stderr"] .log-line', { hasText: 'flaky failure on the first try' }).first().waitFor();
    const dl = await get(`${ui.origin}/api${taskPath(runIds[1]!, flaky)}/logs/stdout/download?attempt=1`);
    assert.equal(dl.status, 200);
    assert.match(dl.headers.get('content-disposition') ?? '', /^attachment; filename="TaskFlow-\d+-flaky-\d+-attempt1-stdout\.txt"$/);
    assert.equal(dl.text, 'second try works\n');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows an integrity error on a broken blob, and the rest of the page still works; renders the card in a sandboxed frame', async () => {
    const start = tasks.get('start')!;
    const { page, errors, network } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}${taskPath(runIds[1]!, start)}`);
    const fragile = page.locator('[data-artifact="fragile"]');
    await fragile.waitFor();
    assert.match((await fragile.textContent()) ?? '', /integrity error/);
    assert.equal(await fragile.locator('.cc-unavailable.corrupt').count(), 1);
    assert.match((await page.locator('[data-artifact="same"]').textContent()) ?? '', /42/);
    const frame = page.locator('iframe.card-frame');
    await frame.waitFor();
    assert.equal(await frame.getAttribute('sandbox'), 'allow-scripts');
    const card = page.frameLocator('iframe.card-frame');
    await card.locator('.cc-title', { hasText: 'report' }).waitFor();
    await card.locator('.cc-markdown strong', { hasText: 'bold' }).waitFor();
    const res = await get(`${ui.origin}${(await frame.getAttribute('src'))!}`);
    assert.match(res.headers.get('content-security-policy') ?? '', /sandbox allow-scripts; frame-ancestors 'self'/);
    assert.equal(await page.evaluate(() => (window as { pwned?: unknown }).pwned), undefined);
    assert.deepEqual(errors, []);
    assert.deepEqual(network, []);
    await page.close();
  });

  it('renders artifact strings and log lines that hold <script> and <img onerror> as text', async () => {
    const start = tasks.get('start')!;
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}${taskPath(runIds[1]!, start)}`);
    await page.locator('[data-artifact="note"]', { hasText: '<script>' }).waitFor();
    await page.locator('.log-line', { hasText: 'onerror' }).waitFor();
    const found = await page.evaluate(() => ({
      pwned: (window as { pwned?: unknown }).pwned,
      imgs: [...document.querySelectorAll('main img')].map((i) => i.getAttribute('src')?.slice(0, 15)),
      scripts: document.querySelectorAll('main script').length,
    }));
    assert.deepEqual(found, { pwned: undefined, imgs: ['data:image/png;'], scripts: 0 });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('sends the last 5,000 lines of a long output and says how many more the download has', async () => {
    const end = tasks.get('end')!;
    const r = await api<{ lines: Array<{ text: string }>; skipped: number; finished: boolean; next: number }>(`/api${taskPath(runIds[1]!, end)}/logs/stdout`);
    assert.equal(r.skipped, 100);
    assert.equal(r.lines.length, 5000);
    assert.equal(r.lines[0]!.text, 'line 101');
    assert.equal(r.finished, true);
    const { page } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}${taskPath(runIds[1]!, end)}`);
    await page.locator('.log-line[data-n="5100"]', { hasText: 'line 5100' }).waitFor();
    assert.match((await page.locator('.log-status').textContent()) ?? '', /5,100 lines.*100 not shown here are in the download/);
    // The last 1,000 are drawn; the others on request.
    assert.equal(await page.locator('.log-line').first().getAttribute('data-n'), '4101');
    await page.getByRole('button', { name: 'Show 4,000 earlier lines (4,000 not drawn)' }).click();
    await page.locator('.log-line[data-n="101"]').waitFor();
    assert.equal(await page.locator('.log-more').count(), 0);
    const dl = await get(`${ui.origin}/api${taskPath(runIds[1]!, end)}/logs/stdout/download`);
    assert.equal(dl.text.split('\n').length, 5101);
    await page.close();
    // The event stream sends the same last 5,000 lines, and goes on from given offsets without repeating a line.
    const events = `${ui.origin}/api${taskPath(runIds[1]!, end)}/logs/events?stream=stdout`;
    const all = sseEvents((await get(events)).text);
    assert.deepEqual(all.map((e) => e.event), ['lines', 'end']);
    const first = JSON.parse(all[0]!.data) as { lines: Array<{ text: string }>; skipped: number; partial: unknown };
    assert.deepEqual([first.skipped, first.lines.length, first.lines[0]!.text, first.partial], [100, 5000, 'line 101', null]);
    // Its id is the offsets read (as the JSON route's next); going on from there repeats nothing.
    assert.equal(all[0]!.id, `${r.next}.0`);
    const resumed = sseEvents((await get(`${events}&from=${all[0]!.id}`)).text);
    assert.deepEqual(resumed.map((e) => e.event), ['end']);
    const byHeader = sseEvents((await get(`${events}&from=0.0`, { 'Last-Event-ID': all[0]!.id! })).text);
    assert.deepEqual(byHeader.map((e) => e.event), ['end'], 'Last-Event-ID wins over from');
    const bad = await get(`${events}&from=12`);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.text).error.message, /from must be STDOUT\.STDERR byte offsets/);
  });

  it('shows a missing task as a 404 page and refuses a bad attempt or offset', async () => {
    const r = await get(`${ui.origin}/flows/TaskFlow/runs/${runIds[0]}/steps/start/tasks/99999`);
    assert.equal(r.status, 404);
    const apiMissing = await get(`${ui.origin}/api/flows/TaskFlow/runs/${runIds[0]}/steps/start/tasks/99999`);
    assert.equal(apiMissing.status, 404);
    assert.match(JSON.parse(apiMissing.text).error.message, /99999/);
    const start = tasks.get('start')!;
    const bad = await get(`${ui.origin}/api${taskPath(runIds[1]!, start)}/logs/stdout?from=-1`);
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.text).error.message, /from must be a byte offset/);
    const badAttempt = await get(`${ui.origin}/api${taskPath(runIds[1]!, start)}?attempt=x`);
    assert.equal(badAttempt.status, 400);
    assert.equal((await get(`${ui.origin}/api${taskPath(runIds[1]!, start)}?attempt=7`)).status, 404);
    const frame = await get(`${ui.origin}/card-frames/TaskFlow/${runIds[1]}/start/${start.id}/nope?attempt=0`);
    assert.equal(frame.status, 404);
    assert.match(frame.text, /has no card 'nope' \(its cards are report\)/);
    const { page } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/TaskFlow/runs/${runIds[0]}/steps/start/tasks/99999`);
    await page.locator('.notfound h1', { hasText: 'Not found' }).waitFor();
    assert.match((await page.locator('.notfound').textContent()) ?? '', /99999/);
    await page.close();
  });

  it('compares two runs chosen on the runs page: parameters, step durations, artifacts by content hash', async () => {
    const { page, errors, network } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/TaskFlow`);
    await page.getByLabel(`compare run ${runIds[0]}`).check();
    await page.getByLabel(`compare run ${runIds[1]}`).check();
    await page.getByRole('link', { name: /^Compare / }).click();
    await page.waitForURL(`${ui.origin}/flows/TaskFlow/compare?a=${runIds[0]}&b=${runIds[1]}`);
    await page.locator('.cmp-params tr[data-param="alpha"]').waitFor();
    assert.equal(await page.locator('.cmp-params tr[data-param="alpha"]').getAttribute('data-status'), 'changed');
    assert.match((await page.locator('.cmp-params tr[data-param="alpha"]').textContent()) ?? '', /1.*2/);
    assert.equal(await page.locator('.cmp-steps tbody tr').count(), 3);
    const start = page.locator('.cmp-step[data-step="start"]');
    const status = async (name: string) => start.locator(`tr.art[data-artifact="${name}"]`).getAttribute('data-status');
    assert.equal(await status('same'), 'same');
    assert.equal(await status('rows'), 'changed');
    assert.equal(await status('picture'), 'same');
    // A small changed value: its path-level diff and both previews side by side.
    const detail = start.locator('tr.art-detail[data-artifact="config"]');
    assert.match((await detail.locator('.vdiff').textContent()) ?? '', /\.lr.*0\.1.*0\.2/s);
    assert.equal(await detail.locator('.sbs > div').count(), 2);
    await page.getByLabel('only differences').check();
    assert.equal(await start.locator('tr.art[data-artifact="same"]').count(), 0);
    const diff = await api<{ diff: { equal: boolean } }>(`/api/flows/TaskFlow/compare?a=${runIds[0]}&b=${runIds[1]}`);
    assert.equal(diff.diff.equal, false);
    const missing = await get(`${ui.origin}/api/flows/TaskFlow/compare?a=${runIds[0]}`);
    assert.equal(missing.status, 400);
    assert.match(JSON.parse(missing.text).error.message, /compare needs two runs: give \?a=RUN_ID&b=RUN_ID \(b is missing\)/);
    assert.equal((await get(`${ui.origin}/flows/TaskFlow/compare?a=${runIds[0]}&b=404404`)).status, 404);
    assert.deepEqual(errors, []);
    assert.deepEqual(network, []);
    await page.close();
  });

  it("follows a running task's output live, without a reload", async () => {
    project.write('live.ts', live);
    const run = project.start(['run', 'live.ts', '--no-progress', '--run-id-file', 'live-id.txt']);
    try {
      await run.waitFor(/tick 2/);
      const runId = readFileSync(join(project.dir, 'live-id.txt'), 'utf8').trim();
      const info = await api<{ steps: Array<{ name: string; tasks: Array<{ id: string }> }> }>(`/api/flows/LiveFlow/runs/${runId}`);
      const taskId = info.steps.find((s) => s.name === 'start')!.tasks[0]!.id;
      const { page, errors } = await openPage(browser, { allow: ui.origin });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(new URL(r.url()).pathname));
      await page.goto(`${ui.origin}/flows/LiveFlow/runs/${runId}/steps/start/tasks/${taskId}`);
      await page.locator('.log .live-pill', { hasText: 'following' }).waitFor();
      // A live card, as @card's refresh() writes it while the task runs, appears and updates in place.
      const store = new LocalArtifactStore(project.store);
      const key = { flow: 'LiveFlow', runId, step: 'start', taskId };
      const liveCard = (text: string) =>
        store.putCard(key, 0, 'progress', serializeCardDocument(sampleCard({ id: 'progress', title: 'progress', status: 'rendering', updatedAt: Date.now(), task: { pathspec: `LiveFlow/${runId}/start/${taskId}`, attempt: 0, status: 'running' }, components: [{ type: 'markdown', text: text }] })));
      await liveCard('# epoch 1');
      const card = page.frameLocator('iframe.card-frame');
      await card.locator('h1', { hasText: 'epoch 1' }).waitFor({ timeout: 30_000 });
      await page.locator('.card-slot .live-pill').waitFor();
      await liveCard('# epoch 2');
      await card.locator('h1', { hasText: 'epoch 2' }).waitFor({ timeout: 30_000 });
      const printed = Number(/tick (\d+)\n(?![\s\S]*tick)/.exec(run.stdout)?.[1] ?? 0);
      // A line printed after the page loaded shows up in it.
      await page.locator('.log-line', { hasText: `tick ${printed + 4}` }).waitFor({ timeout: 30_000 });
      // The output came over one event stream: nothing polled the output or the task.
      const taskApi = `/api/flows/LiveFlow/runs/${runId}/steps/start/tasks/${taskId}`;
      assert.deepEqual(requests.filter((u) => u.startsWith(`${taskApi}/logs/`)), [`${taskApi}/logs/events`]);
      assert.equal(requests.filter((u) => u === taskApi).length, 1, 'the task was read once while it ran');
      writeFileSync(join(project.dir, 'go'), '');
      await page.locator('.log-line', { hasText: 'done ticking' }).waitFor({ timeout: 30_000 });
      await page.locator('.page-head .badge.s-succeeded').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('.log .live-pill').count(), 0, 'no longer following once the task is over');
      await store.putCard(key, 0, 'progress', serializeCardDocument(sampleCard({ id: 'progress', title: 'progress', status: 'ready', updatedAt: Date.now(), task: { pathspec: `LiveFlow/${runId}/start/${taskId}`, attempt: 0, status: 'succeeded' }, components: [{ type: 'markdown', text: '# done' }] })));
      await page.reload();
      await page.frameLocator('iframe.card-frame').locator('h1', { hasText: 'done' }).waitFor();
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      writeFileSync(join(project.dir, 'go'), '');
      await run.exited;
    }
  });
});
