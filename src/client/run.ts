/** `Run`: one run of a flow, its steps, its end task's data, and its mutable user tags. */
import { NotFoundError } from '../errors.js';
import { PARAMETERS_STEP, PARAMETERS_TASK_ID } from '../core/types.js';
import { parseRunGraph, type RunGraph } from '../core/run-graph.js';
import { isLost } from '../core/liveness.js';
import type { RunRow, RunStatus, TaskRow } from '../storage/types.js';
import { clientContext, contextFor, storeCall, type ClientContext } from './context.js';
import type { StoreConfig } from '../storage/config.js';
import { dataView, type DataOf } from './data.js';
import { loadRun, loadStep, loadTaskState, compareTaskIds, tagSetOf, toDate, type TagSet } from './lookup.js';
import { getNamespace } from './namespace.js';
import { parsePathspec } from './pathspec.js';
import { Step } from './step.js';
import { applyTagChange, validateTags, type TagChange } from '../core/tags.js';
import { Task } from './task.js';

/**
 * One run of a flow: its status (`failed` also for a lost run), parameters, tags, steps and, through
 * `data`, the artifacts of its `end` task.
 *
 * @example
 * ```ts
 * import { Run } from 'cairnflow';
 * const run = await Run.get('TrainFlow/1764151200001234');
 * if (run.successful) console.log(await run.data.model);
 * for (const step of await run.steps()) console.log(step.name);
 * ```
 */
export class Run<F = unknown> {
  /** The run id. */
  readonly id: string;
  /** `Flow/run`. */
  readonly pathspec: string;
  readonly flowName: string;
  /** Who started the run. */
  readonly user: string;
  readonly createdAt: Date;
  /** Undefined while the run is running; for a lost run, its last heartbeat. */
  readonly finishedAt: Date | undefined;
  /** `running`, `succeeded` or `failed`; a lost run is `failed` (see `lost`). */
  readonly status: RunStatus;
  /** The run succeeded. */
  readonly successful: boolean;
  /** The run is no longer running (it succeeded or failed, lost included). */
  readonly finished: boolean;
  /**
   * The run is recorded as running, but its orchestrator stopped recording heartbeats (it was
   * killed, ran out of memory, or its machine stopped): it reads as failed. Judged when the object
   * is loaded; load the run again to see a change.
   */
  readonly lost: boolean;
  /** Parameter values as given, for display (steps read them from `_parameters`). */
  readonly parameters: Readonly<Record<string, unknown>>;
  /** For a resumed run: the id of the run it resumed. */
  readonly originRunId: string | undefined;
  /** For a resumed run: the pathspec of the run it resumed. */
  readonly originPathspec: string | undefined;
  /** `await run.data.x`: artifact `x` of the run's end task. */
  readonly data: DataOf<F>;
  readonly #ctx: ClientContext;
  #row: RunRow;
  #tags: TagSet;
  #end: Promise<Task<F> | undefined> | undefined;
  #graph: Promise<RunGraph | undefined> | undefined;

  /**
   * The run `flow/runId` in the stores `config` names, whatever the current namespace and store (the
   * runner returns the run it just executed this way).
   */
  static async at<F = unknown>(config: StoreConfig, flow: string, runId: string): Promise<Run<F>> {
    const ctx = await contextFor(config);
    return new Run<F>(ctx, await loadRun(ctx, flow, runId, null));
  }

  /** Built by `Flow` and `Run.get()`; not meant to be called directly. */
  constructor(ctx: ClientContext, row: RunRow) {
    this.#ctx = ctx;
    this.#row = row;
    this.#tags = tagSetOf(row);
    this.id = row.runId;
    this.pathspec = `${row.flow}/${row.runId}`;
    this.flowName = row.flow;
    this.user = row.user;
    this.createdAt = toDate(row.createdAt);
    this.lost = isLost(row);
    this.finishedAt = this.lost ? toDate(row.heartbeatAt) : toDate(row.finishedAt);
    this.status = this.lost ? 'failed' : row.status;
    this.successful = this.status === 'succeeded';
    this.finished = this.status !== 'running';
    this.parameters = Object.freeze({ ...row.params });
    this.originRunId = row.originRunId ?? undefined;
    this.originPathspec = row.originRunId ? `${row.flow}/${row.originRunId}` : undefined;
    this.data = dataView<DataOf<F>>(`run ${this.pathspec}`, async (name) => {
      const end = await this.#endTaskWithData();
      return (await end.artifact(name)).data();
    });
  }

  /** `Run.get('Flow/run')`; pass the flow class as type argument for typed `data`. */
  static async get<F = unknown>(pathspec: string): Promise<Run<F>> {
    const [flow, runId] = parsePathspec('Run', pathspec) as [string, string];
    const ctx = await clientContext();
    return new Run<F>(ctx, await loadRun(ctx, flow, runId, getNamespace()));
  }

  /** User and system tags together, sorted. */
  get tags(): readonly string[] {
    return this.#tags.tags;
  }

  get userTags(): readonly string[] {
    return this.#tags.userTags;
  }

  get systemTags(): readonly string[] {
    return this.#tags.systemTags;
  }

  /**
   * For a run of a `@project` flow: the project and the branch it ran on (`user.alice`,
   * `test.new_model`, `prod`); undefined otherwise. Filter on them with
   * `flow.runs({ tags: ['project_branch:prod'] })`.
   */
  get project(): { name: string; branch: string } | undefined {
    const tag = (prefix: string) => this.#tags.systemTags.find((t) => t.startsWith(prefix))?.slice(prefix.length);
    const name = tag('project:');
    const branch = tag('project_branch:');
    return name !== undefined && branch !== undefined ? { name, branch } : undefined;
  }

  /** The run's steps, newest first; steps whose name starts with `_` are hidden. */
  async steps(): Promise<Step<F>[]> {
    const rows = await storeCall(`the steps of ${this.pathspec}`, () => this.#ctx.metadata.listSteps(this.flowName, this.id));
    return rows
      .filter((s) => !s.step.startsWith('_'))
      .reverse()
      .sort((a, b) => b.createdAt - a.createdAt)
      .map((s) => new Step<F>(this.#ctx, this.#row, s));
  }

  /** One step by name (hidden steps such as `_parameters` included). */
  async step(name: string): Promise<Step<F>> {
    return new Step<F>(this.#ctx, this.#row, await loadStep(this.#ctx, this.#row, name));
  }

  /** The task of the `end` step, or undefined if the run has not reached it. */
  endTask(): Promise<Task<F> | undefined> {
    if (!this.#end) {
      const p = this.#loadEndTask();
      this.#end = p;
      // Only a finished end task is final; anything else is looked up again next time.
      p.then(
        (t) => {
          if (!t?.finished && this.#end === p) this.#end = undefined;
        },
        () => {
          if (this.#end === p) this.#end = undefined;
        },
      );
    }
    return this.#end;
  }

  /**
   * The graph the run ran (its steps, their types and successors), as recorded when it started; undefined
   * for a run recorded by a version of cairn that did not store it.
   */
  async graph(): Promise<RunGraph | undefined> {
    if (this.#graph === undefined) {
      const key = { flow: this.flowName, runId: this.id, step: PARAMETERS_STEP, taskId: PARAMETERS_TASK_ID };
      this.#graph = (async () => {
        const record = await storeCall(`the parameters of ${this.pathspec}`, () => this.#ctx.artifacts.getTaskRecord(key, 0));
        if (!record?.graph) return undefined;
        const sha = record.graph;
        return parseRunGraph(await storeCall(`the graph of ${this.pathspec}`, () => this.#ctx.artifacts.getBlob(sha)));
      })();
      this.#graph.catch(() => (this.#graph = undefined));
    }
    return this.#graph;
  }

  /** Adds user tags. Tags equal to a system tag are dropped; resolves to this run, updated. */
  addTags(tags: string | readonly string[]): Promise<this> {
    return this.#changeTags('addTags()', () => ({ remove: [], add: validateTags(tags, 'addTags()') }));
  }

  /** Removes user tags; removing a system tag is refused and changes nothing. */
  removeTags(tags: string | readonly string[]): Promise<this> {
    return this.#changeTags('removeTags()', () => ({ remove: validateTags(tags, 'removeTags()'), add: [] }));
  }

  /** Removes `remove`, then adds `add`, in one change. */
  replaceTags(remove: string | readonly string[], add: string | readonly string[]): Promise<this> {
    return this.#changeTags('replaceTags()', () => ({
      remove: validateTags(remove, 'replaceTags()'),
      add: validateTags(add, 'replaceTags()'),
    }));
  }

  /**
   * Deletes the run: its metadata, task records, logs and cards (blobs other runs may share stay
   * until `gc`). A run still going is refused with `RUN_ACTIVE` unless `force`; objects loaded from
   * it cannot read any more. Resolves to the bytes of files freed.
   *
   * @example
   * await (await Run.get('TrainFlow/1795746083754893')).delete();
   */
  async delete(opts: { force?: boolean } = {}): Promise<{ bytes: number }> {
    const { deleteRuns } = await import('../storage/gc.js');
    const { bytes } = await deleteRuns(this.#ctx, [{ flow: this.flowName, runId: this.id }], opts);
    return { bytes };
  }

  toString(): string {
    return `Run('${this.pathspec}')`;
  }

  async #changeTags(what: string, change: () => TagChange): Promise<this> {
    const c = change();
    const { metadata } = this.#ctx;
    const fresh = await storeCall(`run ${this.pathspec}`, () => metadata.getRun(this.flowName, this.id));
    if (!fresh) throw new NotFoundError(`${what}: run '${this.pathspec}' no longer exists.`);
    const userTags = applyTagChange({ ...fresh, pathspec: this.pathspec }, c);
    await storeCall(`the tags of ${this.pathspec}`, () => metadata.setUserTags(this.flowName, this.id, userTags));
    this.#row = { ...fresh, userTags };
    this.#tags = tagSetOf(this.#row);
    return this;
  }

  async #loadEndTask(): Promise<Task<F> | undefined> {
    const rows: TaskRow[] = await storeCall(`the end task of ${this.pathspec}`, () =>
      this.#ctx.metadata.listTasks(this.flowName, this.id, 'end'),
    );
    const row = [...rows].sort((a, b) => compareTaskIds(a.taskId, b.taskId))[0];
    if (!row) return undefined;
    return new Task<F>(this.#ctx, await loadTaskState(this.#ctx, this.#row, row));
  }

  async #endTaskWithData(): Promise<Task<F>> {
    const end = await this.endTask();
    if (!end) {
      throw new NotFoundError(
        `Run '${this.pathspec}' has no end task yet, so run.data has nothing to show: ` +
          'read the artifacts of another step with (await run.step(name)).task().',
      );
    }
    if (!end.successful) {
      const state = end.finished ? 'failed' : 'not finished yet';
      throw new NotFoundError(
        `The end task of run '${this.pathspec}' has ${state}, so run.data has nothing to show: ` +
          'read the artifacts of another step with (await run.step(name)).task().',
      );
    }
    return end;
  }
}
