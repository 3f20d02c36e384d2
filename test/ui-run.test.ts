/**
 * The web UI's run page in headless Chromium: the graph drawn as a DAG, a node's tasks listed with
 * their foreach values, the timeline; a running run followed live (new tasks and states appear
 * without a reload) through the run's event stream; a task's output streamed as it prints; a run
 * whose orchestrator died shown as failed (lost).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { Project } from './helpers.js';
import { BROWSER_SKIP, launchBrowser, openPage } from './browser.js';
import { startUi, type RunningUi } from './ui-helpers.js';

const flow = `
import { FlowSpec, step, type Inputs } from 'cairnflow';
import { existsSync } from 'node:fs';

const gate = async (name: string) => {
  if (!process.env.GATED) return;
  while (!existsSync(name)) await new Promise((r) => setTimeout(r, 25));
};

export class ShapeFlow extends FlowSpec {
  declare cities: string[];
  declare city: string;
  declare mode: string;
  declare a: number;
  declare b: number;
  declare n: number;

  @step start() {
    this.cities = ['Lisbon', 'Oslo', 'Kyoto'];
    this.next(this.visit, { foreach: 'cities' });
  }

  @step async visit() {
    this.city = this.input;
    console.log('waiting ' + this.index);
    await gate('release');
    console.log('released ' + this.city);
    this.next(this.gather);
  }

  @step gather(inputs: Inputs<ShapeFlow>) {
    this.n = inputs.length;
    this.next(this.split);
  }

  @step split() { this.next(this.left, this.right); }

  @step left() { this.a = 1; this.next(this.meet); }
  @step right() { this.b = 2; this.next(this.meet); }

  @step meet(inputs: Inputs<ShapeFlow>) {
    this.mergeArtifacts(inputs);
    this.next(this.decide);
  }

  @step decide() {
    this.mode = this.n > 2 ? 'many' : 'few';
    this.next({ many: this.many, few: this.few }, { condition: 'mode' });
  }

  @step many() { this.next(this.end); }
  @step few() { this.next(this.end); }
  @step end() {}
}
`;

const hang = `
import { FlowSpec, step } from 'cairnflow';
export class StuckFlow extends FlowSpec {
  @step start() { this.next(this.middle); }
  @step async middle() { console.log('middle is going'); await new Promise((r) => setTimeout(r, 600_000)); this.next(this.end); }
  @step end() {}
}
`;

const retrying = `
import { FlowSpec, step, retry, current } from 'cairnflow';
export class FlakyFlow extends FlowSpec {
  @retry({ times: 1 }) @step start() {
    if (current.retryCount === 0) throw new Error('the first try fails');
    this.next(this.end);
  }
  @step end() {}
}
`;

const STEPS = ['start', 'visit', 'gather', 'split', 'left', 'right', 'meet', 'decide', 'many', 'few', 'end'];

interface RunJson {
  graph: { steps: Array<{ name: string; type: string; out: string[]; foreach?: string; cases?: Record<string, string> }> } | null;
  steps: Array<{ name: string; state: string; tasks: Array<{ id: string; status: string; foreach: { index: number; value?: string } | null }> }>;
}

/** Reads an event stream until `until` says stop; resolves with every event read. */
async function readEvents(url: string, until: (events: Array<{ event: string; data: unknown }>) => boolean, timeoutMs = 60_000): Promise<Array<{ event: string; data: unknown }>> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  const events: Array<{ event: string; data: unknown }> = [];
  try {
    const res = await fetch(url, { signal: ctl.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      text += new TextDecoder().decode(value);
      let cut: number;
      while ((cut = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, cut);
        text = text.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data !== undefined) events.push({ event, data: JSON.parse(data) });
        if (until(events)) {
          ctl.abort();
          return events;
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

describe('cairn ui: the run page', { skip: BROWSER_SKIP }, () => {
  const project = new Project();
  let browser: Browser;
  let ui: RunningUi;
  let doneId: string;

  before(async () => {
    project.write('shape.ts', flow);
    project.write('stuck.ts', hang);
    project.write('flaky.ts', retrying);
    const r = await project.cli(['run', 'shape.ts', '--run-id-file', 'done.txt', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    doneId = readFileSync(join(project.dir, 'done.txt'), 'utf8').trim();
    ui = await startUi(project);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await ui?.stop();
    project[Symbol.dispose]();
  });

  it('records the graph with the run: every step, its type, a foreach list and switch cases', async () => {
    const run = (await (await fetch(`${ui.origin}/api/flows/ShapeFlow/runs/${doneId}`)).json()) as RunJson;
    assert.deepEqual(run.graph!.steps.map((s) => s.name), STEPS);
    const by = new Map(run.graph!.steps.map((s) => [s.name, s]));
    assert.equal(by.get('start')!.foreach, 'cities');
    assert.equal(by.get('gather')!.type, 'join');
    assert.deepEqual(by.get('split')!.out, ['left', 'right']);
    assert.deepEqual(by.get('decide')!.cases, { many: 'many', few: 'few' });
    const visit = run.steps.find((s) => s.name === 'visit')!;
    assert.deepEqual(visit.tasks.map((t) => [t.foreach!.index, t.foreach!.value]), [[0, 'Lisbon'], [1, 'Oslo'], [2, 'Kyoto']]);
  });

  it('draws the DAG with a node per step coloured by state, edges labelled with fan-out and cases; a click lists the node\'s tasks', async () => {
    const { page, errors, network } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/ShapeFlow/runs/${doneId}`);
    await page.locator('.cc-dag-node[data-step="end"]').waitFor();
    const nodes = await page.locator('.cc-dag-node').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-step'), g.getAttribute('data-state')]));
    assert.deepEqual(nodes.map(([s]) => s).sort(), [...STEPS].sort());
    const state = new Map(nodes);
    assert.equal(state.get('visit'), 'succeeded');
    assert.equal(state.get('few'), '', 'the case not taken never started');
    const labels = await page.locator('.cc-dag-edge text').allTextContents();
    assert.ok(labels.includes('foreach cities ×3'), labels.join(' | '));
    assert.ok(labels.includes('mode = many'), labels.join(' | '));
    await page.locator('.cc-dag-node[data-step="visit"]').click();
    await page.waitForURL(/\?step=visit$/);
    const rows = page.locator('.task-list[data-step="visit"] .task-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 3);
    assert.deepEqual(await page.locator('.task-row .fe').allTextContents(), ['#0 Lisbon', '#1 Oslo', '#2 Kyoto']);
    assert.equal(await page.locator('.cc-dag-node.current').getAttribute('data-step'), 'visit');
    await page.reload();
    await page.locator('.task-list[data-step="visit"] .task-row').first().waitFor();
    await page.locator('.cc-dag-node[data-step="end"]').click();
    await page.locator('.task-list[data-step="end"] .task-row').waitFor();
    assert.equal(await page.locator('.task-row').count(), 1);
    assert.deepEqual(errors, []);
    assert.deepEqual(network, []);
    await page.close();
  });

  it("shows a foreach task's input value and index in the task page's header", async () => {
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/ShapeFlow/runs/${doneId}?step=visit`);
    const row = page.locator('.task-row', { hasText: 'Oslo' });
    await row.locator('a').click();
    await page.waitForURL(/\/steps\/visit\/tasks\/\d+$/);
    const input = page.locator('.page-head .task-input');
    await input.waitFor();
    assert.equal((await input.textContent())?.replace(/\s+/g, ' ').trim(), 'cities[1] Oslo');
    const end = (await (await fetch(`${ui.origin}/api/flows/ShapeFlow/runs/${doneId}`)).json() as RunJson).steps.find((s) => s.name === 'end')!;
    await page.goto(`${ui.origin}/flows/ShapeFlow/runs/${doneId}/steps/end/tasks/${end.tasks[0]!.id}`);
    await page.locator('.page-head h1').waitFor();
    assert.equal(await page.locator('.page-head .task-input').count(), 0, 'a task outside a foreach has no input value');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('draws a timeline of every task, with zoom', async () => {
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/ShapeFlow/runs/${doneId}`);
    const timeline = page.locator('.timeline');
    await timeline.waitFor();
    assert.equal(await timeline.getAttribute('data-tasks'), '12');
    const canvas = page.locator('.timeline canvas');
    const before = await canvas.evaluate((c) => (c as HTMLCanvasElement).width);
    assert.ok(before > 200);
    // Something was drawn: the canvas is not blank.
    const inked = await canvas.evaluate((c) => {
      const g = (c as HTMLCanvasElement).getContext('2d')!;
      const d = g.getImageData(0, 0, (c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height).data;
      let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++;
      return n;
    });
    assert.ok(inked > 500, `${inked} pixels drawn`);
    await page.getByRole('button', { name: 'zoom in' }).click();
    await page.waitForFunction((w) => (document.querySelector('.timeline canvas') as HTMLCanvasElement).width > w * 1.5, before);
    await page.getByRole('button', { name: 'Fit' }).click();
    await page.waitForFunction((w) => (document.querySelector('.timeline canvas') as HTMLCanvasElement).width === w, before);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('follows a running run live: new tasks and states appear without a reload, and its output streams', async () => {
    const run = project.start(['run', 'shape.ts', '--run-id-file', 'live.txt', '--no-progress'], { GATED: '1' });
    try {
      await run.waitFor(/waiting 0/);
      const runId = readFileSync(join(project.dir, 'live.txt'), 'utf8').trim();
      const { page, errors } = await openPage(browser, { allow: ui.origin });
      await page.goto(`${ui.origin}/flows/ShapeFlow/runs/${runId}`);
      await page.locator('.run-page[data-live="yes"]').waitFor();
      await page.evaluate(() => ((window as { marker?: number }).marker = 1));
      assert.equal(await page.locator('.cc-dag-node[data-step="visit"]').getAttribute('data-state'), 'running');
      assert.equal(await page.locator('.cc-dag-node[data-step="end"]').getAttribute('data-state'), '');
      await page.locator('.facts .now', { hasText: 'visit' }).waitFor();

      // The task's output, streamed while it runs.
      const api = (await (await fetch(`${ui.origin}/api/flows/ShapeFlow/runs/${runId}`)).json()) as RunJson;
      const first = api.steps.find((s) => s.name === 'visit')!.tasks.find((t) => t.foreach?.index === 0)!;
      const logs = readEvents(`${ui.origin}/api/flows/ShapeFlow/runs/${runId}/steps/visit/tasks/${first.id}/logs/events?stream=stdout`, (es) => es.some((e) => e.event === 'end'));
      const runEvents = readEvents(`${ui.origin}/api/flows/ShapeFlow/runs/${runId}/events`, (es) => es.some((e) => e.event === 'end'));

      project.write('release', '');
      await page.locator('.cc-dag-node[data-step="end"][data-state="succeeded"]').waitFor({ timeout: 30_000 });
      await page.locator('.run-page[data-live="no"] .page-head .badge.s-succeeded').waitFor();
      assert.equal(await page.evaluate(() => (window as { marker?: number }).marker), 1, 'the page was not reloaded');
      await page.locator('.cc-dag-node[data-step="visit"]').click();
      await page.locator('.task-list[data-step="visit"] .task-row').nth(2).waitFor();
      assert.equal(await page.locator('.timeline').getAttribute('data-tasks'), '12');
      assert.deepEqual(errors, []);
      await page.close();

      const lines = (await logs).filter((e) => e.event === 'lines').flatMap((e) => (e.data as { lines: Array<{ text: string }> }).lines.map((l) => l.text));
      assert.deepEqual(lines, ['waiting 0', 'released Lisbon']);
      assert.deepEqual((await logs).at(-1), { event: 'end', data: { status: 'succeeded', lost: false } });
      const events = await runEvents;
      assert.equal(events[0]!.event, 'run');
      assert.ok(events.some((e) => e.event === 'update' && (e.data as { tasks: Array<{ step: string }> }).tasks.some((t) => t.step === 'end')), 'the end task came in an update');
      assert.deepEqual(events.at(-1), { event: 'end', data: { status: 'succeeded', lost: false } });
      assert.equal((await run.exited).code, 0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  it('draws each attempt of a retried task on the timeline', async () => {
    const r = await project.cli(['run', 'flaky.ts', '--run-id-file', 'flaky.txt', '--no-progress']);
    assert.equal(r.code, 0, r.stderr);
    const runId = readFileSync(join(project.dir, 'flaky.txt'), 'utf8').trim();
    type Attempts = { steps: Array<{ name: string; tasks: Array<{ attempt: number; attempts?: Array<{ attempt: number; status: string; startedAt: number }> }> }> };
    const run = (await (await fetch(`${ui.origin}/api/flows/FlakyFlow/runs/${runId}`)).json()) as Attempts;
    const start = run.steps.find((s) => s.name === 'start')!.tasks[0]!;
    assert.equal(start.attempt, 1);
    assert.deepEqual(start.attempts!.map((a) => [a.attempt, a.status]), [[0, 'failed'], [1, 'succeeded']]);
    assert.ok(start.attempts![1]!.startedAt >= start.attempts![0]!.startedAt);
    assert.equal(run.steps.find((s) => s.name === 'end')!.tasks[0]!.attempts, undefined);
    const { page, errors } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/FlakyFlow/runs/${runId}?step=start`);
    await page.locator('.timeline[data-tasks="2"]').waitFor();
    await page.locator('.task-row', { hasText: 'attempt 2' }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('shows a run whose orchestrator died as failed (lost), never running', async () => {
    const run = project.start(['run', 'stuck.ts', '--run-id-file', 'stuck.txt', '--no-progress'], { CAIRN_HEARTBEAT_INTERVAL: '200' });
    await run.waitFor(/middle is going/);
    const runId = readFileSync(join(project.dir, 'stuck.txt'), 'utf8').trim();
    run.child.kill('SIGKILL');
    await run.exited;
    const { page } = await openPage(browser, { allow: ui.origin });
    await page.goto(`${ui.origin}/flows/StuckFlow/runs/${runId}`);
    await page.locator('.page-head .badge.lost', { hasText: 'failed (lost)' }).waitFor();
    assert.equal(await page.locator('.cc-dag-node[data-step="middle"]').getAttribute('data-state'), 'failed');
    await page.close();
  });

  it('answers a missing run or task on the event streams with a 404 and a bad stream name with a 400', async () => {
    assert.equal((await fetch(`${ui.origin}/api/flows/ShapeFlow/runs/999/events`)).status, 404);
    assert.equal((await fetch(`${ui.origin}/api/flows/ShapeFlow/runs/${doneId}/steps/visit/tasks/999/logs/events`)).status, 404);
    const bad = await fetch(`${ui.origin}/api/flows/ShapeFlow/runs/${doneId}/steps/visit/tasks/2/logs/events?stream=both2`);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /stream must be stdout, stderr or both/);
  });
});
