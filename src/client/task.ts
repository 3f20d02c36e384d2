/** `Task`: one task of a step, shown at one attempt, with its artifacts and captured output. */
import type { ForeachFrame, TaskException } from '../core/types.js';
import type { LogStream, TaskRecord } from '../storage/types.js';
import { artifactFrom, DataArtifact } from './artifact.js';
import { clientContext, storeCall, type ClientContext } from './context.js';
import { dataView, type DataOf } from './data.js';
import { loadRecord, loadRun, loadTaskRow, loadTaskState, pathOf, tagSetOf, toDate, type TaskState } from './lookup.js';
import { getNamespace } from './namespace.js';
import { parsePathspec } from './pathspec.js';

export interface TaskGetOptions {
  /** Show this attempt (0-based) instead of the latest successful one. */
  attempt?: number;
}

export class Task<F = unknown> {
  /** The task id, unique within the run. */
  readonly id: string;
  /** `Flow/run/step/task`. */
  readonly pathspec: string;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly createdAt: Date;
  /** When the shown attempt (or, by default, the task) finished; undefined while it runs. */
  readonly finishedAt: Date | undefined;
  /** The shown attempt succeeded (by default: the task succeeded). */
  readonly successful: boolean;
  /** The shown attempt (by default: the task) is no longer running. */
  readonly finished: boolean;
  /** The innermost foreach index, or undefined outside a foreach. */
  readonly index: number | undefined;
  /** The enclosing foreach frames, outer to inner. */
  readonly foreachStack: readonly ForeachFrame[];
  /** The attempt shown (0-based): the latest successful one, else the latest one. */
  readonly retryCount: number;
  /** The error the shown attempt recorded, if any. */
  readonly exception: TaskException | undefined;
  /** For a task cloned by resume: the pathspec of the task it was cloned from. */
  readonly originPathspec: string | undefined;
  /** Pathspecs (`Flow/run/step/task`) of the tasks this one ran after. */
  readonly parents: readonly string[];
  readonly tags: readonly string[];
  readonly userTags: readonly string[];
  readonly systemTags: readonly string[];
  /** `await task.data.x`: the value of artifact `x` of the shown attempt. */
  readonly data: DataOf<F>;
  readonly #ctx: ClientContext;
  readonly #state: TaskState;
  #record: Promise<TaskRecord> | undefined;
  readonly #artifacts = new Map<string, DataArtifact>();

  /** Built by `Step`, `Run` and `Task.get()`; not meant to be called directly. */
  constructor(ctx: ClientContext, state: TaskState) {
    const { task, attemptRow, explicit } = state;
    this.#ctx = ctx;
    this.#state = state;
    this.id = task.taskId;
    this.pathspec = pathOf(task);
    this.flowName = task.flow;
    this.runId = task.runId;
    this.stepName = task.step;
    this.createdAt = toDate(task.createdAt);
    if (explicit && attemptRow) {
      this.finishedAt = toDate(attemptRow.finishedAt);
      this.successful = attemptRow.status === 'succeeded';
      this.finished = attemptRow.status !== 'running';
    } else {
      this.finishedAt = toDate(task.finishedAt);
      this.successful = task.status === 'succeeded';
      this.finished = task.status === 'succeeded' || task.status === 'failed';
    }
    this.foreachStack = Object.freeze(task.foreachStack.map((f) => Object.freeze({ ...f })));
    this.index = task.foreachStack.at(-1)?.index;
    this.retryCount = state.attempt;
    this.exception = attemptRow?.exception ?? undefined;
    this.originPathspec = task.originPathspec ?? undefined;
    this.parents = Object.freeze(task.parents.map((p) => `${task.flow}/${task.runId}/${p}`));
    const tags = tagSetOf(state.run);
    this.tags = tags.tags;
    this.userTags = tags.userTags;
    this.systemTags = tags.systemTags;
    this.data = dataView<DataOf<F>>(`task ${this.pathspec}`, async (name) => (await this.artifact(name)).data());
  }

  /**
   * `Task.get('Flow/run/step/task')`, showing the latest successful attempt (else the latest), or
   * the attempt given in `options`.
   */
  static async get<F = unknown>(pathspec: string, options: TaskGetOptions = {}): Promise<Task<F>> {
    const [flow, runId, step, taskId] = parsePathspec('Task', pathspec) as [string, string, string, string];
    const ctx = await clientContext();
    const run = await loadRun(ctx, flow, runId, getNamespace());
    const row = await loadTaskRow(ctx, run, step, taskId);
    const state = await loadTaskState(ctx, run, row, options.attempt);
    return new Task<F>(ctx, state);
  }

  /** The artifacts of the shown attempt, sorted by name; names starting with `_` are hidden. */
  async artifacts(): Promise<DataArtifact[]> {
    const record = await this.#loadRecord();
    return Object.keys(record.artifacts)
      .filter((name) => !name.startsWith('_'))
      .sort()
      .map((name) => this.#artifactFrom(record, name));
  }

  /** One artifact by name (hidden `_` names included); rejects with NotFoundError if absent. */
  async artifact(name: string): Promise<DataArtifact> {
    const record = await this.#loadRecord();
    return this.#artifactFrom(record, name);
  }

  /** What the shown attempt printed to stdout ('' if nothing was captured). */
  stdout(): Promise<string> {
    return this.#log('stdout');
  }

  /** What the shown attempt printed to stderr ('' if nothing was captured). */
  stderr(): Promise<string> {
    return this.#log('stderr');
  }

  toString(): string {
    return `Task('${this.pathspec}')`;
  }

  async #log(stream: LogStream): Promise<string> {
    const { task, attempt, attemptRow } = this.#state;
    if (!attemptRow) return '';
    const bytes = await storeCall(`the ${stream} of ${this.pathspec}`, () => this.#ctx.artifacts.getLog(task, attempt, stream));
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : '';
  }

  #loadRecord(): Promise<TaskRecord> {
    if (!this.#record) {
      const p = loadRecord(this.#ctx, this.#state);
      this.#record = p;
      p.catch(() => {
        if (this.#record === p) this.#record = undefined;
      });
    }
    return this.#record;
  }

  #artifactFrom(record: TaskRecord, name: string): DataArtifact {
    let a = this.#artifacts.get(name);
    if (!a) {
      a = artifactFrom(this.#ctx, this.#state, record, name);
      this.#artifacts.set(name, a);
    }
    return a;
  }
}
