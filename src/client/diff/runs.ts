/**
 * `diffRuns`: how two runs differ, read through the client. Parameters are compared by the content
 * hash of their stored values; steps by name; tasks by their place in the run (step, foreach
 * indices, loop iteration: as resume matches them); artifacts by content hash, with a detail of
 * how the values differ for changed ones that are small enough to load.
 */
import { CairnError } from '../../errors.js';
import { PARAMETERS_STEP } from '../../core/types.js';
import { describePlace, placesOf } from '../../core/place.js';
import { mapLimit } from '../../core/map-limit.js';
import type { DataArtifact } from '../artifact.js';
import { Run } from '../run.js';
import type { Step } from '../step.js';
import type { Task } from '../task.js';
import type { ArtifactDiff, DiffOptions, DiffStatus, ParameterDiff, RunDiff, StepDiff, TaskDiff, DiffTaskState } from './types.js';
import { DEFAULT_VALUE_DIFF_LIMITS, diffPreviews, diffValues, type ValueDiffLimits } from './values.js';

const DEFAULT_MAX_LOAD_BYTES = 16 * 1024 * 1024;
/** Tasks read at once, and changed artifacts loaded at once (each loads two values). */
const TASK_CONCURRENCY = 16;
const DETAIL_CONCURRENCY = 4;

/**
 * Compares two runs (or the runs two pathspecs name, in the current namespace): parameters, and
 * for each step its tasks, matched by place, and their artifacts.
 *
 * @example
 * const d = await diffRuns('TrainFlow/1795746083754893', 'TrainFlow/1795746099012345');
 * for (const s of d.steps) for (const t of s.tasks) for (const a of t.artifacts)
 *   if (a.status !== 'same') console.log(s.step, t.place, a.name, a.status, a.detail?.kind);
 */
export async function diffRuns(a: Run | string, b: Run | string, options: DiffOptions = {}): Promise<RunDiff> {
  checkOptions(options);
  const [ra, rb] = await Promise.all([asRun(a, 'first'), asRun(b, 'second')]);
  const [pa, pb] = await Promise.all([parameterShas(ra), parameterShas(rb)]);
  const parameters = diffParameters(ra, rb, pa, pb);
  const paramNames = new Set([...Object.keys(ra.parameters), ...Object.keys(rb.parameters)]);
  const [stepsA, stepsB] = await Promise.all([stepsByName(ra), stepsByName(rb)]);
  let names = unionKeys([...stepsA.keys()], [...stepsB.keys()]);
  if (options.step !== undefined) {
    if (!names.includes(options.step)) {
      const has = (m: Map<string, Step>) => [...m.keys()].join(', ') || 'no steps';
      throw new CairnError(
        'INVALID_ARGUMENT',
        `Neither run has a step '${options.step}': ${ra.pathspec} has ${has(stepsA)}; ${rb.pathspec} has ${has(stepsB)}.`,
      );
    }
    names = [options.step];
  }
  const ctx: Ctx = {
    paramNames,
    private: options.private === true,
    details: options.details !== false,
    maxLoadBytes: options.maxLoadBytes ?? DEFAULT_MAX_LOAD_BYTES,
    limits: { ...DEFAULT_VALUE_DIFF_LIMITS, ...(options.maxChanges !== undefined ? { maxChanges: options.maxChanges } : {}) },
    pending: [],
  };
  const steps: StepDiff[] = [];
  for (const name of names) steps.push(await diffStep(name, stepsA.get(name), stepsB.get(name), ctx));
  await mapLimit(ctx.pending, DETAIL_CONCURRENCY, (p) => addDetail(p, ctx));
  const equal = parameters.every((p) => p.status === 'same') && steps.every((s) => s.status === 'same');
  return { a: ra.pathspec, b: rb.pathspec, equal, parameters, steps };
}

interface PendingDetail {
  diff: ArtifactDiff;
  a: DataArtifact;
  b: DataArtifact;
}

interface Ctx {
  paramNames: Set<string>;
  private: boolean;
  details: boolean;
  maxLoadBytes: number;
  limits: ValueDiffLimits;
  /** Changed artifacts whose detail is computed once every step is listed. */
  pending: PendingDetail[];
}

function checkOptions(o: DiffOptions): void {
  const whole = (name: string, v: number | undefined, min: number) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) {
      throw new CairnError('INVALID_ARGUMENT', `diffRuns(): ${name} must be a whole number of at least ${min}; got ${String(v)}.`);
    }
  };
  whole('maxLoadBytes', o.maxLoadBytes, 0);
  whole('maxChanges', o.maxChanges, 1);
  if (o.step !== undefined && (typeof o.step !== 'string' || o.step === '')) {
    throw new CairnError('INVALID_ARGUMENT', `diffRuns(): step must be a step name; got ${JSON.stringify(o.step)}.`);
  }
}

async function asRun(r: Run | string, which: string): Promise<Run> {
  if (r instanceof Run) return r;
  if (typeof r === 'string') return Run.get(r);
  throw new CairnError('INVALID_ARGUMENT', `diffRuns(): the ${which} run must be a Run or a pathspec 'Flow/runId'; got ${String(r)}.`);
}

/** The content hash of each stored parameter value (empty for a run without a parameters record). */
async function parameterShas(run: Run): Promise<Map<string, string>> {
  const steps = await run.step(PARAMETERS_STEP).catch(() => undefined);
  if (!steps) return new Map();
  const task = await steps.task().catch(() => undefined);
  if (!task?.successful) return new Map();
  return new Map((await task.artifacts({ private: true })).map((x) => [x.name, x.sha]));
}

function diffParameters(a: Run, b: Run, shasA: Map<string, string>, shasB: Map<string, string>): ParameterDiff[] {
  return unionKeys(Object.keys(a.parameters), Object.keys(b.parameters)).map((name) => {
    const inA = Object.hasOwn(a.parameters, name);
    const inB = Object.hasOwn(b.parameters, name);
    const va = a.parameters[name];
    const vb = b.parameters[name];
    let status: DiffStatus;
    if (!inA) status = 'added';
    else if (!inB) status = 'removed';
    else {
      const sa = shasA.get(name);
      const sb = shasB.get(name);
      // The stored values decide (an IncludeFile shows its path but stores the file's content).
      const same = sa !== undefined && sb !== undefined ? sa === sb : JSON.stringify(va) === JSON.stringify(vb);
      status = same ? 'same' : 'changed';
    }
    return { name, status, ...(inA ? { a: va } : {}), ...(inB ? { b: vb } : {}) };
  });
}

/** The run's steps (hidden ones left out) in the order they started. */
async function stepsByName(run: Run): Promise<Map<string, Step>> {
  const steps = (await run.steps()).reverse();
  return new Map(steps.map((s) => [s.id, s]));
}

function unionKeys<K>(a: readonly K[], b: readonly K[]): K[] {
  const inA = new Set(a);
  return [...a, ...b.filter((k) => !inA.has(k))];
}

function span(from: Date | undefined, to: Date | undefined): number | undefined {
  return from && to ? to.getTime() - from.getTime() : undefined;
}

interface Placed {
  task: Task;
  place: string;
  iteration: number;
}

async function placedTasks(step: Step | undefined): Promise<Map<string, Placed>> {
  if (!step) return new Map();
  const tasks = await step.tasks();
  return new Map(placesOf(tasks.map((t) => ({ step: t.stepName, foreachStack: t.foreachStack, t }))).map((p) => [p.place, { task: p.task.t, place: p.place, iteration: p.iteration }]));
}

async function diffStep(name: string, a: Step | undefined, b: Step | undefined, ctx: Ctx): Promise<StepDiff> {
  const [ta, tb] = await Promise.all([placedTasks(a), placedTasks(b)]);
  const places = unionKeys([...ta.keys()], [...tb.keys()]);
  const tasks = await mapLimit(places, TASK_CONCURRENCY, (place) => diffTask(ta.get(place), tb.get(place), ctx));
  const status: DiffStatus = !a ? 'added' : !b ? 'removed' : tasks.every((t) => t.status === 'same') ? 'same' : 'changed';
  const durationMs = { ...opt('a', a && span(a.createdAt, a.finishedAt)), ...opt('b', b && span(b.createdAt, b.finishedAt)) };
  return { step: name, status, durationMs, tasks };
}

function opt<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}

function stateOf(t: Task): DiffTaskState {
  if (t.successful) return 'succeeded';
  return t.finished ? 'failed' : 'running';
}

async function visibleArtifacts(t: Task | undefined, ctx: Ctx): Promise<Map<string, DataArtifact>> {
  if (!t?.successful) return new Map();
  const list = await t.artifacts({ private: ctx.private });
  return new Map(list.filter((x) => !ctx.paramNames.has(x.name)).map((x) => [x.name, x]));
}

async function diffTask(pa: Placed | undefined, pb: Placed | undefined, ctx: Ctx): Promise<TaskDiff> {
  const any = (pa ?? pb)!;
  const ta = pa?.task;
  const tb = pb?.task;
  const [aa, ab] = await Promise.all([visibleArtifacts(ta, ctx), visibleArtifacts(tb, ctx)]);
  const names = unionKeys([...aa.keys()], [...ab.keys()]).sort();
  const artifacts = names.map((name) => diffArtifact(name, aa.get(name), ab.get(name), ctx));
  const stateA = ta && stateOf(ta);
  const stateB = tb && stateOf(tb);
  const status: DiffStatus = !ta ? 'added' : !tb ? 'removed' : stateA === stateB && artifacts.every((x) => x.status === 'same') ? 'same' : 'changed';
  return {
    place: describePlace(any.task.foreachStack, any.iteration),
    indices: any.task.foreachStack.map((f) => f.index),
    iteration: any.iteration,
    status,
    task: { ...opt('a', ta?.pathspec), ...opt('b', tb?.pathspec) },
    state: { ...opt('a', stateA), ...opt('b', stateB) },
    durationMs: { ...opt('a', ta && span(ta.createdAt, ta.finishedAt)), ...opt('b', tb && span(tb.createdAt, tb.finishedAt)) },
    artifacts,
  };
}

function side(x: DataArtifact): { sha: string; size: number; type: string } {
  return { sha: x.sha, size: x.size, type: x.type };
}

function diffArtifact(name: string, a: DataArtifact | undefined, b: DataArtifact | undefined, ctx: Ctx): ArtifactDiff {
  if (!a) return { name, status: 'added', b: side(b!) };
  if (!b) return { name, status: 'removed', a: side(a) };
  if (a.sha === b.sha) return { name, status: 'same', a: side(a), b: side(b) };
  const diff: ArtifactDiff = { name, status: 'changed', a: side(a), b: side(b) };
  if (ctx.details) ctx.pending.push({ diff, a, b });
  return diff;
}

/** Fills in how two changed values differ: from the values when they are small, else from their previews. */
async function addDetail(p: PendingDetail, ctx: Ctx): Promise<void> {
  const { diff, a, b } = p;
  try {
    if (a.size <= ctx.maxLoadBytes && b.size <= ctx.maxLoadBytes) {
      const detail = diffValues(await a.data(), await b.data(), ctx.limits);
      if (detail) {
        diff.detail = detail;
        return;
      }
    }
    const [va, vb] = await Promise.all([a.preview(), b.preview()]);
    const detail = diffPreviews(va, vb);
    if (detail) diff.detail = detail;
    else if (va.kind === 'unavailable' || vb.kind === 'unavailable') {
      diff.note = `not compared: ${va.kind === 'unavailable' ? va.reason : (vb as { reason: string }).reason}`;
    } else diff.note = `not compared in detail: ${a.type} and ${b.type} values are compared by content hash only`;
  } catch (e) {
    diff.note = `not compared: ${(e as Error).message ?? String(e)}`;
  }
}
