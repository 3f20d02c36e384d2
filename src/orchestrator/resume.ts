/**
 * `resumeRun`: a new run of a flow that clones the successful tasks of an origin run (their
 * artifact records and metadata, no artifact data) and runs the rest, or everything from a given
 * step on. Parameters come from the origin.
 */
import { CairnError } from '../errors.js';
import { mapLimit } from '../core/map-limit.js';
import { runStatusLabel, stillGoing } from '../core/liveness.js';
import type { TaskAttemptKey } from '../core/types.js';
import type { FlowGraph } from '../graph/types.js';
import type { ArtifactStore, MetadataStore, RunRow, TaskRecord, TaskRow } from '../storage/types.js';
import type { RunReporter } from './reporter.js';
import type { CloneCandidate, CloneSource } from './run-execution.js';
import { executeRun, type PrepareInputs, type RunInputs, type RunOptions, type RunResult } from './run.js';
import { placeIndex, rerunSteps, transitionFits } from './resume-plan.js';
import { reuseParameters } from './parameters.js';

export interface ResumeOptions extends RunOptions {
  /** The run to resume; by default the newest run of the flow, whatever its status. */
  originRunId?: string;
  /** Run this step and every step after it again, even where the origin succeeded. */
  step?: string;
  /** Resume an origin that is still recorded as running and not lost (its running tasks may then run twice). */
  force?: boolean;
}

/** How many task records are read at once while gathering the origin's tasks. */
const READ_CONCURRENCY = 64;

/** Resumes a run: the whole of `cairn resume`. */
export function resumeRun(options: ResumeOptions): Promise<RunResult> {
  return executeRun(options, (ctx) => prepareResume(ctx, options));
}

function describeRuns(runs: readonly RunRow[]): string {
  return runs.map((r) => `${r.runId} (${runStatusLabel(r)})`).join(', ');
}

/**
 * Resuming a run that is still going would run its in-flight tasks a second time, next to the
 * origin's own: refused unless the origin finished or was lost, or `force` says to go ahead.
 */
export function checkOriginStopped(origin: RunRow, force: boolean, reporter: RunReporter): void {
  const going = stillGoing(origin);
  if (going === undefined) return;
  if (force) {
    reporter.notice(`${going}; resuming it anyway (--force): tasks it is still running will run a second time, and both runs store their results.`);
    return;
  }
  throw new CairnError(
    'RUN_ACTIVE',
    `${going}: resuming it now would run the tasks it is running a second time. Wait until it ends (or stop it with Ctrl-C where ` +
      'it runs), then resume it; or pass --force to resume it anyway, if you know its orchestrator is gone or accept running those tasks twice.',
  );
}

/** The origin run's row; rejects, naming what was wrong, when there is none to resume. */
export async function findOrigin(metadata: MetadataStore, flow: string, runId: string | undefined, where: string): Promise<RunRow> {
  if (runId === undefined) {
    const [latest] = await metadata.listRuns({ flow, limit: 1 });
    if (!latest) {
      throw new CairnError('NOT_FOUND', `There is no run of ${flow} to resume in the store at ${where}. Run the flow first with \`cairn run\`.`);
    }
    return latest;
  }
  const row = await metadata.getRun(flow, runId);
  if (row) return row;
  for (const other of await metadata.listFlows()) {
    if (other !== flow && (await metadata.getRun(other, runId))) {
      throw new CairnError(
        'NOT_FOUND',
        `Run ${runId} is a run of ${other}, not of ${flow}. Resume it with the flow file that defines ${other}.`,
      );
    }
  }
  const recent = await metadata.listRuns({ flow, limit: 5 });
  throw new CairnError(
    'NOT_FOUND',
    `${flow} has no run ${runId} in the store at ${where}. ` +
      (recent.length ? `Its latest runs are: ${describeRuns(recent)}.` : `The store has no run of ${flow} yet.`),
  );
}

function checkStep(graph: FlowGraph, step: string | undefined): void {
  if (step === undefined || graph.steps.has(step)) return;
  throw new CairnError(
    'INVALID_ARGUMENT',
    `${graph.flowName} has no step ${JSON.stringify(step)} to resume from. Its steps are: ${[...graph.steps.keys()].join(', ')}.`,
  );
}

function attemptKey(task: TaskRow): TaskAttemptKey {
  return { flow: task.flow, runId: task.runId, step: task.step, taskId: task.taskId, attempt: task.doneAttempt ?? 0 };
}

/** The successful origin tasks a resumed run may clone, by place, with their records in memory. */
export class OriginClones implements CloneSource {
  constructor(
    readonly originRunId: string,
    private readonly byPlace: Map<string, CloneCandidate>,
  ) {}

  get size(): number {
    return this.byPlace.size;
  }

  async find(place: string): Promise<CloneCandidate | undefined> {
    const found = this.byPlace.get(place);
    // A place comes up once per run; drop the record so a wide run does not keep them all.
    this.byPlace.delete(place);
    return found;
  }
}

/**
 * Reads the origin's tasks once and the records of those that may be cloned in parallel. Tasks
 * whose step must run again, or whose recorded transition no longer fits the graph, are left out;
 * `notes` explains the latter.
 */
export async function gatherClones(
  ctx: { graph: FlowGraph; artifacts: ArtifactStore; tasks: readonly TaskRow[]; originRunId: string; rerun: ReadonlySet<string> },
): Promise<{ clones: OriginClones; notes: string[] }> {
  const candidates = [...placeIndex(ctx.tasks)].filter(([, t]) => ctx.graph.steps.has(t.step) && !ctx.rerun.has(t.step));
  const records = await mapLimit(candidates, READ_CONCURRENCY, ([, t]) => ctx.artifacts.getTaskRecord(t, t.doneAttempt ?? 0));
  const byPlace = new Map<string, CloneCandidate>();
  const changed = new Map<string, string>();
  let missing = 0;
  candidates.forEach(([place, task], i) => {
    const record = records[i];
    if (!record) {
      missing++;
      return;
    }
    if (!transitionFits(ctx.graph.steps.get(task.step)!, record)) {
      if (!changed.has(task.step)) changed.set(task.step, describeNext(record));
      return;
    }
    byPlace.set(place, { key: attemptKey(task), record });
  });
  const notes: string[] = [];
  for (const [step, went] of changed) {
    notes.push(`Step ${step} went to ${went} in the origin run, which the flow no longer does: its tasks and the ones after them run again.`);
  }
  if (missing) notes.push(`${missing} successful task(s) of the origin run have no stored artifact record: they run again.`);
  return { clones: new OriginClones(ctx.originRunId, byPlace), notes };
}

function describeNext(record: TaskRecord): string {
  const next = record.next?.join(', ') || 'nowhere';
  return record.foreach ? `${next} (foreach over '${record.foreach.var}')` : next;
}

async function prepareResume(
  { loaded, artifacts, metadata, reporter }: Parameters<PrepareInputs>[0],
  options: ResumeOptions,
): Promise<RunInputs> {
  const { graph } = loaded;
  const flow = loaded.flowClass.name;
  checkStep(graph, options.step);
  const origin = await findOrigin(metadata, flow, options.originRunId, artifacts.location);
  checkOriginStopped(origin, options.force === true, reporter);
  const rerun = rerunSteps(graph, options.step);
  announce(reporter, origin, options.originRunId === undefined, rerun);
  const [tasks, parameters] = await Promise.all([
    metadata.listTasks(flow, origin.runId),
    reuseParameters({ loaded, artifacts, metadata }, origin.runId),
  ]);
  const { clones, notes } = await gatherClones({ graph, artifacts, tasks, originRunId: origin.runId, rerun: new Set(rerun) });
  for (const note of notes) reporter.notice(note);
  reporter.notice(`Cloning ${flow}/${origin.runId}`);
  return { parameters, clones };
}

function announce(reporter: RunReporter, origin: RunRow, latest: boolean, rerun: readonly string[]): void {
  const which = latest ? `, the latest run of ${origin.flow} (pass --origin-run-id to pick another)` : '';
  reporter.notice(`Resuming run ${origin.flow}/${origin.runId} (${runStatusLabel(origin)})${which}.`);
  if (rerun.length) {
    reporter.notice(`Steps that run again: ${rerun.join(', ')}; the successful tasks of the other steps are cloned.`);
  }
  reporter.notice('Gathering required information to resume run...');
}
