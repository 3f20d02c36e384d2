import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalArtifactStore } from '../storage/local-artifact-store.js';
import type { CardSpec } from '../authoring/decorators.js';
import { CardSession, type CardFinish } from './session.js';
import { Markdown, ProgressBar } from './components.js';
import { parseCardDocument, type CardDocument } from './document.js';

const dir = mkdtempSync(join(tmpdir(), 'cairn-cards-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const store = new LocalArtifactStore(dir);
let n = 0;

function spec(over: Partial<CardSpec> = {}): CardSpec {
  return { type: 'blank', id: 'blank', timeout: 45, refreshInterval: 0.2, ...over };
}

function session(specs: CardSpec[], warnings: string[] = []) {
  const task = { flow: 'F', runId: '1', step: 's', taskId: String(++n) };
  return { task, s: new CardSession({ store, task, attempt: 0, specs, warn: (m) => warnings.push(m) }) };
}

async function read(task: { flow: string; runId: string; step: string; taskId: string }, id: string): Promise<CardDocument | undefined> {
  const bytes = await store.getCard(task, 0, id);
  return bytes && parseCardDocument(bytes, id);
}

function finish(over: Partial<CardFinish> = {}): CardFinish {
  return {
    pathspec: 'F/1/s/1', step: 's', attempt: 0, user: 'u', tags: ['t'], startedAt: 0, finishedAt: 5, status: 'succeeded',
    parameters: [], artifacts: [], load: async () => undefined, ...over,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('refresh() writes a live card at once, then at most once per interval, and skips writes that change nothing', async () => {
  const { task, s } = session([spec()]);
  const bar = new ProgressBar({ max: 3 });
  s.append(bar);
  s.refresh();
  await sleep(30);
  const first = await read(task, 'blank');
  assert.equal(first?.status, 'rendering');
  assert.equal(first?.task.status, 'running');
  assert.equal(first?.refreshInterval, 200);
  assert.deepEqual(first?.components, [{ type: 'progressBar', value: 0, max: 3 }]);
  bar.update(1);
  s.refresh(); // within the interval: written at its end
  bar.update(2);
  s.refresh();
  await sleep(30);
  assert.deepEqual((await read(task, 'blank'))?.components, [{ type: 'progressBar', value: 0, max: 3 }], 'not yet: the interval has not passed');
  await sleep(250);
  const second = await read(task, 'blank');
  assert.deepEqual(second?.components, [{ type: 'progressBar', value: 2, max: 3 }], 'the latest state, once');
  await sleep(250);
  s.refresh(); // nothing changed
  await sleep(30);
  assert.equal((await read(task, 'blank'))?.updatedAt, second?.updatedAt);
  await s.finish(finish());
  const done = await read(task, 'blank');
  assert.equal(done?.status, 'ready');
  assert.equal(done?.task.status, 'succeeded');
});

test('append goes to the only card; with several, to the one without an id; get(id) reaches any; mistakes warn', async () => {
  const warnings: string[] = [];
  const { task, s } = session([spec({ type: 'default', id: 'default' }), spec({ id: 'extra' })], warnings);
  s.append(new Markdown('main'));
  s.get('extra').extend([new Markdown('a'), new Markdown('b')]);
  s.get('nope').append(new Markdown('lost'));
  s.get('nope').append(new Markdown('lost again'));
  assert.deepEqual(s.ids, ['default', 'extra']);
  await s.finish(finish({ status: 'failed', failure: { type: 'RangeError', message: 'bad' } }));
  const main = await read(task, 'default');
  assert.deepEqual(main?.components[0], { type: 'markdown', text: 'main' });
  assert.equal(main?.components[1]?.type, 'error', 'a failed task shows its error');
  assert.equal(main?.task.status, 'failed');
  assert.ok(main?.components.some((c) => c.type === 'section' && c.title === 'Task'));
  assert.deepEqual((await read(task, 'extra'))?.components.map((c) => (c as { text: string }).text), ['a', 'b']);
  assert.equal(warnings.length, 1, 'one warning per mistake');
  assert.match(warnings[0]!, /no card with the id 'nope' \(its cards: default, extra\)/);

  const none = session([], warnings);
  none.s.append(new Markdown('x'));
  assert.match(warnings.at(-1)!, /has no @card/);
  const both = session([spec({ id: 'a' }), spec({ id: 'b' })], warnings);
  both.s.append(new Markdown('x'));
  assert.match(warnings.at(-1)!, /none without an id.*current\.card\.get\('a'\)/);
});

test('A component that cannot be drawn, or a default card past its timeout, gives an error card, not a failure', async () => {
  const { task, s } = session([spec(), spec({ type: 'default', id: 'slow', timeout: 0.1 })]);
  s.get('blank').append({ render: () => { throw new Error('no good'); } }).append(new Markdown('still here'));
  s.get('slow').append(new Markdown('mine'));
  await s.finish(finish({ artifacts: [{ name: 'x', info: { sha: 'a'.repeat(40), size: 1, type: 'number', encoding: 'v8' } }], load: () => sleep(400).then(() => 1) }));
  const broken = await read(task, 'blank');
  assert.equal(broken?.status, 'error');
  assert.match(broken!.error!.message, /a component could not be drawn: no good/);
  assert.deepEqual(broken?.components.map((c) => c.type), ['error', 'markdown']);
  const slow = await read(task, 'slow');
  assert.equal(slow?.status, 'error');
  assert.equal(slow?.error?.type, 'CardTimeout');
  assert.match(slow!.error!.message, /longer than its timeout of 0\.1 s/);
  assert.deepEqual(slow?.components, [{ type: 'markdown', text: 'mine' }], 'what was ready is shown');
});

test('refresh() in a tight loop draws the components at most once per interval', async () => {
  const { task, s } = session([spec({ refreshInterval: 0.3 })]);
  let renders = 0;
  s.append({ render: () => (renders++, { type: 'markdown', text: 'same' }) });
  for (let i = 0; i < 10_000; i++) s.refresh();
  await sleep(50);
  assert.equal(renders, 1);
  assert.equal((await read(task, 'blank'))?.status, 'rendering');
  await s.finish(finish());
  assert.equal(renders, 2, 'and once more for the final card');
});
