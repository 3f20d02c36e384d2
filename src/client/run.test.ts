import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { CairnError, NamespaceMismatchError, NotFoundError } from '../errors.js';
import { defaultNamespace, Flow, namespace, Run, Step, Task } from './index.js';
import { linearRun, TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';
const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;

before(async () => {
  store = await TestStore.open();
  await store.seedRun(
    linearRun('ArtFlow', '100', T0, { some_data: [1, 2, 4], when: new Date(T0), big: 2n ** 70n, m: new Map([['k', 1]]) }, {
      userTags: ['exp'],
      systemTags: ['user:alice', 'runtime:node'],
      params: { alpha: 0.5 },
    }),
  );
  await store.seedRun(linearRun('ArtFlow', '101', T0 + 1000, { some_data: [9] }, { user: 'bob', originRunId: '100' }));
  // A run still in its middle step: no end task yet.
  await store.seedRun({
    flow: 'ArtFlow',
    runId: '102',
    createdAt: T0 + 2000,
    status: 'running',
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: { some_data: [1] } }] },
      { step: 'middle', taskId: '2', attempts: [{ status: 'running' }], parents: ['start/1'] },
    ],
  });
  // A run whose end task failed.
  await store.seedRun({
    flow: 'ArtFlow',
    runId: '103',
    createdAt: T0 + 3000,
    status: 'failed',
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: { some_data: [1] } }] },
      { step: 'end', taskId: '2', attempts: [{ status: 'failed', exception: { type: 'Error', message: 'boom' } }] },
    ],
  });
  // A foreach: one split step, three tasks whose ids sort numerically, and a join.
  const frame = (index: number) => [{ step: 'start', var: 'xs', numSplits: 3, index, listSha: 'f'.repeat(40) }];
  await store.seedRun({
    flow: 'ForeachFlow',
    runId: '1',
    createdAt: T0,
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: { xs: [5, 6, 7] } }], at: 1 },
      { step: 'body', taskId: '10', attempts: [{ status: 'succeeded', artifacts: { y: 7 } }], foreachStack: frame(2), parents: ['start/1'], at: 2 },
      { step: 'body', taskId: '9', attempts: [{ status: 'succeeded', artifacts: { y: 6 } }], foreachStack: frame(1), parents: ['start/1'], at: 2 },
      { step: 'body', taskId: '2', attempts: [{ status: 'succeeded', artifacts: { y: 5 } }], foreachStack: frame(0), parents: ['start/1'], at: 2 },
      { step: 'join', taskId: '11', attempts: [{ status: 'succeeded', artifacts: { ys: [5, 6, 7] } }], parents: ['body/2', 'body/9', 'body/10'], at: 3 },
      { step: 'end', taskId: '12', attempts: [{ status: 'succeeded', artifacts: { ys: [5, 6, 7] } }], parents: ['join/11'], at: 4 },
    ],
  });
  await store.seedRun(linearRun('TagFlow', '1', T0, {}, { userTags: ['keep'], systemTags: ['user:alice', 'runtime:node'] }));
});

after(async () => {
  await store.close();
});

beforeEach(() => {
  defaultNamespace();
});

test('Run.get loads the run metadata as plain properties', async () => {
  const run = await Run.get('ArtFlow/100');
  assert.equal(run.id, '100');
  assert.equal(run.pathspec, 'ArtFlow/100');
  assert.equal(run.flowName, 'ArtFlow');
  assert.equal(run.user, 'alice');
  assert.deepEqual(run.createdAt, new Date(T0));
  assert.deepEqual(run.finishedAt, new Date(T0 + 1000));
  assert.equal(run.successful, true);
  assert.equal(run.finished, true);
  assert.deepEqual(run.tags, ['exp', 'runtime:node', 'user:alice']);
  assert.deepEqual(run.userTags, ['exp']);
  assert.deepEqual(run.systemTags, ['user:alice', 'runtime:node']);
  assert.deepEqual(run.parameters, { alpha: 0.5 });
  assert.equal(run.originPathspec, undefined);
});

test('Run.get of a missing run names the run, and of a missing flow names the flow', async () => {
  await assert.rejects(Run.get('ArtFlow/999'), (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /Run 'ArtFlow\/999' was not found/);
    return true;
  });
  await assert.rejects(Run.get('Nope/1'), /Flow 'Nope' was not found/);
});

test('Run.get of a run outside the namespace is a mismatch until namespace(null)', async () => {
  await assert.rejects(Run.get('ArtFlow/101'), (e: unknown) => {
    assert.ok(e instanceof NamespaceMismatchError);
    assert.match(e.message, /'user:alice'/);
    assert.match(e.message, /namespace\(null\)/);
    assert.match(e.message, /namespace\('user:bob'\)/);
    return true;
  });
  await assert.rejects(Step.get('ArtFlow/101/end'), NamespaceMismatchError);
  await assert.rejects(Task.get('ArtFlow/101/end/2'), NamespaceMismatchError);
  namespace(null);
  const run = await Run.get('ArtFlow/101');
  assert.equal(run.originPathspec, 'ArtFlow/100');
  assert.deepEqual(await run.data.some_data, [9]);
});

test('run.data reads the end task artifacts as promises', async () => {
  const run = await Run.get('ArtFlow/100');
  assert.deepEqual(await run.data.some_data, [1, 2, 4]);
  assert.deepEqual(await run.data.when, new Date(T0));
  assert.equal(await run.data.big, 2n ** 70n);
  assert.deepEqual(await run.data.m, new Map([['k', 1]]));
  assert.equal(await run.data.some_data, await run.data.some_data, 'the decoded value is cached');
});

test('run.data is not a thenable, so awaiting it yields the view itself', async () => {
  const run = await Run.get('ArtFlow/100');
  assert.equal((run.data as Record<string, unknown>).then, undefined);
  const data = await run.data;
  assert.deepEqual(await data.some_data, [1, 2, 4]);
});

test('run.data is read-only', async () => {
  const run = await Run.get('ArtFlow/100');
  assert.throws(() => {
    (run.data as Record<string, unknown>).x = 1;
  }, /read-only/);
});

test('run.data of an unknown artifact rejects with NotFoundError listing the artifacts', async () => {
  const run = await Run.get('ArtFlow/100');
  await assert.rejects(async () => await run.data.nope, (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /Artifact 'nope' was not found in task 'ArtFlow\/100\/end\/2' \(it has big, m, some_data, when\)/);
    return true;
  });
});

test('run.data of a run that has not reached its end step says there is no end task yet', async () => {
  const run = await Run.get('ArtFlow/102');
  assert.equal(run.finished, false);
  assert.equal(await run.endTask(), undefined);
  await assert.rejects(async () => await run.data.some_data, (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /has no end task yet/);
    return true;
  });
});

test('run.data of a run whose end task failed rejects with NotFoundError', async () => {
  const run = await Run.get('ArtFlow/103');
  const end = await run.endTask();
  assert.equal(end?.successful, false);
  assert.equal(end?.exception?.message, 'boom');
  await assert.rejects(async () => await run.data.some_data, (e: unknown) => e instanceof NotFoundError && /failed/.test(e.message));
});

test('run.steps() lists steps newest first and hides underscore steps', async () => {
  const run = await Run.get('ArtFlow/100');
  const steps = await run.steps();
  assert.deepEqual(steps.map((s) => s.id), ['end', 'start']);
  const params = await run.step('_parameters');
  assert.equal(params.pathspec, 'ArtFlow/100/_parameters');
  await assert.rejects(run.step('middle'), (e: unknown) => e instanceof NotFoundError && /Step 'ArtFlow\/100\/middle'/.test(e.message));
});

test('Steps carry their run tags and what their tasks say', async () => {
  const step = await Step.get('ArtFlow/100/start');
  assert.equal(step.id, 'start');
  assert.equal(step.pathspec, 'ArtFlow/100/start');
  assert.deepEqual(step.tags, ['exp', 'runtime:node', 'user:alice']);
  assert.equal(step.taskCount, 1);
  assert.equal(step.finished, true);
  assert.ok(step.finishedAt instanceof Date);
  const running = await Step.get('ArtFlow/102/middle');
  assert.equal(running.finished, false);
  assert.equal(running.finishedAt, undefined);
  await assert.rejects(Step.get('ArtFlow/100/nope'), NotFoundError);
});

test('step.tasks() orders foreach tasks by task id and each knows its index and parents', async () => {
  const run = await Run.get('ForeachFlow/1');
  assert.deepEqual((await run.steps()).map((s) => s.id), ['end', 'join', 'body', 'start']);
  const body = await run.step('body');
  const tasks = await body.tasks();
  assert.deepEqual(tasks.map((t) => t.id), ['2', '9', '10']);
  assert.deepEqual(tasks.map((t) => t.index), [0, 1, 2]);
  assert.deepEqual(await Promise.all(tasks.map((t) => t.data.y)), [5, 6, 7]);
  assert.deepEqual(tasks[0]?.parents, ['ForeachFlow/1/start/1']);
  assert.equal(tasks[0]?.foreachStack[0]?.var, 'xs');
  const start = await (await run.step('start')).task();
  assert.equal(start.index, undefined);
  assert.equal((await body.task()).id, '2');
});

test('Adding and removing tags follows the system-tag rules and is persisted', async () => {
  const run = await Run.get('TagFlow/1');
  assert.equal(await run.addTags(['a', 'user:alice', 'b']), run);
  assert.deepEqual(run.userTags, ['keep', 'a', 'b']);
  assert.deepEqual(run.tags, ['a', 'b', 'keep', 'runtime:node', 'user:alice']);
  assert.deepEqual((await Run.get('TagFlow/1')).userTags, ['keep', 'a', 'b']);

  await assert.rejects(run.removeTags(['a', 'runtime:node']), (e: unknown) => {
    assert.ok(e instanceof CairnError);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    assert.match(e.message, /system tag 'runtime:node'/);
    return true;
  });
  assert.deepEqual((await Run.get('TagFlow/1')).userTags, ['keep', 'a', 'b'], 'nothing changed');

  await run.removeTags('a');
  assert.deepEqual(run.userTags, ['keep', 'b']);
  await run.replaceTags(['keep'], ['c']);
  assert.deepEqual((await Run.get('TagFlow/1')).userTags, ['b', 'c']);

  const flow = await Flow.get('TagFlow');
  const tagged: string[] = [];
  for await (const r of flow.runs({ tags: ['c'] })) tagged.push(r.id);
  assert.deepEqual(tagged, ['1']);

  await assert.rejects(run.replaceTags([], []), /at least one tag/);
  await assert.rejects(run.addTags(['']), (e: unknown) => e instanceof CairnError && e.code === 'INVALID_ARGUMENT');
  await assert.rejects(run.addTags([42 as unknown as string]), /must be a string/);
  await assert.rejects(
    run.addTags(Array.from({ length: 49 }, (_, i) => `t${i}`)),
    (e: unknown) => e instanceof CairnError && /at most 50/.test(e.message),
  );
  assert.deepEqual(run.userTags, ['b', 'c']);
});
