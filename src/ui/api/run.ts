/**
 * The run page: `/api/flows/F/runs/R`, the run, its graph, its steps and their tasks, each foreach
 * task labelled with its input value. A `RunReader` keeps what cannot change any more (finished
 * steps, decoded foreach lists) between reads, so that the live channel can read a run again cheaply.
 */
import { Run, type Step, type Task } from '../../client/index.js';
import { mapLimit } from '../../core/map-limit.js';
import type { ForeachFrame } from '../../core/types.js';
import { runSummary } from './summaries.js';
import type { RunResponse, StepSummary, TaskSummary } from './types.js';

/** Characters of a foreach input value shown as a task's label. */
const VALUE_CHARS = 48;
/** Foreach lists longer than this are not decoded for labels (the index is shown alone). */
const MAX_LABELLED_SPLITS = 200_000;

/** A value as a short label: strings as they are, other values as JSON, cut at VALUE_CHARS. */
export function valueLabel(v: unknown): string {
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'bigint') s = `${v}n`;
  else if (v === undefined) s = 'undefined';
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = Object.prototype.toString.call(v);
    }
  }
  return s.length > VALUE_CHARS ? `${s.slice(0, VALUE_CHARS - 1)}…` : s;
}

export function taskSummary(t: Task, value?: string): TaskSummary {
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
    foreach: frame ? { index: frame.index, numSplits: frame.numSplits, var: frame.var, ...(value !== undefined ? { value } : {}) } : null,
    exception: t.exception ? { type: t.exception.type, message: t.exception.message } : null,
  };
}

/**
 * What the server keeps between requests, bounded: steps whose every task finished (they do not
 * change any more), and foreach lists decoded as labels. Evicts the least recently used first.
 */
class Kept<V> {
  readonly #map = new Map<string, { value: V; weight: number }>();
  #weight = 0;

  constructor(private readonly budget: number) {}

  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    this.#map.delete(key);
    this.#map.set(key, hit);
    return hit.value;
  }

  set(key: string, value: V, weight: number): void {
    this.delete(key);
    if (weight > this.budget) return;
    this.#map.set(key, { value, weight });
    this.#weight += weight;
    for (const [k, v] of this.#map) {
      if (this.#weight <= this.budget) break;
      this.#map.delete(k);
      this.#weight -= v.weight;
    }
  }

  delete(key: string): void {
    const hit = this.#map.get(key);
    if (!hit) return;
    this.#map.delete(key);
    this.#weight -= hit.weight;
  }
}

/** Finished steps, weighed by their tasks: about 40 MB at most. */
const finishedSteps = new Kept<StepSummary>(120_000);
/** Foreach lists as labels, weighed by their elements (a list that failed to read weighs 1). */
const foreachLabels = new Kept<Promise<string[] | undefined>>(400_000);

export class RunReader {

  constructor(readonly flow: string, readonly runId: string) {}

  async read(): Promise<RunResponse> {
    const run = await Run.get(`${this.flow}/${this.runId}`);
    const [steps, graph] = await Promise.all([run.steps(), run.graph().catch(() => undefined)]);
    const summaries = await mapLimit(steps, 8, async (step) => {
      const key = `${step.pathspec}:${step.taskCount}`;
      const kept = finishedSteps.get(key);
      if (kept) return kept;
      const summary = await this.#stepSummary(run, step);
      // Every task of the step is recorded as finished: it stays as it is (a new task makes a new key).
      if (step.finishedAt !== undefined && summary.state !== 'running') finishedSteps.set(key, summary, summary.tasks.length);
      return summary;
    });
    summaries.sort((a, b) => a.createdAt - b.createdAt);
    const running = summaries.filter((s) => s.state === 'running').map((s) => s.name);
    return { run: runSummary(run), graph: graph ?? null, steps: summaries, currentSteps: run.status === 'running' ? running : [] };
  }

  async #stepSummary(run: Run, step: Step): Promise<StepSummary> {
    const tasks = await step.tasks();
    // The foreach lists these tasks come from (usually one), read before the tasks are summed up.
    const lists = new Map<string, ForeachFrame>();
    for (const t of tasks) {
      const frame = t.foreachStack.at(-1);
      if (frame && !lists.has(frame.listSha)) lists.set(frame.listSha, frame);
    }
    const labels = new Map(await Promise.all([...lists].map(async ([sha, frame]) => [sha, await foreachLabelsOf(run, frame)] as const)));
    const summaries = tasks.map((t) => {
      const frame = t.foreachStack.at(-1);
      return taskSummary(t, frame ? labels.get(frame.listSha)?.[frame.index] : undefined);
    });
    // A task tried more than once (rare) gets its attempts, one read each.
    await mapLimit(
      tasks.map((t, i) => [t, summaries[i]!] as const).filter(([t]) => t.retryCount > 0),
      8,
      async ([t, summary]) => {
        summary.attempts = (await t.attempts()).map((a) => ({
          attempt: a.retryCount,
          startedAt: a.startedAt?.getTime() ?? null,
          finishedAt: a.finishedAt?.getTime() ?? null,
          status: a.lost ? 'failed' : a.finished ? (a.successful ? 'succeeded' : 'failed') : 'running',
        }));
      },
    );
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
}

/** The labels of the tasks of a foreach: the elements of the list the split iterated over. */
function foreachLabelsOf(run: Run, frame: ForeachFrame): Promise<string[] | undefined> {
  if (frame.numSplits > MAX_LABELLED_SPLITS) return Promise.resolve(undefined);
  let labels = foreachLabels.get(frame.listSha);
  if (!labels) {
    labels = readLabels(run, frame);
    foreachLabels.set(frame.listSha, labels, frame.numSplits);
  }
  return labels;
}

/** The split task whose artifact `var` is the list (by its hash), decoded once, as labels. */
async function readLabels(run: Run, frame: ForeachFrame): Promise<string[] | undefined> {
  try {
    const split = await run.step(frame.step);
    for (const t of await split.tasks()) {
      if (!t.successful) continue;
      const artifact = await t.artifact(frame.var).catch(() => undefined);
      if (!artifact || artifact.sha !== frame.listSha) continue;
      const list = await artifact.data();
      if (list === null || typeof list !== 'object' || !(Symbol.iterator in list)) return undefined;
      return Array.from(list as Iterable<unknown>, valueLabel);
    }
  } catch {
    // A list that cannot be read leaves the tasks labelled by their index alone.
  }
  return undefined;
}

/** A foreach task's input value as a label (as the run page's task list shows it); undefined for another task or a list that cannot be read. */
export async function foreachValueLabel(run: Run, task: Task): Promise<string | undefined> {
  const frame = task.foreachStack.at(-1);
  return frame ? (await foreachLabelsOf(run, frame))?.[frame.index] : undefined;
}

/** The JSON of kept (finished) steps, made once: a 10,000-task step is 2.5 MB of text. */
const stepTexts = new WeakMap<StepSummary, string>();

/** A run page's answer as JSON text, reusing the text of steps already sent. */
export function runResponseText(r: RunResponse): string {
  const steps = r.steps.map((s) => {
    let text = stepTexts.get(s);
    if (text === undefined) {
      text = JSON.stringify(s);
      if (s.finishedAt !== null && s.state !== 'running') stepTexts.set(s, text);
    }
    return text;
  });
  return `{"run":${JSON.stringify(r.run)},"graph":${JSON.stringify(r.graph)},"steps":[${steps.join(',')}],"currentSteps":${JSON.stringify(r.currentSteps)}}`;
}

export async function runJson(flow: string, runId: string): Promise<string> {
  return runResponseText(await new RunReader(flow, runId).read());
}
