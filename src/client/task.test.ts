import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError, NotFoundError } from '../errors.js';
import { DataArtifact, defaultNamespace, Run, Task } from './index.js';
import { TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';
const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;

before(async () => {
  store = await TestStore.open();
  await store.seedRun({
    flow: 'RetryFlow',
    runId: '1',
    createdAt: T0,
    userTags: ['exp'],
    tasks: [
      {
        step: 'start',
        taskId: '1',
        // The failed attempt's record exists in the store, yet must never be shown.
        attempts: [
          { status: 'failed', artifacts: { x: 'from the failed attempt', onlyFailed: 1 }, stdout: 'try 0\n', stderr: 'oops\n', exception: { type: 'TypeError', message: 'flaky' } },
          { status: 'succeeded', artifacts: { x: 'ok', _secret: 's3cret', b: 2, a: [1] }, stdout: 'try 1\nhello\n' },
        ],
        originPathspec: 'RetryFlow/0/start/1',
      },
      {
        step: 'broken',
        taskId: '2',
        attempts: [
          { status: 'failed', artifacts: { x: 1 }, exception: { type: 'Error', message: 'first' } },
          { status: 'failed', artifacts: { x: 2 }, stderr: 'Error: second\n', exception: { type: 'Error', message: 'second', stack: 'Error: second\n    at x' } },
        ],
        parents: ['start/1'],
      },
      // A task whose later attempt failed after an earlier one succeeded: the successful one counts.
      {
        step: 'odd',
        taskId: '3',
        attempts: [
          { status: 'succeeded', artifacts: { v: 'good' } },
          { status: 'failed', artifacts: { v: 'bad' } },
        ],
      },
      { step: 'quiet', taskId: '4', attempts: [{ status: 'succeeded', artifacts: {} }] },
      { step: 'pending', taskId: '5' },
      // Its record and its stdout are removed from the artifact store below.
      { step: 'gone', taskId: '6', attempts: [{ status: 'succeeded', artifacts: { v: 1 }, stdout: 'printed\n' }] },
    ],
  });
});

after(async () => {
  await store.close();
});

beforeEach(() => {
  defaultNamespace();
});

test('A task shows its latest successful attempt and hides the artifacts of failed ones', async () => {
  const task = await Task.get('RetryFlow/1/start/1');
  assert.equal(task.id, '1');
  assert.equal(task.pathspec, 'RetryFlow/1/start/1');
  assert.equal(task.stepName, 'start');
  assert.equal(task.retryCount, 1);
  assert.equal(task.successful, true);
  assert.equal(task.finished, true);
  assert.equal(task.exception, undefined);
  assert.equal(task.originPathspec, 'RetryFlow/0/start/1');
  assert.deepEqual(task.createdAt, new Date(T0 + 1));
  assert.ok(task.finishedAt instanceof Date);
  assert.deepEqual(task.tags, ['exp', 'user:alice']);
  assert.equal(await task.data.x, 'ok');
  await assert.rejects(async () => await task.data.onlyFailed, NotFoundError);
});

test('artifacts() is sorted by name and hides underscore names, which stay reachable by name', async () => {
  const task = await Task.get('RetryFlow/1/start/1');
  const arts = await task.artifacts();
  assert.deepEqual(arts.map((a) => a.name), ['a', 'b', 'x']);
  const a = arts[0]!;
  assert.ok(a instanceof DataArtifact);
  assert.equal(a.pathspec, 'RetryFlow/1/start/1/a');
  assert.match(a.sha, /^[0-9a-f]{40}$/);
  assert.ok(a.size > 0);
  assert.equal(a.type, 'Array');
  assert.equal(a.attempt, 1);
  assert.deepEqual(a.tags, ['exp', 'user:alice']);
  assert.deepEqual(await a.data(), [1]);
  assert.equal(await a.data(), await a.data(), 'decoded once per object');
  assert.equal(await task.data._secret, 's3cret');
  assert.equal((await task.artifact('_secret')).name, '_secret');
});

test('Task.get with an attempt shows that attempt, and a failed attempt shows no artifacts', async () => {
  const first = await Task.get('RetryFlow/1/start/1', { attempt: 0 });
  assert.equal(first.retryCount, 0);
  assert.equal(first.successful, false);
  assert.equal(first.finished, true);
  assert.deepEqual(first.exception, { type: 'TypeError', message: 'flaky' });
  assert.deepEqual(await first.artifacts(), []);
  await assert.rejects(async () => await first.data.x, (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /attempt 0 of task 'RetryFlow\/1\/start\/1' did not succeed/);
    return true;
  });
  assert.equal(await first.stdout(), 'try 0\n');
  assert.equal(await first.stderr(), 'oops\n');
  const second = await Task.get('RetryFlow/1/start/1', { attempt: 1 });
  assert.equal(await second.data.x, 'ok');
});

test('attempts() lists every attempt oldest first, each showing its own status, output and artifacts', async () => {
  const task = await Task.get('RetryFlow/1/start/1');
  const attempts = await task.attempts();
  assert.deepEqual(attempts.map((a) => [a.retryCount, a.successful, a.exception?.type]), [[0, false, 'TypeError'], [1, true, undefined]]);
  assert.ok(attempts.every((a) => a.startedAt instanceof Date));
  assert.equal(await attempts[0]!.stdout(), 'try 0\n');
  assert.deepEqual(await attempts[0]!.artifacts(), []);
  assert.equal(await attempts[1]!.data.x, 'ok');
  const pending = await Task.get('RetryFlow/1/pending/5');
  assert.deepEqual(await pending.attempts(), []);
  assert.equal(pending.startedAt, undefined);
});

test('Task.get with an attempt that does not exist or is malformed is rejected', async () => {
  await assert.rejects(Task.get('RetryFlow/1/start/1', { attempt: 5 }), (e: unknown) => {
    assert.ok(e instanceof NotFoundError);
    assert.match(e.message, /Attempt 5 of task 'RetryFlow\/1\/start\/1' was not found \(attempts: 0, 1\)/);
    return true;
  });
  await assert.rejects(Task.get('RetryFlow/1/start/1', { attempt: -1 }), (e: unknown) => e instanceof CairnError && e.code === 'INVALID_ARGUMENT');
});

test('A task whose attempts all failed shows the latest one, its exception and no artifacts', async () => {
  const task = await Task.get('RetryFlow/1/broken/2');
  assert.equal(task.retryCount, 1);
  assert.equal(task.successful, false);
  assert.equal(task.finished, true);
  assert.equal(task.exception?.message, 'second');
  assert.match(task.exception?.stack ?? '', /at x/);
  assert.deepEqual(task.parents, ['RetryFlow/1/start/1']);
  assert.deepEqual(await task.artifacts(), []);
  await assert.rejects(async () => await task.data.x, /task 'RetryFlow\/1\/broken\/2' failed/);
  await assert.rejects(DataArtifact.get('RetryFlow/1/broken/2/x'), NotFoundError);
  assert.equal(await task.stderr(), 'Error: second\n');
  assert.equal(await task.stdout(), '');
});

test('A later failed attempt does not hide the earlier successful one', async () => {
  const task = await Task.get('RetryFlow/1/odd/3');
  assert.equal(task.retryCount, 0);
  assert.equal(await task.data.v, 'good');
});

test('A pending task shows attempt 0, unfinished, with no output', async () => {
  const task = await Task.get('RetryFlow/1/pending/5');
  assert.equal(task.finished, false);
  assert.equal(task.successful, false);
  assert.equal(task.retryCount, 0);
  assert.equal(await task.stdout(), '');
  assert.deepEqual(await task.artifacts(), []);
  await assert.rejects(async () => await task.data.x, /has not finished successfully yet/);
});

test('stdout() returns what the shown attempt printed', async () => {
  const task = await Task.get('RetryFlow/1/start/1');
  assert.equal(await task.stdout(), 'try 1\nhello\n');
  assert.equal(await task.stderr(), '');
  assert.equal(await (await Task.get('RetryFlow/1/quiet/4')).stdout(), '');
});

test('DataArtifact.get loads one artifact, hidden ones included', async () => {
  const x = await DataArtifact.get('RetryFlow/1/start/1/x');
  assert.equal(x.name, 'x');
  assert.equal(x.id, 'x');
  assert.equal(x.stepName, 'start');
  assert.equal(await x.data(), 'ok');
  assert.equal(await (await DataArtifact.get<string>('RetryFlow/1/start/1/_secret')).data(), 's3cret');
});

test('DataArtifact.get names what was not found', async () => {
  await assert.rejects(DataArtifact.get('RetryFlow/1/start/1/nope'), /Artifact 'nope' was not found in task 'RetryFlow\/1\/start\/1' \(it has a, b, x\)/);
  await assert.rejects(DataArtifact.get('RetryFlow/1/start/7/x'), /Task 'RetryFlow\/1\/start\/7' was not found/);
  await assert.rejects(DataArtifact.get('RetryFlow/1/nostep/1/x'), /Step 'RetryFlow\/1\/nostep' was not found/);
  await assert.rejects(DataArtifact.get('RetryFlow/9/start/1/x'), /Run 'RetryFlow\/9' was not found/);
});

test('A record pointing at a missing blob rejects with a CairnError', async () => {
  const key = { flow: 'RetryFlow', runId: '1', step: 'quiet', taskId: '4' };
  await store.artifacts.putTaskRecord(key, 0, {
    version: 1,
    artifacts: { ghost: { sha: '0'.repeat(40), size: 3, type: 'number', encoding: 'v8' } },
  });
  const task = await Task.get('RetryFlow/1/quiet/4');
  await assert.rejects(async () => await task.data.ghost, (e: unknown) => e instanceof CairnError && e.code === 'NOT_FOUND');
});

test('A succeeded task whose record or output is missing from the artifact store is an error naming both stores', async () => {
  rmSync(join(store.root, 'tasks', 'RetryFlow', '1', 'gone'), { recursive: true });
  rmSync(join(store.root, 'logs', 'RetryFlow', '1', 'gone'), { recursive: true });
  const task = await Task.get('RetryFlow/1/gone/6');
  const both = (what: RegExp) => (e: unknown) => {
    assert.ok(e instanceof CairnError && e.code === 'STORE', String(e));
    assert.match(e.message, what);
    assert.match(e.message, new RegExp(`metadata store \\(sqlite ${store.root}/metadata\\.db\\)`));
    assert.match(e.message, new RegExp(`artifact store \\(local ${store.root}\\) does not have it`));
    assert.match(e.message, /CAIRN_DATASTORE_ROOT/);
    return true;
  };
  await assert.rejects(task.artifacts(), both(/records the record of task 'RetryFlow\/1\/gone\/6' \(attempt 0\), which succeeded/));
  await assert.rejects(async () => await task.data.v, both(/record of task/));
  await assert.rejects(task.stdout(), both(/records the stdout of task 'RetryFlow\/1\/gone\/6' \(attempt 0\) at /));
  // Its stderr was never stored, and that is no error.
  assert.equal(await task.stderr(), '');
});

test('Tasks of a run are reachable through its steps', async () => {
  const run = await Run.get('RetryFlow/1');
  const steps = await run.steps();
  assert.deepEqual(steps.map((s) => s.id), ['gone', 'pending', 'quiet', 'odd', 'broken', 'start']);
  const start = await (await run.step('start')).task();
  assert.equal(await start.data.x, 'ok');
});
