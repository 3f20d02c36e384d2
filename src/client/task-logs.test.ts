import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { LogWriter } from '../storage/log-format.js';
import { Task } from './index.js';
import { TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';
const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;

before(async () => {
  store = await TestStore.open();
  await store.seedRun({
    flow: 'LogFlow',
    runId: '1',
    createdAt: T0,
    status: 'running',
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: { x: 1, _scratch: 'tmp' }, stdout: 'plain text\n' }] },
      { step: 'work', taskId: '2', attempts: [{ status: 'running' }], parents: ['start/1'] },
    ],
  });
});
after(() => store.close());

test("A running task's output is read from the store before its attempt records where it is", async () => {
  const key = { flow: 'LogFlow', runId: '1', step: 'work', taskId: '2' };
  const task = await Task.get('LogFlow/1/work/2');
  assert.equal(task.finished, false);
  assert.equal(await task.stdout(), '');

  const out = new LogWriter();
  out.write('first\nsecond ', T0 + 10);
  await store.artifacts.putLog(key, 0, 'stdout', out.encode());
  assert.equal(await task.stdout(), 'first\nsecond ', 'read afresh on every call');

  out.write('part\n', T0 + 20);
  await store.artifacts.putLog(key, 0, 'stdout', out.encode());
  assert.equal(await task.stdout(), 'first\nsecond part\n');
  assert.deepEqual(await task.loglines('stdout'), [
    { at: new Date(T0 + 10), text: 'first' },
    { at: new Date(T0 + 10), text: 'second part' },
  ]);
  assert.deepEqual(await task.loglines('stderr'), []);
});

test('Output stored as plain text reads back without times', async () => {
  const task = await Task.get('LogFlow/1/start/1');
  assert.equal(await task.stdout(), 'plain text\n');
  assert.deepEqual(await task.loglines(), [{ at: undefined, text: 'plain text' }]);
});

test('artifacts({ private: true }) includes the names that start with _', async () => {
  const task = await Task.get('LogFlow/1/start/1');
  assert.deepEqual((await task.artifacts()).map((a) => a.name), ['x']);
  assert.deepEqual((await task.artifacts({ private: true })).map((a) => a.name), ['_scratch', 'x']);
});
