/** `Step`: one step of a run and its tasks. */
import { NotFoundError } from '../errors.js';
import { isLost } from '../core/liveness.js';
import type { AttemptRow, RunRow, StepRow, TaskRow } from '../storage/types.js';
import { clientContext, storeCall, type ClientContext } from './context.js';
import { compareTaskIds, loadRun, loadStep, loadTaskState, tagSetOf, taskStateOf, toDate } from './lookup.js';
import { getNamespace } from './namespace.js';
import { parsePathspec } from './pathspec.js';
import { Task } from './task.js';

/**
 * One step of a run and its tasks (one, or one per foreach element).
 *
 * @example
 * ```ts
 * const step = await run.step('train');
 * for (const task of await step.tasks()) console.log(task.id, await task.data.score);
 * ```
 */
export class Step<F = unknown> {
  /** The step name. */
  readonly id: string;
  /** `Flow/run/step`. */
  readonly pathspec: string;
  readonly flowName: string;
  readonly runId: string;
  readonly createdAt: Date;
  /** When the step's last task finished; undefined while it has unfinished tasks (also in a lost run). */
  readonly finishedAt: Date | undefined;
  readonly finished: boolean;
  /** How many tasks the step has (a foreach step has one per element). */
  readonly taskCount: number;
  readonly tags: readonly string[];
  readonly userTags: readonly string[];
  readonly systemTags: readonly string[];
  readonly #ctx: ClientContext;
  readonly #run: RunRow;

  /** Built by `Run` and `Step.get()`; not meant to be called directly. */
  constructor(ctx: ClientContext, run: RunRow, row: StepRow) {
    this.#ctx = ctx;
    this.#run = run;
    this.id = row.step;
    this.pathspec = `${row.flow}/${row.runId}/${row.step}`;
    this.flowName = row.flow;
    this.runId = row.runId;
    this.createdAt = toDate(row.createdAt);
    this.finishedAt = toDate(row.finishedAt);
    // A step of a lost run will not go on: its unfinished tasks failed with the run.
    this.finished = row.finishedAt !== null || isLost(run);
    this.taskCount = row.taskCount;
    const tags = tagSetOf(run);
    this.tags = tags.tags;
    this.userTags = tags.userTags;
    this.systemTags = tags.systemTags;
  }

  /** `Step.get('Flow/run/step')`. */
  static async get<F = unknown>(pathspec: string): Promise<Step<F>> {
    const [flow, runId, step] = parsePathspec('Step', pathspec) as [string, string, string];
    const ctx = await clientContext();
    const run = await loadRun(ctx, flow, runId, getNamespace());
    const row = await loadStep(ctx, run, step);
    return new Step<F>(ctx, run, row);
  }

  /** Every task of the step, ordered by task id. */
  async tasks(): Promise<Task<F>[]> {
    const [rows, attempts] = await Promise.all([
      this.#taskRows(),
      storeCall(`the attempts of ${this.pathspec}`, () => this.#ctx.metadata.listStepAttempts(this.flowName, this.runId, this.id)),
    ]);
    // One read for the attempts of every task (a 10,000-way foreach is one query, not 10,000).
    const byTask = new Map<string, AttemptRow[]>();
    for (const a of attempts) {
      const list = byTask.get(a.taskId);
      if (list) list.push(a);
      else byTask.set(a.taskId, [a]);
    }
    return rows.map((row) => new Task<F>(this.#ctx, taskStateOf(this.#run, row, byTask.get(row.taskId) ?? [])));
  }

  /** The step's task: the only one for a step outside a foreach, else the first by task id. */
  async task(): Promise<Task<F>> {
    const [first] = await this.#taskRows();
    if (!first) throw new NotFoundError(`Step '${this.pathspec}' has no task yet.`);
    return this.#task(first);
  }

  toString(): string {
    return `Step('${this.pathspec}')`;
  }

  async #taskRows(): Promise<TaskRow[]> {
    const rows = await storeCall(`the tasks of ${this.pathspec}`, () =>
      this.#ctx.metadata.listTasks(this.flowName, this.runId, this.id),
    );
    return [...rows].sort((a, b) => compareTaskIds(a.taskId, b.taskId));
  }

  async #task(row: TaskRow): Promise<Task<F>> {
    return new Task<F>(this.#ctx, await loadTaskState(this.#ctx, this.#run, row));
  }
}
