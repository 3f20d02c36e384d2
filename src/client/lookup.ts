/**
 * Loading rows for client objects, with the checks every `get` shares: existence (NotFoundError)
 * and the namespace of the run (NamespaceMismatchError). Run, step, task and artifact objects are
 * built from what these return, so those modules do not need each other to resolve a pathspec.
 */
import { CairnError, NamespaceMismatchError, NotFoundError } from '../errors.js';
import type { TaskKey } from '../core/types.js';
import type { AttemptRow, RunRow, StepRow, TaskRecord, TaskRow } from '../storage/types.js';
import { storeCall, type ClientContext } from './context.js';
import { mismatchMessage } from './namespace.js';

/** Tags every object of a run carries: the run's user and system tags. */
export interface TagSet {
  readonly tags: readonly string[];
  readonly userTags: readonly string[];
  readonly systemTags: readonly string[];
}

// Frozen, so the steps and tasks of one run row share one (a 10,000-way foreach builds it once).
const tagSets = new WeakMap<object, TagSet>();

export function tagSetOf(run: Pick<RunRow, 'userTags' | 'systemTags'>): TagSet {
  const known = tagSets.get(run);
  if (known) return known;
  const userTags = Object.freeze([...run.userTags]);
  const systemTags = Object.freeze([...run.systemTags]);
  const tags = Object.freeze([...new Set([...systemTags, ...userTags])].sort());
  const set = Object.freeze({ tags, userTags, systemTags });
  tagSets.set(run, set);
  return set;
}

export function runHasTag(run: Pick<RunRow, 'userTags' | 'systemTags'>, tag: string): boolean {
  return run.systemTags.includes(tag) || run.userTags.includes(tag);
}

export function toDate(ms: number): Date;
export function toDate(ms: number | null): Date | undefined;
export function toDate(ms: number | null): Date | undefined {
  return ms === null ? undefined : new Date(ms);
}

/** Rejects when the flow has no run at all, or none in namespace `ns` (null: every namespace). */
export async function checkFlowVisible(ctx: ClientContext, flow: string, ns: string | null): Promise<void> {
  if (ns !== null) {
    const inNs = await storeCall(`the runs of ${flow}`, () => ctx.metadata.listRuns({ flow, tags: [ns], limit: 1 }));
    if (inNs.length > 0) return;
  }
  const any = await storeCall(`the runs of ${flow}`, () => ctx.metadata.listRuns({ flow, limit: 1 }));
  if (any.length === 0) {
    throw new NotFoundError(`Flow '${flow}' was not found: the store has no run of it.`);
  }
  if (ns !== null) {
    throw new NamespaceMismatchError(
      mismatchMessage(`Flow '${flow}' has no run in the current namespace '${ns}'`, any[0]?.user),
    );
  }
}

/** The run's row, if it exists and is in namespace `ns`. */
export async function loadRun(ctx: ClientContext, flow: string, runId: string, ns: string | null): Promise<RunRow> {
  const row = await storeCall(`run ${flow}/${runId}`, () => ctx.metadata.getRun(flow, runId));
  if (!row) {
    const any = await storeCall(`the runs of ${flow}`, () => ctx.metadata.listRuns({ flow, limit: 1 }));
    if (any.length === 0) throw new NotFoundError(`Flow '${flow}' was not found: the store has no run of it.`);
    throw new NotFoundError(`Run '${flow}/${runId}' was not found.`);
  }
  if (ns !== null && !runHasTag(row, ns)) {
    throw new NamespaceMismatchError(
      mismatchMessage(`Run '${flow}/${runId}' is not in the current namespace '${ns}'`, row.user),
    );
  }
  return row;
}

export async function loadStep(ctx: ClientContext, run: RunRow, step: string): Promise<StepRow> {
  const rows = await storeCall(`the steps of ${run.flow}/${run.runId}`, () => ctx.metadata.listSteps(run.flow, run.runId));
  const row = rows.find((s) => s.step === step);
  if (!row) throw new NotFoundError(`Step '${run.flow}/${run.runId}/${step}' was not found.`);
  return row;
}

export async function loadTaskRow(ctx: ClientContext, run: RunRow, step: string, taskId: string): Promise<TaskRow> {
  const key: TaskKey = { flow: run.flow, runId: run.runId, step, taskId };
  const row = await storeCall(`task ${pathOf(key)}`, () => ctx.metadata.getTask(key));
  if (!row) {
    const steps = await storeCall(`the steps of ${run.flow}/${run.runId}`, () => ctx.metadata.listSteps(run.flow, run.runId));
    if (!steps.some((s) => s.step === step)) {
      throw new NotFoundError(`Step '${run.flow}/${run.runId}/${step}' was not found.`);
    }
    throw new NotFoundError(`Task '${pathOf(key)}' was not found.`);
  }
  return row;
}

/** A task as the client shows it: one of its attempts, and whether that attempt's artifacts count. */
export interface TaskState {
  readonly run: RunRow;
  readonly task: TaskRow;
  /** The attempt shown. */
  readonly attempt: number;
  /** Its row; undefined for a task that has not started an attempt yet. */
  readonly attemptRow: AttemptRow | undefined;
  /** Whether the attempt was asked for explicitly (`Task.get(ps, { attempt })`). */
  readonly explicit: boolean;
  /** Only a successful attempt's artifacts are visible. */
  readonly artifactsVisible: boolean;
}

/**
 * Which attempt a task shows: `attempt` if given, else the latest successful attempt
 * (`doneAttempt`), else the latest attempt started.
 */
export async function loadTaskState(
  ctx: ClientContext,
  run: RunRow,
  task: TaskRow,
  attempt?: number,
): Promise<TaskState> {
  const attempts = await storeCall(`the attempts of ${pathOf(task)}`, () => ctx.metadata.listAttempts(task));
  return taskStateOf(run, task, attempts, attempt);
}

export function taskStateOf(run: RunRow, task: TaskRow, attempts: readonly AttemptRow[], attempt?: number): TaskState {
  if (attempt !== undefined) {
    if (!Number.isInteger(attempt) || attempt < 0) {
      throw new CairnError('INVALID_ARGUMENT', `attempt must be a whole number from 0 up, got ${String(attempt)}.`);
    }
    const row = attempts.find((a) => a.attempt === attempt);
    if (!row) {
      const known = attempts.map((a) => a.attempt).join(', ') || 'none';
      throw new NotFoundError(`Attempt ${attempt} of task '${pathOf(task)}' was not found (attempts: ${known}).`);
    }
    return { run, task, attempt, attemptRow: row, explicit: true, artifactsVisible: row.status === 'succeeded' };
  }
  const shown = task.doneAttempt ?? task.attempt;
  const row = attempts.find((a) => a.attempt === shown);
  return {
    run,
    task,
    attempt: shown,
    attemptRow: row,
    explicit: false,
    artifactsVisible: task.doneAttempt !== null,
  };
}

/**
 * The record of the shown attempt; an empty record when its artifacts are not visible. A successful
 * attempt always has a record, so a missing one means the artifact store is not the one the run
 * wrote to (or the record was deleted): that is an error naming both stores, never "no artifacts".
 */
export async function loadRecord(ctx: ClientContext, state: TaskState): Promise<TaskRecord> {
  if (!state.artifactsVisible) return { version: 1, artifacts: {} };
  const record = await storeCall(`the artifacts of ${pathOf(state.task)}`, () =>
    ctx.artifacts.getTaskRecord(state.task, state.attempt),
  );
  if (!record) throw missingFromStore(ctx, `the record of task '${pathOf(state.task)}' (attempt ${state.attempt}), which succeeded`);
  return record;
}

/**
 * What the metadata says was stored is not in the artifact store: the two stores do not belong
 * together (or the artifact store lost data).
 */
export function missingFromStore(ctx: ClientContext, what: string): CairnError {
  return new CairnError(
    'STORE',
    `The metadata store (${ctx.metadata.kind} ${ctx.metadata.location}) records ${what}, but the artifact store ` +
      `(${ctx.artifacts.kind} ${ctx.artifacts.location}) does not have it. Point cairn at the artifact store the run ` +
      'wrote to (CAIRN_DATASTORE_ROOT, CAIRN_DATASTORE, or the config file; see docs/scale-out.md); if this is that ' +
      'store, the data was deleted from it.',
  );
}

/** Why a task's artifacts cannot be read, for NotFoundError messages. */
export function invisibleReason(state: TaskState): string {
  const ps = pathOf(state.task);
  if (state.explicit) return `attempt ${state.attempt} of task '${ps}' did not succeed, so its artifacts are not visible`;
  if (state.task.status === 'failed') return `task '${ps}' failed, so it has no artifacts`;
  return `task '${ps}' has not finished successfully yet, so it has no artifacts`;
}

export function pathOf(k: TaskKey): string {
  return `${k.flow}/${k.runId}/${k.step}/${k.taskId}`;
}

/** Orders task ids numerically when both are numbers, else as text. */
export function compareTaskIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}
