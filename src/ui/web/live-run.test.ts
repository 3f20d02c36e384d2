import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergeDelta } from './live-run.js';
import { packLanes } from './run/timeline.js';
import type { RunDelta, RunResponse, TaskSummary } from '../api/types.js';

const task = (step: string, id: string, status: TaskSummary['status'], createdAt = 0, finishedAt: number | null = null): TaskSummary => ({
  step, id, pathspec: `F/1/${step}/${id}`, status, lost: false, attempt: 0, createdAt, finishedAt, foreach: null, exception: null,
});

const run: RunResponse = {
  run: { flow: 'F', id: '1', pathspec: 'F/1', user: 'u', status: 'running', lost: false, createdAt: 0, finishedAt: null, tags: [], userTags: [], systemTags: [], parameters: {}, originRunId: null },
  graph: null,
  steps: [
    { name: 'start', createdAt: 0, finishedAt: 1, taskCount: 1, state: 'succeeded', tasks: [task('start', '1', 'succeeded', 0, 1)] },
    { name: 'work', createdAt: 1, finishedAt: null, taskCount: 2, state: 'running', tasks: [task('work', '2', 'running'), task('work', '10', 'running')] },
  ],
  currentSteps: ['work'],
};

test('mergeDelta replaces changed tasks, adds new ones in id order, adds new steps, keeps unchanged steps as they are', () => {
  const { tasks: _t, ...start } = run.steps[0]!;
  const steps: RunDelta['steps'] = [
    start,
    { name: 'work', createdAt: 1, finishedAt: null, taskCount: 3, state: 'running' },
    { name: 'join', createdAt: 9, finishedAt: null, taskCount: 1, state: 'running' },
  ];
  const next = mergeDelta(run, { run: run.run, currentSteps: ['work', 'join'], steps, tasks: [task('work', '2', 'succeeded', 0, 5), task('work', '3', 'running'), task('join', '11', 'running')] });
  assert.equal(next.steps[0]!.tasks, run.steps[0]!.tasks, 'an unchanged step keeps its array');
  assert.deepEqual(next.steps[1]!.tasks.map((t) => [t.id, t.status]), [['2', 'succeeded'], ['3', 'running'], ['10', 'running']]);
  assert.deepEqual(next.steps[2]!.tasks.map((t) => t.id), ['11']);
  assert.deepEqual(next.currentSteps, ['work', 'join']);
  assert.equal(run.steps[1]!.tasks[0]!.status, 'running', 'the old object is left as it was');
});

test('packLanes puts overlapping tasks on separate lanes and reuses a lane once it is free', () => {
  const lanes = packLanes([task('w', '1', 'succeeded', 0, 10), task('w', '2', 'succeeded', 5, 12), task('w', '3', 'succeeded', 10, 20), task('w', '4', 'running', 11)], 30);
  assert.deepEqual(lanes.map((l) => l.map((b) => b.task.id)), [['1', '3'], ['2'], ['4']]);
  assert.equal(lanes[2]![0]!.end, 30, 'a running task reaches now');
});
