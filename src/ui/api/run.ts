/** The run page: `/api/flows/F/runs/R`, the run, its steps and their tasks. */
import { Run, type Step, type Task } from '../../client/index.js';
import { mapLimit } from '../../core/map-limit.js';
import { runSummary } from './summaries.js';
import type { RunResponse, StepSummary, TaskSummary } from './types.js';

export function taskSummary(t: Task): TaskSummary {
  const frame = t.foreachStack.at(-1);
  return {
    step: t.stepName,
    id: t.id,
    pathspec: t.pathspec,
    status: t.lost ? 'failed' : t.finished ? (t.successful ? 'succeeded' : 'failed') : 'running',
    lost: t.lost,
    attempt: t.retryCount,
    createdAt: t.createdAt.getTime(),
    finishedAt: t.finishedAt?.getTime() ?? null,
    foreach: frame ? { index: frame.index, numSplits: frame.numSplits, var: frame.var } : null,
    exception: t.exception ? { type: t.exception.type, message: t.exception.message } : null,
  };
}

async function stepSummary(step: Step): Promise<StepSummary> {
  const tasks = await step.tasks();
  const summaries = tasks.map(taskSummary);
  const state = summaries.some((t) => t.status === 'failed') ? 'failed' : summaries.some((t) => t.status === 'running') || !step.finished ? 'running' : 'succeeded';
  return {
    name: step.id,
    createdAt: step.createdAt.getTime(),
    finishedAt: step.finishedAt?.getTime() ?? null,
    taskCount: step.taskCount,
    state,
    tasks: summaries,
  };
}

export async function runJson(flow: string, runId: string): Promise<RunResponse> {
  const run = await Run.get(`${flow}/${runId}`);
  const steps = await run.steps();
  const summaries = await mapLimit(steps, 8, stepSummary);
  summaries.sort((a, b) => a.createdAt - b.createdAt);
  const running = summaries.filter((s) => s.state === 'running').map((s) => s.name);
  return { run: runSummary(run), steps: summaries, currentSteps: run.status === 'running' ? running : [] };
}
