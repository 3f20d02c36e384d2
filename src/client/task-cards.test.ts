import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CARD_DOCUMENT_VERSION, serializeCardDocument, type CardDocument } from '../cards/document.js';
import type { TaskKey } from '../core/types.js';
import { Task } from './index.js';
import { TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';
const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;

function doc(id: string, extra: Partial<CardDocument> = {}): CardDocument {
  return {
    version: CARD_DOCUMENT_VERSION,
    id,
    type: 'blank',
    status: 'ready',
    updatedAt: T0 + 5,
    title: id,
    task: { pathspec: 'CardFlow/1/start/1', attempt: 0, status: 'succeeded' },
    components: [{ type: 'markdown', text: `# ${id}` }],
    ...extra,
  };
}

const key = (runId: string, step: string, taskId: string): TaskKey => ({ flow: 'CardFlow', runId, step, taskId });

before(async () => {
  store = await TestStore.open();
  await store.seedRun({
    flow: 'CardFlow',
    runId: '1',
    createdAt: T0,
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: {} }] },
      { step: 'flaky', taskId: '2', attempts: [{ status: 'failed' }, { status: 'succeeded', artifacts: {} }], parents: ['start/1'] },
      { step: 'end', taskId: '3', attempts: [{ status: 'succeeded', artifacts: {} }], parents: ['flaky/2'] },
    ],
  });
  await store.seedRun({
    flow: 'CardFlow',
    runId: '2',
    createdAt: T0 + 1000,
    originRunId: '1',
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: {} }], originPathspec: 'CardFlow/1/start/1' },
      { step: 'end', taskId: '2', attempts: [{ status: 'running' }] },
    ],
  });
  await store.artifacts.putCard(key('1', 'start', '1'), 0, 'summary', serializeCardDocument(doc('summary')));
  await store.artifacts.putCard(key('1', 'start', '1'), 0, 'default', serializeCardDocument(doc('default', { type: 'default' })));
  await store.artifacts.putCard(key('1', 'flaky', '2'), 0, 'default', serializeCardDocument(doc('default', { status: 'error', error: { type: 'Error', message: 'boom' } })));
  await store.artifacts.putCard(key('1', 'flaky', '2'), 1, 'default', serializeCardDocument(doc('default')));
  await store.artifacts.putCard(key('2', 'end', '2'), 0, 'live', serializeCardDocument(doc('live', { status: 'rendering', refreshInterval: 1000 })));
});
after(() => store.close());

test("task.cards() lists the shown attempt's cards, sorted by id, with their documents", async () => {
  const task = await Task.get('CardFlow/1/start/1');
  const cards = await task.cards();
  assert.deepEqual(cards.map((c) => [c.id, c.type, c.status]), [['default', 'default', 'ready'], ['summary', 'blank', 'ready']]);
  const data = await cards[1]!.data();
  assert.deepEqual(data.components, [{ type: 'markdown', text: '# summary' }]);
  assert.equal(cards[1]!.updatedAt.getTime(), T0 + 5);
  assert.equal(String(cards[1]), "Card('CardFlow/1/start/1', 'summary')");
});

test('Each attempt has its own cards: a failed attempt keeps the error its card recorded', async () => {
  const latest = await (await Task.get('CardFlow/1/flaky/2')).card('default');
  assert.equal(latest.status, 'ready');
  assert.equal(latest.attempt, 1);
  const failed = await (await Task.get('CardFlow/1/flaky/2', { attempt: 0 })).card('default');
  assert.equal(failed.status, 'error');
  assert.deepEqual(failed.error, { type: 'Error', message: 'boom' });
});

test("A task cloned by resume shows the cards of the task it was cloned from", async () => {
  const cards = await (await Task.get('CardFlow/2/start/1')).cards();
  assert.deepEqual(cards.map((c) => c.id), ['default', 'summary']);
  assert.equal(cards[0]!.taskPathspec, 'CardFlow/1/start/1');
});

test("A running task's live card is read as it is now, and read afresh on the next call", async () => {
  const task = await Task.get('CardFlow/2/end/2');
  const [live] = await task.cards();
  assert.equal(live!.status, 'rendering');
  assert.equal((await live!.data()).refreshInterval, 1000);
  await store.artifacts.putCard(key('2', 'end', '2'), 0, 'live', serializeCardDocument(doc('live', { status: 'ready' })));
  assert.equal((await task.card('live')).status, 'ready');
});

test('A task without cards has none, and asking for a missing card names the ones there are', async () => {
  assert.deepEqual(await (await Task.get('CardFlow/1/end/3')).cards(), []);
  const task = await Task.get('CardFlow/1/start/1');
  await assert.rejects(task.card('nope'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'NOT_FOUND');
    assert.match(e.message, /has no card 'nope' \(its cards are default, summary\)/);
    return true;
  });
});

test('A card document of another version is refused with a message that says what to do', async () => {
  await store.artifacts.putCard(key('1', 'end', '3'), 0, 'future', Buffer.from(JSON.stringify({ ...doc('future'), version: 99 })));
  const task = await Task.get('CardFlow/1/end/3');
  await assert.rejects(task.cards(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'STORE');
    assert.match(e.message, /version 99.*upgrade cairn/);
    return true;
  });
});
