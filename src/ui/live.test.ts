import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLogQuery, runDelta } from './live.js';
import type { RunResponse, TaskSummary } from './api/types.js';

const task = (id: string, status: TaskSummary['status'], finishedAt: number | null = null): TaskSummary => ({
  step: 'work', id, pathspec: `F/1/work/${id}`, status, lost: false, attempt: 0, createdAt: 1, finishedAt, foreach: null, exception: null,
});

const runOf = (tasks: TaskSummary[], status: RunResponse['run']['status'] = 'running'): RunResponse => ({
  run: { flow: 'F', id: '1', pathspec: 'F/1', user: 'u', status, lost: false, createdAt: 1, finishedAt: null, tags: [], userTags: [], systemTags: [], parameters: {}, originRunId: null },
  graph: null,
  steps: [{ name: 'work', createdAt: 1, finishedAt: null, taskCount: tasks.length, state: 'running', tasks }],
  currentSteps: ['work'],
});

test('runDelta sends only new and changed tasks, and nothing when nothing changed', () => {
  const a = runOf([task('2', 'running'), task('3', 'running')]);
  assert.equal(runDelta(a, runOf([task('2', 'running'), task('3', 'running')])), undefined);
  const d = runDelta(a, runOf([task('2', 'succeeded', 5), task('3', 'running'), task('4', 'running')]));
  assert.deepEqual(d!.tasks.map((t) => [t.id, t.status]), [['2', 'succeeded'], ['4', 'running']]);
  assert.deepEqual(d!.steps.map((s) => [s.name, s.taskCount, 'tasks' in s]), [['work', 3, false]]);
  const over = runDelta(a, runOf([task('2', 'running'), task('3', 'running')], 'succeeded'));
  assert.equal(over!.run.status, 'succeeded');
  assert.deepEqual(over!.tasks, []);
});

test('parseLogQuery reads stream and attempt, and says what is wrong', () => {
  assert.deepEqual(parseLogQuery(new URLSearchParams('')), { streams: ['stdout', 'stderr'] });
  assert.deepEqual(parseLogQuery(new URLSearchParams('stream=stderr&attempt=2')), { streams: ['stderr'], attempt: 2 });
  assert.throws(() => parseLogQuery(new URLSearchParams('stream=all')), /stream must be stdout, stderr or both; got "all"/);
  assert.throws(() => parseLogQuery(new URLSearchParams('attempt=-1')), /attempt must be a whole number from 0 up/);
});

test('parseLogQuery reads where to go on from, and says what is wrong with it', () => {
  assert.deepEqual(parseLogQuery(new URLSearchParams('stream=stdout&from=120.7')), { streams: ['stdout'], from: { stdout: 120, stderr: 7 } });
  assert.throws(() => parseLogQuery(new URLSearchParams('from=12')), /from must be STDOUT\.STDERR byte offsets.*got "12"/);
  assert.throws(() => parseLogQuery(new URLSearchParams('from=-1.0')), /from must be STDOUT\.STDERR/);
});
