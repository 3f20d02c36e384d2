/** `Task`: one task of a step, shown at one attempt, with its artifacts and captured output. */
import type { ForeachFrame, TaskException } from '../core/types.js';
import { CairnError, NotFoundError } from '../errors.js';
import { isLost, lostReason } from '../core/liveness.js';
import type { LogStream, StoredLog, TaskRecord } from '../storage/types.js';
import { decodeLog, decodeRecords, type DecodedLog, type LogLine } from '../storage/log-format.js';
import { artifactFrom, DataArtifact } from './artifact.js';
import { readCards, type Card } from './card.js';
import { clientContext, storeCall, type ClientContext } from './context.js';
import { dataView, type DataOf } from './data.js';
import { loadRecord, loadRun, missingFromStore, loadTaskRow, loadTaskState, pathOf, tagSetOf, taskStateOf, toDate, type TaskState } from './lookup.js';
import { getNamespace } from './namespace.js';
import { parsePathspec } from './pathspec.js';

export interface TaskGetOptions {
  /** Show this attempt (0-based) instead of the latest successful one. */
  attempt?: number;
}

/** What `task.readLog()` read: the lines from an offset on, and where to read from next. */
export interface TaskLogChunk {
  /** The complete lines read. */
  lines: TaskLogLine[];
  /** The last line printed, when it is not ended by a newline (yet); read again from `next` until it is. */
  partial: TaskLogLine | undefined;
  /** The offset to pass as `from` to read only what comes after these lines. */
  next: number;
}

/** One line of a task's output (`task.loglines()`). */
export interface TaskLogLine {
  /** When the line began; undefined for output stored without times. */
  at: Date | undefined;
  /** The line, without its newline. */
  text: string;
}

/**
 * One task of a step: its status, attempts, exception, output and artifacts.
 *
 * @example
 * ```ts
 * import { Task } from 'cairnflow';
 * const task = await Task.get('TrainFlow/1764151200001234/train/3');
 * console.log(task.successful, await task.stdout());
 * const score = await (await task.artifact('score')).data();
 * ```
 */
export class Task<F = unknown> {
  /** The task id, unique within the run. */
  readonly id: string;
  /** `Flow/run/step/task`. */
  readonly pathspec: string;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly createdAt: Date;
  /** When the shown attempt started; undefined for a task that has not started an attempt yet. */
  readonly startedAt: Date | undefined;
  /** When the shown attempt (or, by default, the task) finished; undefined while it runs. */
  readonly finishedAt: Date | undefined;
  /** The shown attempt succeeded (by default: the task succeeded). */
  readonly successful: boolean;
  /** The shown attempt (by default: the task) is no longer running. */
  readonly finished: boolean;
  /**
   * The task had not finished when its run was lost (its orchestrator died): it reads as failed,
   * with a `RunLost` exception unless its attempt recorded one.
   */
  readonly lost: boolean;
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
    this.startedAt = toDate(attemptRow?.startedAt ?? null);
    let finishedAt: number | null;
    if (explicit && attemptRow) {
      finishedAt = attemptRow.finishedAt;
      this.successful = attemptRow.status === 'succeeded';
      this.finished = attemptRow.status !== 'running';
    } else {
      finishedAt = task.finishedAt;
      this.successful = task.status === 'succeeded';
      this.finished = task.status === 'succeeded' || task.status === 'failed';
    }
    // What was still going when the run's orchestrator died will never finish: it failed.
    this.lost = !this.finished && isLost(state.run);
    if (this.lost) {
      this.finished = true;
      finishedAt = state.run.heartbeatAt;
    }
    this.finishedAt = toDate(finishedAt);
    this.foreachStack = Object.freeze(task.foreachStack.map((f) => Object.freeze({ ...f })));
    this.index = task.foreachStack.at(-1)?.index;
    this.retryCount = state.attempt;
    this.exception = attemptRow?.exception ?? (this.lost ? { type: 'RunLost', message: lostReason(state.run) } : undefined);
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

  /**
   * Every attempt of the task, oldest first, each as a `Task` that shows that attempt (its status,
   * times, exception, output and, for a successful attempt, its artifacts and cards).
   *
   * @example
   * for (const a of await task.attempts()) console.log(a.retryCount, a.successful, a.exception?.type);
   */
  async attempts(): Promise<Task<F>[]> {
    const { run, task } = this.#state;
    const rows = await storeCall(`the attempts of ${this.pathspec}`, () => this.#ctx.metadata.listAttempts(task));
    return [...rows].sort((a, b) => a.attempt - b.attempt).map((r) => new Task<F>(this.#ctx, taskStateOf(run, task, rows, r.attempt)));
  }

  /**
   * The artifacts of the shown attempt, sorted by name; names starting with `_` are hidden unless
   * `private` is true.
   */
  async artifacts(options: { private?: boolean } = {}): Promise<DataArtifact[]> {
    const record = await this.#loadRecord();
    return Object.keys(record.artifacts)
      .filter((name) => options.private === true || !name.startsWith('_'))
      .sort()
      .map((name) => this.#artifactFrom(record, name));
  }

  /** One artifact by name (hidden `_` names included); rejects with NotFoundError if absent. */
  async artifact(name: string): Promise<DataArtifact> {
    const record = await this.#loadRecord();
    return this.#artifactFrom(record, name);
  }

  /**
   * What the shown attempt printed to stdout ('' if nothing was captured); for a task cloned by
   * resume, what the task it was cloned from printed.
   */
  async stdout(): Promise<string> {
    return (await this.#log('stdout')).text;
  }

  /** What the shown attempt printed to stderr ('' if nothing was captured; see `stdout()` for clones). */
  async stderr(): Promise<string> {
    return (await this.#log('stderr')).text;
  }

  /**
   * What the shown attempt printed on `stream`, line by line, each with the time it began (undefined
   * for output stored without times). A running task's output so far is stored within a fraction of a second.
   */
  async loglines(stream: LogStream = 'stdout'): Promise<TaskLogLine[]> {
    return (await this.#log(stream)).lines.map(toLogLine);
  }

  /**
   * What the shown attempt printed on `stream` from byte offset `from` (default 0): the complete
   * lines, the last line if it is not ended yet, and the offset to read from next time. Made for live
   * tails: a line a running task prints is readable here well within a second, and each call reads
   * only what came after `from`.
   *
   * @example
   * let from = 0;
   * for (;;) {
   *   const chunk = await task.readLog('stdout', { from });
   *   for (const line of chunk.lines) console.log(line.text);
   *   from = chunk.next;
   *   await new Promise((r) => setTimeout(r, 500));
   * }
   */
  async readLog(stream: LogStream = 'stdout', options: { from?: number } = {}): Promise<TaskLogChunk> {
    const from = options.from ?? 0;
    if (!Number.isSafeInteger(from) || from < 0) {
      throw new CairnError('INVALID_ARGUMENT', `readLog(): from must be a byte offset (a whole number from 0) returned as next by an earlier call; got ${String(from)}.`);
    }
    const log = await this.#stored(stream, from);
    if (!log) return { lines: [], partial: undefined, next: from };
    if (log.format === 'text') {
      return { lines: decodeLog(log.bytes, 'text').lines.map(toLogLine), partial: undefined, next: log.end };
    }
    const got = decodeRecords(log.bytes, log.start);
    const lines = (got.partial ? got.lines.slice(0, -1) : got.lines).map(toLogLine);
    return { lines, partial: got.partial && toLogLine(got.partial), next: got.next };
  }

  /**
   * The cards of the shown attempt (`@card`), sorted by id; for a task cloned by resume, those of the
   * task it was cloned from. A running task's live cards are read as they are now: call again for
   * their updates.
   *
   * @example
   * for (const card of await task.cards()) {
   *   console.log(card.id, card.status);
   *   writeFileSync(`${card.id}.html`, await card.html());
   * }
   */
  async cards(): Promise<Card[]> {
    const { task, attempt, attemptRow } = this.#state;
    if (!attemptRow) return [];
    let cards = await readCards(this.#ctx, task, attempt);
    // A task cloned by resume rendered nothing itself: its cards are those of the task it was cloned from.
    for (let origin = task.originPathspec, hops = 0; cards.length === 0 && origin && hops < 100; hops++) {
      const [flow, runId, step, taskId] = origin.split('/') as [string, string, string, string];
      const row = await storeCall(`task ${origin}`, () => this.#ctx.metadata.getTask({ flow, runId, step, taskId }));
      if (!row || row.doneAttempt === null) break;
      cards = await readCards(this.#ctx, row, row.doneAttempt);
      origin = row.originPathspec;
    }
    return cards;
  }

  /** The card with this id (see `cards()`); rejects with NotFoundError, naming the cards there are. */
  async card(id: string): Promise<Card> {
    const cards = await this.cards();
    const found = cards.find((c) => c.id === id);
    if (!found) {
      const has = cards.length ? `its cards are ${cards.map((c) => c.id).join(', ')}` : 'it has no cards';
      throw new NotFoundError(`Task '${this.pathspec}' has no card '${id}' (${has}).`);
    }
    return found;
  }

  toString(): string {
    return `Task('${this.pathspec}')`;
  }

  /** What is stored of `stream` from byte `from`: the shown attempt's, or for a clone, its origin's. */
  async #stored(stream: LogStream, from: number): Promise<StoredLog | undefined> {
    const { task, attempt, attemptRow } = this.#state;
    if (!attemptRow) return undefined;
    let log = await storeCall(`the ${stream} of ${this.pathspec}`, () => this.#ctx.artifacts.readLog(task, attempt, stream, from));
    // The metadata says where the output was stored: it must be there.
    if (!log && attemptRow.logs[stream] !== null) {
      throw missingFromStore(this.#ctx, `the ${stream} of task '${this.pathspec}' (attempt ${attempt}) at ${attemptRow.logs[stream]}`);
    }
    // A task cloned by resume printed nothing itself: show what the task it was cloned from printed.
    for (let origin = task.originPathspec, hops = 0; !log && origin && hops < 100; hops++) {
      const [flow, runId, step, taskId] = origin.split('/') as [string, string, string, string];
      const row = await storeCall(`task ${origin}`, () => this.#ctx.metadata.getTask({ flow, runId, step, taskId }));
      if (!row || row.doneAttempt === null) break;
      log = await storeCall(`the ${stream} of ${origin}`, () => this.#ctx.artifacts.readLog(row, row.doneAttempt!, stream, from));
      origin = row.originPathspec;
    }
    return log;
  }

  async #log(stream: LogStream): Promise<DecodedLog> {
    const log = await this.#stored(stream, 0);
    return decodeLog(log?.bytes, log?.format);
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

function toLogLine(l: LogLine): TaskLogLine {
  return { at: l.at === undefined ? undefined : new Date(l.at), text: l.text };
}
