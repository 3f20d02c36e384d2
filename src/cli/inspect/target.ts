/**
 * What `logs`, `dump` and `tag` look at, found through the client API with one clear message for
 * each way it can be missing. The flow is the one the flow file defines (its class name); runs named
 * by id are found in every namespace, as an id names one run whoever started it.
 */
import { isCairnError, NotFoundError } from '../../errors.js';
import { Flow, namespace, Run, Task, type Step } from '../../client/index.js';
import { clientContext } from '../../client/context.js';
import type { FlowArg } from '../command.js';
import { loadFlowArg } from '../load-flow.js';
import type { TaskPathArg } from './pathspec-arg.js';

/**
 * Opens the store (failing with the store's own message when there is none) and returns the name of
 * the flow the file defines: the class itself when the file is the program, else what loading the
 * file finds (remembered while the file is unchanged, like `run` and `check` do).
 */
export async function openFlow(flow: FlowArg): Promise<string> {
  await clientContext();
  if (flow.flowClass) return flow.flowClass.name;
  return (await loadFlowArg(flow)).flowClass.name;
}

function isNotFound(e: unknown): boolean {
  return isCairnError(e) && e.code === 'NOT_FOUND';
}

/** Run `runId` of flow `flowName` (defined in `file`), in any namespace. */
export async function findRun(flowName: string, runId: string, file: string): Promise<Run> {
  namespace(null);
  try {
    return await Run.get(`${flowName}/${runId}`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const flows = await Flow.list();
  for (const other of flows) {
    if (other.name === flowName) continue;
    const found = await other.run(runId).then(
      () => true,
      (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)),
    );
    if (found) {
      throw new NotFoundError(`Run ${runId} is a run of flow ${other.name}, not of ${flowName} (which ${file} defines). Give the flow file of ${other.name}.`);
    }
  }
  const mine = flows.find((f) => f.name === flowName);
  if (!mine) {
    throw new NotFoundError(`The store has no run of ${flowName} (defined in ${file}) yet. Run it first: cairn run ${file}.`);
  }
  if (flows.some((f) => f.name === runId)) {
    throw new NotFoundError(`'${runId}' is a flow, not a run of ${flowName}. Give the flow file of ${runId} and a pathspec RUN/STEP[/TASK].`);
  }
  const newest: string[] = [];
  for await (const run of mine.runs({ pageSize: 3 })) {
    newest.push(run.id);
    if (newest.length === 3) break;
  }
  throw new NotFoundError(`Run ${flowName}/${runId} was not found. The newest runs of ${flowName} are ${newest.join(', ')}.`);
}

/** Step `name` of `run`; the message lists the steps the run has. */
export async function findStep(run: Run, name: string): Promise<Step> {
  try {
    return await run.step(name);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const steps = (await run.steps()).map((s) => s.id).reverse();
  const has = steps.length ? `it has ${steps.join(', ')}` : 'it has no steps yet';
  const running = run.finished ? '' : '; the run is still going, and a step appears when its first task starts';
  throw new NotFoundError(`Run ${run.pathspec} has no step '${name}' (${has}${running}).`);
}

/** A task to show, or why it cannot be shown (an attempt it does not have). */
export type Shown = { task: Task } | { pathspec: string; missing: string };

/**
 * The task named by `target` (at `attempt`, else the attempt the client shows), or every task of
 * its step. A step-wide look marks the tasks that lack the attempt instead of failing.
 */
export async function findTasks(step: Step, target: TaskPathArg, attempt?: number): Promise<Shown[]> {
  const options = attempt === undefined ? {} : { attempt };
  if (target.taskId !== undefined) {
    try {
      return [{ task: await Task.get(`${step.pathspec}/${target.taskId}`, options) }];
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const ids = (await step.tasks()).map((t) => t.id);
      if (ids.includes(target.taskId)) throw e; // the task exists: its attempt does not
      const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')}, ...` : ids.join(', ');
      throw new NotFoundError(`Step ${step.pathspec} has no task ${target.taskId} (its tasks are ${shown || 'none yet'}).`);
    }
  }
  const tasks = await step.tasks();
  if (attempt === undefined) return tasks.map((task) => ({ task }));
  return Promise.all(
    tasks.map((t) =>
      Task.get(t.pathspec, options).then(
        (task): Shown => ({ task }),
        (e: unknown): Shown => {
          if (!isNotFound(e)) throw e;
          return { pathspec: t.pathspec, missing: `has no attempt ${attempt}` };
        },
      ),
    ),
  );
}

/** The state of a task for headers: `succeeded`, `failed`, `failed (lost)` or `running`. */
export function taskState(task: Task): string {
  if (task.successful) return 'succeeded';
  if (task.lost) return 'failed (lost)';
  return task.finished ? 'failed' : 'running';
}

/** The state of a run as the CLI prints it: its status, `failed (lost)` for a lost run. */
export function runState(run: Run): string {
  return run.lost ? 'failed (lost)' : run.status;
}
