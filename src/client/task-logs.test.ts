import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogRecorder } from '../storage/log-format.js';
import { Task } from './index.js';
import { TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';
const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;
const key = { flow: 'LogFlow', runId: '1', step: 'work', taskId: '2' };

before(async () => {
  store = await TestStore.open();
  await store.seedRun({
    flow: 'LogFlow',
    runId: '1',
    createdAt: T0,
    status: 'running',
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: { x: 1, _scratch: 'tmp' }, stdout: 'from start\n' }] },
      { step: 'work', taskId: '2', attempts: [{ status: 'running' }], parents: ['start/1'] },
      { step: 'old', taskId: '3', attempts: [{ status: 'succeeded', artifacts: {} }], parents: ['start/1'] },
    ],
  });
});
after(() => store.close());

/** Appends what `recorder` has (the open line included) as the next segment, as a running task does. */
let offset = 0;
async function append(recorder: LogRecorder): Promise<void> {
  const bytes = Buffer.from(recorder.take({ open: true }));
  await store.artifacts.appendLog(key, 0, 'stdout', { start: offset, bytes });
  offset += bytes.byteLength;
}

test("A running task's output is read as it is appended, before its attempt records where it is", async () => {
  const task = await Task.get('LogFlow/1/work/2');
  assert.equal(task.finished, false);
  assert.equal(await task.stdout(), '');
  assert.deepEqual(await task.readLog('stdout'), { lines: [], partial: undefined, next: 0 });

  const out = new LogRecorder();
  out.write('first\nsecond ', T0 + 10);
  await append(out);
  assert.equal(await task.stdout(), 'first\nsecond ', 'read afresh on every call');

  out.write('part\n', T0 + 20);
  await append(out);
  assert.equal(await task.stdout(), 'first\nsecond part\n');
  assert.deepEqual(await task.loglines('stdout'), [
    { at: new Date(T0 + 10), text: 'first' },
    { at: new Date(T0 + 10), text: 'second part' },
  ]);
  assert.deepEqual(await task.loglines('stderr'), []);
});

test('readLog reads only what is new since an offset, and reads an unended line again until it ends', async () => {
  const task = await Task.get('LogFlow/1/work/2');
  const all = await task.readLog('stdout');
  assert.deepEqual(all.lines.map((l) => l.text), ['first', 'second part']);
  assert.equal(all.partial, undefined);
  assert.deepEqual(await task.readLog('stdout', { from: all.next }), { lines: [], partial: undefined, next: all.next });

  const out = new LogRecorder();
  out.write('third\nfour', T0 + 30);
  await append(out);
  const more = await task.readLog('stdout', { from: all.next });
  assert.deepEqual(more.lines, [{ at: new Date(T0 + 30), text: 'third' }]);
  assert.deepEqual(more.partial, { at: new Date(T0 + 30), text: 'four' });

  out.write('th\n', T0 + 40);
  await append(out);
  const rest = await task.readLog('stdout', { from: more.next });
  assert.deepEqual(rest.lines, [{ at: new Date(T0 + 30), text: 'fourth' }]);
  assert.equal(rest.partial, undefined);
  assert.equal(rest.next, offset);

  await assert.rejects(task.readLog('stdout', { from: -3 }), { code: 'INVALID_ARGUMENT', message: /from must be a byte offset/ });
});

test('Output stored by an older version, as one file with or without times, reads back', async () => {
  const dir = join(store.root, 'logs', 'LogFlow', '1', 'old', '3');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '0.stdout.log'), 'plain text\n');
  writeFileSync(join(dir, '0.stderr.log'), `cairn-log 1\n${T0} timed\n`);
  const task = await Task.get('LogFlow/1/old/3');
  assert.equal(await task.stdout(), 'plain text\n');
  assert.deepEqual(await task.loglines(), [{ at: undefined, text: 'plain text' }]);
  assert.deepEqual(await task.loglines('stderr'), [{ at: new Date(T0), text: 'timed' }]);
  assert.deepEqual((await task.readLog('stderr')).lines, [{ at: new Date(T0), text: 'timed' }]);
});

test('artifacts({ private: true }) includes the names that start with _', async () => {
  const task = await Task.get('LogFlow/1/start/1');
  assert.equal(await task.stdout(), 'from start\n');
  assert.deepEqual((await task.artifacts()).map((a) => a.name), ['x']);
  assert.deepEqual((await task.artifacts({ private: true })).map((a) => a.name), ['_scratch', 'x']);
});
