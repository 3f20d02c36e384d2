import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject } from './helpers.js';
import { BROWSER_SKIP, launchBrowser, openPage } from './browser.js';
import { Flow, Task, type CardDocument, type CardComponent } from '../src/index.js';

const project = sharedProject();

const IMPORTS = `import { FlowSpec, step, card, current, Parameter, Markdown, Table, VegaChart, ProgressBar, ValueBox, Image, JSONViewer, Artifact, Code, Error as CardError } from 'cairnflow';
import { existsSync } from 'node:fs';`;

function flow(name: string, body: string): string {
  return project.write(`${name}.ts`, `${IMPORTS}\nexport class ${name} extends FlowSpec {\n${body}\n}\n`);
}

async function latest(name: string) {
  return (await (await Flow.get(name)).latestRun())!;
}

function sections(doc: CardDocument): Map<string, CardComponent[]> {
  return new Map(doc.components.flatMap((c) => (c.type === 'section' ? [[c.title.replace(/ \(\d+\)$/, ''), c.components] as const] : [])));
}

const reportFlow = () =>
  flow(
    'ReportFlow',
    `  alpha = Parameter('alpha', { default: 0.25 });
  declare rows: Array<{ name: string; score: number }>;
  /** Scores the rows. */
  @card
  @card({ type: 'blank', id: 'summary' })
  @step start() {
    this.rows = [{ name: 'a', score: 3 }, { name: 'b', score: 5 }];
    this.weights = Float64Array.from({ length: 16 }, (_, i) => i);
    this.label = '<script>window.pwned = 1</script>';
    current.card.append(new Markdown('# Scores <img src=x onerror="window.pwned = 2">'));
    current.card.append(new Table(this.rows));
    current.card.append(new VegaChart({ mark: 'bar', data: { values: this.rows }, encoding: { x: { field: 'name', type: 'nominal' }, y: { field: 'score', type: 'quantitative' } } }));
    current.card.extend([new Image(this.weights, { width: 4 }), new ValueBox({ title: 'Best', value: 5 }), new JSONViewer({ a: [1, 2] }), new Artifact(this.rows), new Code('x = 1'), new CardError(new RangeError('shown, not thrown'))]);
    current.card.get('summary').append(new ProgressBar({ max: 2, value: 2, label: 'rows' }));
    this.next(this.end);
  }
  @step end() {}`,
  );

test('A flow with @card and components: the cards are read through the client and cairn card get/list', async () => {
  const file = reportFlow();
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const run = await latest('ReportFlow');
  const task = await (await run.step('start')).task();
  const cards = await task.cards();
  assert.deepEqual(cards.map((c) => [c.id, c.type, c.status]), [['default', 'default', 'ready'], ['summary', 'blank', 'ready']]);
  const doc = await cards[0]!.data();
  assert.deepEqual(doc.components.slice(0, 10).map((c) => c.type), ['markdown', 'table', 'vegaChart', 'image', 'valueBox', 'json', 'artifact', 'code', 'error', 'section']);
  const parts = sections(doc);
  assert.deepEqual([...parts.keys()], ['Task', 'Parameters', 'Artifacts', 'Graph', 'Source']);
  const props = new Map((parts.get('Task')![0] as Extract<CardComponent, { type: 'properties' }>).items);
  assert.equal(props.get('pathspec'), task.pathspec);
  assert.equal(props.get('user'), 'tester');
  assert.equal(props.get('attempt'), 0);
  assert.deepEqual((parts.get('Parameters')![0] as Extract<CardComponent, { type: 'properties' }>).items, [['alpha', '0.25']]);
  const arts = parts.get('Artifacts')![0] as Extract<CardComponent, { type: 'artifacts' }>;
  assert.deepEqual(arts.items.map((a) => [a.name, a.preview.kind]), [['label', 'text'], ['rows', 'table'], ['weights', 'numbers']]);
  assert.ok(arts.items.every((a) => a.size > 0));
  const dag = parts.get('Graph')![0] as Extract<CardComponent, { type: 'dag' }>;
  assert.equal(dag.highlight, 'start');
  assert.deepEqual(dag.steps.map((s) => s.name), ['start', 'end']);
  const source = parts.get('Source')![0] as Extract<CardComponent, { type: 'code' }>;
  assert.match(source.code, /^@card\n@card\(\{ type: 'blank', id: 'summary' \}\)\n@step start\(\) \{/);
  assert.equal(source.firstLine, 7);

  const list = await project.cli(['card', 'list', file, `${run.id}/start/${task.id}`]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /ReportFlow\/\d+\/start\/1 \(attempt 0\)\n {4}default {2}default {2}ready .*\n {4}summary {2}blank {2}ready/);
  const many = await project.cli(['card', 'get', file, `${run.id}/start/${task.id}`]);
  assert.equal(many.code, 2);
  assert.match(many.stderr, /has 2 cards \(default, summary\); pick one with --id ID/);
  const got = await project.cli(['card', 'get', file, `${run.id}/start`, '--id', 'summary']);
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual((JSON.parse(got.stdout) as CardDocument).components, [{ type: 'progressBar', value: 2, max: 2, label: 'rows' }]);
  const out = join(project.dir, 'summary.html');
  const html = await project.cli(['card', 'get', file, `${run.id}/start/1`, '--id', 'summary', '--html', '--file', out]);
  assert.equal(html.code, 0, html.stderr);
  assert.match(readFileSync(out, 'utf8'), /^<!doctype html>[\s\S]*Content-Security-Policy/);
  const none = await project.cli(['card', 'get', file, `${run.id}/end/2`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /end\/2 \(attempt 0\) has no cards\. Give its step @card to draw one\./);
});

test('A card that fails never fails its task, and a failed task still gets its card', async () => {
  const file = flow(
    'FailingCardFlow',
    `  @card({ type: 'blank' })
  @step start() {
    current.card.append({ render() { throw new TypeError('cannot draw this'); } });
    current.card.append(new Markdown('after the broken one'));
    this.next(this.middle);
  }
  @card
  @step middle() {
    this.partial = [1, 2, 3];
    current.card.append(new Markdown('before the failure'));
    if (this.partial.length === 3) throw new RangeError('the step broke');
    this.next(this.end);
  }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1, 'the run fails because middle fails, not because of a card');
  assert.match(r.stdout + r.stderr, /start\/1 .*Task finished successfully/);
  const run = await latest('FailingCardFlow');
  const [blank] = await (await (await run.step('start')).task()).cards();
  assert.equal(blank?.status, 'error');
  assert.match(blank!.error!.message, /a component could not be drawn: cannot draw this/);
  const doc = await blank!.data();
  assert.deepEqual(doc.components.map((c) => c.type), ['error', 'markdown'], 'the error is shown where the component would be');

  const failed = await Task.get(`${run.pathspec}/middle/2`);
  assert.equal(failed.successful, false);
  const [card] = await failed.cards();
  assert.equal(card?.status, 'ready');
  const fd = await card!.data();
  assert.equal(fd.task.status, 'failed');
  assert.deepEqual(fd.components[0], { type: 'markdown', text: 'before the failure' });
  const error = fd.components[1] as Extract<CardComponent, { type: 'error' }>;
  assert.deepEqual([error.type, error.errorType, error.message], ['error', 'RangeError', 'the step broke']);
  const arts = sections(fd).get('Artifacts')![0] as Extract<CardComponent, { type: 'artifacts' }>;
  assert.equal(arts.items[0]?.name, 'partial');
  assert.match(arts.note ?? '', /not stored/);
});

test('A task whose flow class cannot be loaded still gets its cards, with the error', async () => {
  // The module throws in a worker (a forked process) only: the orchestrator loads it to plan the run.
  const file = project.write(
    'LoadFailFlow.ts',
    `import { FlowSpec, step, card } from 'cairnflow';
if (typeof process.send === 'function') throw new Error('this module cannot be loaded in a worker');
export class LoadFailFlow extends FlowSpec {
  @card
  @card({ type: 'blank', id: 'notes' })
  @step start() { this.next(this.end); }
  @step end() {}
}
`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const task = await (await (await latest('LoadFailFlow')).step('start')).task();
  assert.equal(task.successful, false);
  const cards = await task.cards();
  assert.deepEqual(cards.map((c) => [c.id, c.status]), [['default', 'ready'], ['notes', 'ready']]);
  const doc = await cards[0]!.data();
  assert.equal(doc.task.status, 'failed');
  const error = doc.components[0] as Extract<CardComponent, { type: 'error' }>;
  assert.equal(error.type, 'error');
  assert.match(error.message, /this module cannot be loaded in a worker/);
  const parts = sections(doc);
  assert.deepEqual([...parts.keys()], ['Task', 'Artifacts', 'Graph', 'Source'], 'what the orchestrator knows is drawn without the flow class');
  assert.match((parts.get('Source')![0] as Extract<CardComponent, { type: 'code' }>).code, /@step start\(\)/);
  const notes = await cards[1]!.data();
  assert.deepEqual(notes.components.map((c) => c.type), ['error'], 'a blank card shows the error where its components would be');
  assert.match((notes.components[0] as Extract<CardComponent, { type: 'error' }>).message, /cannot be loaded in a worker/);
});

test('A live card of a task killed by @timeout ends as its last live state, with the timeout noted', async () => {
  const file = project.write(
    'TimeoutCardFlow.ts',
    `import { FlowSpec, step, card, current, timeout, Markdown } from 'cairnflow';
export class TimeoutCardFlow extends FlowSpec {
  @timeout({ seconds: 2 })
  @card
  @card({ type: 'blank', id: 'progress', refreshInterval: 0.1 })
  @step async start() {
    current.card.get('progress').append(new Markdown('epoch 1 of 10'));
    current.card.get('progress').refresh();
    await new Promise((r) => setTimeout(r, 60_000));
    this.next(this.end);
  }
  @step end() {}
}
`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const task = await (await (await latest('TimeoutCardFlow')).step('start')).task();
  assert.equal(task.exception?.type, 'TimeoutError');
  const cards = new Map((await task.cards()).map((c) => [c.id, c]));
  const progress = await cards.get('progress')!.data();
  assert.equal(progress.status, 'error', 'no longer rendering');
  assert.equal(progress.task.status, 'failed');
  assert.deepEqual(progress.components, [{ type: 'markdown', text: 'epoch 1 of 10' }], 'its last live state');
  assert.equal(progress.error?.type, 'TimeoutError');
  assert.match(progress.error!.message, /timed out after 2 seconds\. The task was stopped before its card was drawn for the last time: this is its last live update/);
  const never = await cards.get('default')!.data();
  assert.equal(never.status, 'error');
  assert.match(never.error!.message, /timed out after 2 seconds\. The task was stopped before its card was drawn\.$/);
});

test('A live card is seen updating while its task runs', async () => {
  const signal = join(project.dir, 'go-on');
  const file = flow(
    'LiveCardFlow',
    `  @card({ type: 'blank', id: 'progress', refreshInterval: 0.1 })
  @step async start() {
    const bar = new ProgressBar({ max: 3, label: 'epochs' });
    current.card.append(bar);
    for (let i = 1; i <= 3; i++) {
      bar.update(i);
      current.card.refresh();
      // Wait (at most two minutes) for the test to have seen the first version.
      for (let t = 0; i === 1 && t < 6000 && !existsSync(${JSON.stringify(signal)}); t++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 150));
    }
    this.next(this.end);
  }
  @step end() {}`,
  );
  const bg = project.start(['run', file]);
  let seen: CardDocument | undefined;
  const deadline = Date.now() + 90_000;
  while (!seen && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const run = await latest('LiveCardFlow').catch(() => undefined);
    const step = run && (await run.step('start').catch(() => undefined));
    const task = step && (await step.task().catch(() => undefined));
    const [card] = task ? await task.cards() : [];
    if (card) seen = await card.data();
  }
  writeFileSync(signal, '');
  assert.ok(seen, `a live card appeared mid-run; ${bg.stderr}`);
  assert.equal(seen.status, 'rendering');
  assert.equal(seen.task.status, 'running');
  assert.deepEqual(seen.components, [{ type: 'progressBar', value: 1, max: 3, label: 'epochs' }]);
  const r = await bg.exited;
  assert.equal(r.code, 0, r.stderr);
  const run = await latest('LiveCardFlow');
  const [card] = await (await (await run.step('start')).task()).cards();
  const done = await card!.data();
  assert.equal(done.status, 'ready');
  assert.deepEqual(done.components, [{ type: 'progressBar', value: 3, max: 3, label: 'epochs' }]);
});

test('cairn check refuses two cards with the same id on a step, naming the fix', async () => {
  const file = flow('TwinCardFlow', `  @card @card @step start() { this.next(this.end); }\n  @step end() {}`);
  const r = await project.cli(['check', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /@card on step start: two cards have the id 'default'\. Give each card of a step its own id, like @card\(\{ id: 'metrics' \}\)\./);
  const run = await project.cli(['run', file]);
  assert.equal(run.code, 1);
  assert.equal(existsSync(join(project.store, 'cards', 'TwinCardFlow')), false, 'nothing ran');
});

test('cairn card view writes an HTML file that Chromium shows offline with its chart and table', { skip: BROWSER_SKIP }, async () => {
  const file = existsSync(join(project.dir, 'ReportFlow.ts')) ? join(project.dir, 'ReportFlow.ts') : reportFlow();
  let run = await latest('ReportFlow').catch(() => undefined);
  if (!run) {
    assert.equal((await project.cli(['run', file])).code, 0);
    run = await latest('ReportFlow');
  }
  const out = join(project.dir, 'card.html');
  const view = await project.cli(['card', 'view', file, `${run.id}/start/1`, '--id', 'default', '--file', out, '--no-open']);
  assert.equal(view.code, 0, view.stderr);
  assert.equal(view.stdout.trim(), out);
  const browser = await launchBrowser();
  try {
    const { page, errors, network } = await openPage(browser);
    await page.goto(`file://${out}`);
    await page.waitForSelector('.cc-chart-view svg .mark-rect path', { timeout: 20_000 });
    assert.equal(await page.locator('.cc-chart-view svg .mark-rect path').count(), 2, 'one bar per row');
    const table = page.locator('.cc-table').first();
    assert.deepEqual(await table.locator('tbody tr').allTextContents(), ['a3', 'b5']);
    assert.equal(await page.locator('.cc-dag-node.current').getAttribute('data-step'), 'start');
    assert.equal(await page.locator('.cc-markdown img[onerror]').count(), 0, 'Markdown is sanitised');
    assert.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined, 'no value ran as code');
    assert.deepEqual(errors, []);
    assert.deepEqual(network, [], 'nothing fetched');
  } finally {
    await browser.close();
  }
});
