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

export class RunReader {
  /** Steps whose every task finished, in a run that is over or whose step is done: they stay as they are. */
  readonly #final = new Map<string, StepSummary>();
  /** Foreach lists by content hash, as labels (undefined when they could not be read). */
  readonly #labels = new Map<string, Promise<string[] | undefined>>();

  constructor(readonly flow: string, readonly runId: string) {}

  async read(): Promise<RunResponse> {
    const run = await Run.get(`${this.flow}/${this.runId}`);
    const [steps, graph] = await Promise.all([run.steps(), run.graph().catch(() => undefined)]);
    const summaries = await mapLimit(steps, 8, async (step) => {
      const kept = this.#final.get(step.id);
      if (kept && kept.taskCount === step.taskCount) return kept;
      const summary = await this.#stepSummary(run, step);
      if (step.finished && summary.state !== 'running') this.#final.set(step.id, summary);
      return summary;
    });
    summaries.sort((a, b) => a.createdAt - b.createdAt);
    const running = summaries.filter((s) => s.state === 'running').map((s) => s.name);
    return { run: runSummary(run), graph: graph ?? null, steps: summaries, currentSteps: run.status === 'running' ? running : [] };
  }

  async #stepSummary(run: Run, step: Step): Promise<StepSummary> {
    const tasks = await step.tasks();
    const summaries = await mapLimit(tasks, 64, async (t) => taskSummary(t, await this.#label(run, t.foreachStack.at(-1))));
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

  /** The label of a foreach task: its element of the list the split iterated over. */
  async #label(run: Run, frame: ForeachFrame | undefined): Promise<string | undefined> {
    if (!frame || frame.numSplits > MAX_LABELLED_SPLITS) return undefined;
    let labels = this.#labels.get(frame.listSha);
    if (!labels) {
      labels = this.#readLabels(run, frame);
      this.#labels.set(frame.listSha, labels);
    }
    return (await labels)?.[frame.index];
  }

  /** The split task whose artifact `var` is the list (by its hash), decoded once, as labels. */
  async #readLabels(run: Run, frame: ForeachFrame): Promise<string[] | undefined> {
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
}

export function runJson(flow: string, runId: string): Promise<RunResponse> {
  return new RunReader(flow, runId).read();
}
