import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Flow, namespace, Run, Task } from './index.js';
import { TestStore, type SeedRun } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';
const T0 = Date.UTC(2026, 0, 1);
let store: TestStore;

/** A run that stopped in its middle step: start done, middle running, a join not started. */
function stopped(runId: string, extra: Partial<SeedRun>): SeedRun {
  return {
    flow: 'LostFlow',
    runId,
    createdAt: T0 + Number(runId),
    status: 'running',
    tasks: [
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: { x: 1 } }] },
      { step: 'middle', taskId: '2', attempts: [{ status: 'running' }], parents: ['start/1'] },
      { step: 'join', taskId: '3', parents: ['middle/2'] },
    ],
    ...extra,
  };
}

before(async () => {
  store = await TestStore.open();
  namespace(null);
  // Its orchestrator beat every second, and stopped a minute ago.
  await store.seedRun(stopped('1', { heartbeatIntervalMs: 1000, heartbeatAgeMs: 60_000 }));
  // Beating, and its last beat is fresh.
  await store.seedRun(stopped('2', { heartbeatIntervalMs: 1000 }));
  // Recorded without a heartbeat (an older cairn, an outside scheduler): never judged lost.
  await store.seedRun(stopped('3', {}));
});

after(() => store.close());

test('A run whose orchestrator stopped beating reads as failed (lost), finished at its last heartbeat', async () => {
  const run = await Run.get('LostFlow/1');
  assert.equal(run.lost, true);
  assert.equal(run.status, 'failed');
  assert.equal(run.finished, true);
  assert.equal(run.successful, false);
  const age = Date.now() - run.finishedAt!.getTime();
  assert.ok(age >= 60_000 && age < 70_000, String(age));
});

test('A beating run and a run without heartbeats stay running', async () => {
  for (const id of ['2', '3']) {
    const run = await Run.get(`LostFlow/${id}`);
    assert.deepEqual([run.lost, run.status, run.finished, run.successful, run.finishedAt], [false, 'running', false, false, undefined]);
  }
});

test('Listing runs judges each one the same way', async () => {
  const flow = await Flow.get('LostFlow');
  const seen: Array<[string, string, boolean]> = [];
  for await (const r of flow.runs()) seen.push([r.id, r.status, r.lost]);
  assert.deepEqual(seen, [['3', 'running', false], ['2', 'running', false], ['1', 'failed', true]]);
});

test('flow.runCounts() counts a lost run as failed, and the live ones as running', async () => {
  assert.deepEqual(await (await Flow.get('LostFlow')).runCounts(), { runs: 3, succeeded: 0, failed: 1, running: 2 });
});

test('Tasks of a lost run that had not finished read as failed (lost), with the reason', async () => {
  const run = await Run.get('LostFlow/1');
  const middle = await (await run.step('middle')).task();
  assert.deepEqual([middle.lost, middle.finished, middle.successful], [true, true, false]);
  assert.equal(middle.exception?.type, 'RunLost');
  assert.match(middle.exception?.message ?? '', /Run LostFlow\/1 was lost: its orchestrator stopped recording heartbeats/);
  assert.equal(middle.finishedAt?.getTime(), run.finishedAt?.getTime());
  // Also a task that had not started, and an attempt asked for by number.
  const join = await (await run.step('join')).task();
  assert.deepEqual([join.lost, join.finished, join.successful], [true, true, false]);
  const attempt = await Task.get('LostFlow/1/middle/2', { attempt: 0 });
  assert.deepEqual([attempt.lost, attempt.finished], [true, true]);
  assert.equal((await run.step('middle')).finished, true);
  // What finished before the orchestrator died keeps its own state.
  const start = await (await run.step('start')).task();
  assert.deepEqual([start.lost, start.successful], [false, true]);
  assert.equal(await start.data.x, 1);
});

test('Tasks of a live run stay running', async () => {
  const middle = await Task.get('LostFlow/2/middle/2');
  assert.deepEqual([middle.lost, middle.finished, middle.exception], [false, false, undefined]);
  assert.equal((await Run.get('LostFlow/2').then((r) => r.step('middle'))).finished, false);
});
