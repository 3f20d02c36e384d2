/**
 * One run in progress: launches tasks as the graph unfolds, gives each task its attempts (retries,
 * the `@catchError` fallback, `@timeout`), clones tasks of an origin run when resuming, and records
 * everything in the metadata store.
 */
import { fileURLToPath } from 'node:url';
import { PARAMETERS_STEP, PARAMETERS_TASK_ID, taskPathspec, type TaskAttemptKey, type TaskException, type TaskKey } from '../core/types.js';
import { settingsOf, type StepSettings } from '../authoring/decorators.js';
import { stepsOf } from '../authoring/metadata.js';
import type { StepNode } from '../graph/types.js';
import type { StoreConfig } from '../storage/config.js';
import type { ArtifactInfo, ArtifactStore, MaintainedArtifactStore, MetadataStore, TaskRecord } from '../storage/types.js';
import type { TaskSpec, TaskSuccess } from '../runtime/protocol.js';
import { formatSeconds, recordParametersTask, taskSpec } from './task-spec.js';
import { isLostAttempt, LOST_WORKER_RETRIES, type Executor, type ExecutionResult } from './executors/types.js';
import { stopReason, type StopSignal, type StopSignals } from './stop-signals.js';
import type { LoadedFlow } from './load-flow.js';
import { loaderDirs } from './load-flow.js';
import type { RunReporter, RunSummary, StartKind, TaskRef } from './reporter.js';
import { taskPlace } from '../core/place.js';
import { Scheduler, type PlannedTask } from './scheduler.js';
import { taskCardsByStep } from './card-context.js';
import type { TaskCards } from '../runtime/protocol.js';
import type { StepCache } from './step-cache.js';

/** A task of an origin run that a resumed run reuses instead of running. */
export interface CloneCandidate {
  key: TaskAttemptKey;
  record: TaskRecord;
}

/** Where resume finds the tasks it may clone, by their place in the run (see `taskPlace`). */
export interface CloneSource {
  originRunId: string;
  find(place: string, step: string): Promise<CloneCandidate | undefined>;
}

export interface ExecutionSetup {
  loaded: LoadedFlow;
  config: StoreConfig;
  artifacts: ArtifactStore;
  metadata: MetadataStore;
  executor: Executor;
  reporter: RunReporter;
  runId: string;
  user: string;
  tags: string[];
  /** For a `@project` flow: the project and the branch the run is on. */
  project?: { name: string; branch: string };
  maxNumSplits: number;
  maxWorkers: number;
  /** The `_parameters` task's artifacts (parameters and constants) and the parameter names. */
  parameters: { artifacts: Record<string, ArtifactInfo>; names: string[] };
  /** Each step's decorators, `--with` ones included (default: what the flow class records). */
  decorators?: ReadonlyMap<string, Record<string, Record<string, unknown>>>;
  clones?: CloneSource;
  /** The signals that stop the run, held by the caller from the run's creation to its end. */
  signals?: StopSignals;
  /** The step cache, for runs that may use it. */
  cache?: StepCache;
}

interface LiveTask {
  key: TaskKey;
  planned: PlannedTask;
  node: StepNode;
  settings: StepSettings;
  /** Metadata writes of this task, in order. */
  chain: Promise<unknown>;
  /** Attempts lost with their worker (retried without counting against `@retry`). */
  lost: number;
  /** The step-cache key, when the step uses the cache. */
  cacheKey?: string;
}

const cairnDir = fileURLToPath(new URL('..', import.meta.url));

/** The stack frames of a failure that are in the user's code (cairn's own and Node's are noise). */
export function userFrames(stack: string | undefined): string[] {
  if (!stack) return [];
  return stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && !l.includes(cairnDir) && !l.includes('node:internal'));
}

export class RunExecution {
  private readonly flow: string;
  private readonly scheduler: Scheduler;
  private readonly steps: Map<string, StepSettings>;
  private readonly cards: Map<string, TaskCards>;
  private nextTaskId = 1;
  /** Tasks of this run that are clones (`step/taskId`); resume clones a task only after its parents. */
  private readonly cloned = new Set<string>([`${PARAMETERS_STEP}/${PARAMETERS_TASK_ID}`]);
  private active = 0;
  private failure: RunSummary['failure'];
  private endSucceeded = false;
  private interrupted = false;
  private readonly writes: Promise<unknown>[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Tasks waiting out `minutesBetweenRetries` before their next attempt: the timer and what it runs. */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private finished!: () => void;
  private codeSha = '';
  /** Planned tasks not handed to the executor yet (FIFO from `readyAt`). */
  private readonly ready: PlannedTask[] = [];
  private readyAt = 0;
  /** Tasks handed to the executor that have not started; at most `handOff`. */
  private unstarted = 0;
  private readonly handOff: number;
  private readonly codeDir: string;

  constructor(private readonly s: ExecutionSetup) {
    this.flow = s.loaded.flowClass.name;
    this.scheduler = new Scheduler(s.loaded.graph);
    const decorators = s.decorators ?? new Map([...stepsOf(s.loaded.flowClass)].map(([name, d]) => [name, d.decorators]));
    this.steps = new Map([...decorators].map(([name, d]) => [name, settingsOf(d)]));
    this.cards = taskCardsByStep(s.loaded.graph, new Map([...this.steps].map(([name, st]) => [name, st.cards])));
    this.handOff = s.maxWorkers * 2;
    this.codeDir = loaderDirs(s.loaded.file, s.config.root).codeDir;
  }

  private get stopping(): boolean {
    return this.failure !== undefined || this.interrupted;
  }

  async execute(codeSha: string): Promise<RunSummary> {
    this.codeSha = codeSha;
    const params = await this.recordParameters();
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    this.s.signals?.onStop((signal) => this.interrupt(signal));
    try {
      this.s.reporter.planned(this.s.loaded.graph.start, 1);
      this.enqueue([this.scheduler.initial(params)]);
      await done;
    } finally {
      for (const t of this.timers) clearTimeout(t);
    }
    await Promise.all(this.writes);
    const status = this.endSucceeded && !this.stopping ? 'succeeded' : 'failed';
    await this.s.metadata.finishRun(this.flow, this.s.runId, status, Date.now());
    return { flow: this.flow, runId: this.s.runId, status, interrupted: this.interrupted, ...(this.failure ? { failure: this.failure } : {}) };
  }

  /** The `_parameters` pseudo-task holds the run's parameters; `start` reads it as its input. */
  private recordParameters(): Promise<TaskAttemptKey> {
    const { artifacts, metadata, runId } = this.s;
    return recordParametersTask(artifacts, metadata, { flow: this.flow, runId, graph: this.s.loaded.graph, parameters: this.s.parameters.artifacts });
  }

  private record(task: LiveTask, fn: () => Promise<unknown>): void {
    task.chain = task.chain.then(fn);
    this.writes.push(task.chain);
    // The run ends by awaiting every write and fails with the first error; until then a failed
    // write stops the run instead of letting it go on unrecorded (or crashing the orchestrator).
    task.chain.catch((e: unknown) => this.writeFailed(e));
  }

  private writeFailed(e: unknown): void {
    if (this.stopping) return;
    this.s.reporter.notice(`Workflow stopped: the metadata store failed (${e instanceof Error ? e.message : String(e)}).`);
    this.s.reporter.notice(`Terminating ${this.active} active tasks...`);
    this.interrupted = true;
    this.s.executor.cancelPending('The run stopped: the metadata store failed.');
    void this.s.executor.shutdown('Killed: the run stopped because the metadata store failed.');
    this.endWaits();
  }

  /**
   * Tasks wait here until the executor is close to needing them: a 10,000-way foreach is handed
   * over a few dozen at a time, so the orchestrator stays responsive and small.
   */
  private enqueue(planned: PlannedTask[]): void {
    this.active += planned.length;
    for (const p of planned) this.ready.push(p);
    this.drain();
  }

  private drain(): void {
    while (this.readyAt < this.ready.length && this.unstarted < this.handOff) {
      const next = this.ready[this.readyAt]!;
      this.ready[this.readyAt++] = undefined as unknown as PlannedTask;
      this.launch(next);
    }
    if (this.readyAt === this.ready.length && this.readyAt > 0) {
      this.ready.length = 0;
      this.readyAt = 0;
    }
    this.s.executor.setBacklog(this.ready.length - this.readyAt);
  }

  private launch(planned: PlannedTask): void {
    const node = this.s.loaded.graph.steps.get(planned.step)!;
    const task: LiveTask = {
      key: { flow: this.flow, runId: this.s.runId, step: planned.step, taskId: String(this.nextTaskId++) },
      planned,
      node,
      settings: this.steps.get(planned.step) ?? settingsOf({}),
      chain: Promise.resolve(),
      lost: 0,
    };
    const clones = this.s.clones;
    // A task whose inputs were not all cloned runs on new inputs, so it runs rather than being cloned.
    if (!clones || !planned.parents.every((p) => this.cloned.has(`${p.step}/${p.taskId}`))) return this.runOrReuse(task);
    clones
      .find(taskPlace(planned.step, planned.foreachStack, planned.iteration), planned.step)
      .then((found) => (found ? this.clone(task, found) : this.runOrReuse(task)))
      .catch((e) => this.onAttemptDone(task, 0, undefined, internalFailure(e)));
  }

  /** Runs the task, unless the step cache has an earlier task with the same key. */
  private runOrReuse(task: LiveTask): void {
    const cache = this.s.cache;
    if (!cache?.enabled(task.key.step)) return this.attempt(task, 0);
    const params = { flow: this.flow, runId: this.s.runId, step: PARAMETERS_STEP, taskId: PARAMETERS_TASK_ID, attempt: 0 };
    cache
      .keyOf(task.planned, params)
      .then(async (key) => {
        if (key === undefined) return this.attempt(task, 0);
        task.cacheKey = key;
        const hit = await cache.find(key, task.key.step);
        return hit ? this.clone(task, hit, 'cache') : this.attempt(task, 0);
      })
      .catch((e) => this.onAttemptDone(task, 0, undefined, internalFailure(e)));
  }

  private spec(task: LiveTask, attempt: number, fallback?: TaskSpec['fallback']): TaskSpec {
    const s = this.s;
    return taskSpec({
      key: task.key,
      attempt,
      node: task.node,
      settings: task.settings,
      codeSha: this.codeSha,
      sourceFile: s.loaded.file,
      codeDir: this.codeDir,
      store: s.config,
      parents: task.planned.parents,
      foreachStack: task.planned.foreachStack,
      maxNumSplits: s.maxNumSplits,
      user: s.user,
      tags: s.tags,
      parameterNames: s.parameters.names,
      originRunId: s.clones?.originRunId ?? null,
      ...(s.project ? { project: s.project } : {}),
      ...(fallback ? { fallback } : {}),
      ...(this.cards.has(task.key.step) ? { cards: this.cards.get(task.key.step)! } : {}),
    });
  }

  private attempt(task: LiveTask, attempt: number, fallback?: TaskSpec['fallback']): void {
    const ref: TaskRef = { runId: this.s.runId, step: task.key.step, taskId: task.key.taskId, attempt };
    const kind: StartKind = fallback ? 'fallback' : attempt > 0 ? 'retry' : 'first';
    let started = false;
    this.unstarted++;
    const abort = new AbortController();
    const seconds = task.settings.timeoutSeconds;
    const timers: NodeJS.Timeout[] = [];
    this.s.executor
      .submit(
        this.spec(task, attempt, fallback),
        {
          onStart: (pid) => {
            started = true;
            this.unstarted--;
            this.drain();
            ref.pid = pid;
            this.s.reporter.taskStarting(ref, kind);
            const now = Date.now();
            if (attempt === 0) {
              this.record(task, () =>
                this.s.metadata.createTask({
                  ...task.key,
                  createdAt: now,
                  foreachStack: task.planned.foreachStack,
                  parents: task.planned.parents.map((p) => `${p.step}/${p.taskId}`),
                }),
              );
            }
            this.record(task, () => this.s.metadata.startAttempt(task.key, attempt, now, pid));
            if (seconds !== undefined && !fallback) {
              const timer = setTimeout(() => {
                this.timers.delete(timer);
                abort.abort({ type: 'TimeoutError', message: `Step ${task.key.step} timed out after ${formatSeconds(seconds)}.` } satisfies TaskException);
              }, seconds * 1000);
              this.timers.add(timer);
              timers.push(timer);
            }
          },
          onLog: (stream, lines, at) => this.s.reporter.taskOutput(ref, stream, lines, at),
        },
        abort.signal,
      )
      .then((r) => {
        if (!started) {
          this.unstarted--;
          this.drain();
        }
        for (const t of timers) {
          clearTimeout(t);
          this.timers.delete(t);
        }
        this.onAttemptDone(task, attempt, ref, r, fallback);
      })
      .catch((e) => this.onAttemptDone(task, attempt, ref, internalFailure(e)));
  }

  private onAttemptDone(
    task: LiveTask,
    attempt: number,
    ref: TaskRef | undefined,
    r: ExecutionResult,
    fallback?: TaskSpec['fallback'],
  ): void {
    const { outcome } = r;
    const now = Date.now();
    const tref = ref ?? { runId: this.s.runId, step: task.key.step, taskId: task.key.taskId, attempt };
    if (!outcome.ok && outcome.exception.type === 'Cancelled') return this.settle();
    this.record(task, () =>
      this.s.metadata.finishAttempt(task.key, attempt, {
        status: outcome.ok ? 'succeeded' : 'failed',
        finishedAt: now,
        exception: outcome.ok ? null : outcome.exception,
        logs: r.logs,
      }),
    );
    if (outcome.ok) {
      this.record(task, () => this.s.metadata.finishTask(task.key, 'succeeded', now, attempt));
      // A fallback's success is a failure caught: never reused.
      const key = task.cacheKey;
      if (key !== undefined && !fallback) this.record(task, () => this.s.cache!.remember(task.key, attempt, key));
      if (outcome.foreach) this.s.reporter.taskSplit(tref, outcome.foreach.numSplits);
      this.s.reporter.taskSucceeded(tref);
      this.advance(task, attempt, outcome);
      return this.settle();
    }
    const { retry, catchError } = task.settings;
    const wasFallback = fallback !== undefined;
    // An attempt whose worker or job went away is run again as a new attempt, on top of the @retry budget.
    const lost = !this.stopping && isLostAttempt(outcome.exception.type) && task.lost < LOST_WORKER_RETRIES;
    if (lost) task.lost++;
    const canRetry = lost || (!this.stopping && !wasFallback && retry !== undefined && attempt - task.lost < retry.times);
    const canFallback = !this.stopping && !wasFallback && !canRetry && catchError !== undefined;
    const show = !(canFallback && catchError.printException === false);
    this.s.reporter.taskFailed(tref, outcome.exception, canRetry ? 'retry' : canFallback ? 'fallback' : 'none', show);
    if (canRetry) {
      const wait = lost ? 0 : (retry?.minutesBetweenRetries ?? 0) * 60_000;
      if (wait <= 0) return this.attempt(task, attempt + 1, lost ? fallback : undefined);
      // Cut short when the run stops (see `endWaits`), so that it does not wait out the delay.
      const resume = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.waits.delete(timer);
        if (this.stopping) {
          this.record(task, () => this.s.metadata.finishTask(task.key, 'failed', Date.now(), null));
          return this.settle();
        }
        this.attempt(task, attempt + 1);
      };
      const timer = setTimeout(resume, wait);
      this.timers.add(timer);
      this.waits.set(timer, resume);
      return;
    }
    if (canFallback) return this.attempt(task, attempt + 1, { var: catchError.var, exception: outcome.exception });
    this.record(task, () => this.s.metadata.finishTask(task.key, 'failed', now, null));
    if (!this.stopping) {
      this.failure = { step: task.key.step, taskId: task.key.taskId, exception: outcome.exception };
      this.s.executor.cancelPending('The run failed in another task.');
      void this.s.executor.shutdown('Killed: another task of the run failed.');
      this.endWaits();
    }
    this.settle();
  }

  /** A task is done for good: schedule what follows it. */
  private advance(task: LiveTask, attempt: number, outcome: Pick<TaskSuccess, 'next' | 'foreach'>): void {
    if (task.key.step === this.s.loaded.graph.end) this.endSucceeded = true;
    if (this.stopping) return;
    const planned = this.scheduler.onSuccess(
      { key: { ...task.key, attempt }, foreachStack: task.planned.foreachStack, iteration: task.planned.iteration },
      { ok: true, next: outcome.next, artifactCount: 0, ...(outcome.foreach ? { foreach: outcome.foreach } : {}) },
    );
    const counts = new Map<string, number>();
    for (const p of planned) counts.set(p.step, (counts.get(p.step) ?? 0) + 1);
    for (const [step, n] of counts) this.s.reporter.planned(step, n);
    this.enqueue(planned);
  }

  /**
   * Reuses a task of the origin run: its record and metadata are copied, nothing runs. The blobs
   * the record names are refreshed first (so that a `gc` running now keeps them); if one is gone,
   * the task runs instead.
   */
  private async clone(task: LiveTask, found: CloneCandidate, how: 'resume' | 'cache' = 'resume'): Promise<void> {
    const ref: TaskRef = { runId: this.s.runId, step: task.key.step, taskId: task.key.taskId, attempt: 0 };
    const origin = taskPathspec(found.key);
    if (!(await blobsPresent(this.s.artifacts, found.record))) {
      if (how === 'resume') {
        this.s.reporter.notice(`Some artifacts of ${origin} are no longer in the store: ${taskPathspec(task.key)} runs instead of being cloned.`);
      }
      return this.attempt(task, 0);
    }
    const now = Date.now();
    await this.s.artifacts.putTaskRecord(task.key, 0, found.record);
    // A cache hit brings the task's output and cards too; a resumed run's clones are read from their origin.
    const logs = how === 'cache' ? await copyTaskFiles(this.s.artifacts, found.key, task.key) : { stdout: null, stderr: null };
    if (how === 'resume') this.cloned.add(`${task.key.step}/${task.key.taskId}`);
    const key = task.cacheKey;
    this.record(task, async () => {
      await this.s.metadata.createTask({
        ...task.key,
        createdAt: now,
        foreachStack: task.planned.foreachStack,
        parents: task.planned.parents.map((p) => `${p.step}/${p.taskId}`),
        originPathspec: origin,
      });
      await this.s.metadata.startAttempt(task.key, 0, now, null);
      await this.s.metadata.finishAttempt(task.key, 0, { status: 'succeeded', finishedAt: now, logs });
      await this.s.metadata.finishTask(task.key, 'succeeded', now, 0);
      if (how === 'cache' && key !== undefined) await this.s.cache!.remember(task.key, 0, key);
    });
    this.s.reporter.taskCloned(ref, origin, how);
    this.advance(task, 0, { next: found.record.next ?? [], ...(found.record.foreach ? { foreach: found.record.foreach } : {}) });
    this.settle();
  }

  private settle(): void {
    this.active--;
    if (this.active === 0) this.finished();
  }

  /** Ctrl-C: stop the tasks and record the run as failed. */
  private interrupt(signal: StopSignal): void {
    const why = signal === 'SIGINT' ? 'the run was interrupted' : `the run was stopped: ${stopReason(signal)}`;
    this.s.reporter.notice(signal === 'SIGINT' ? 'Workflow interrupted.' : `Workflow stopped: ${stopReason(signal)}.`);
    this.s.reporter.notice(`Terminating ${this.active} active tasks...`);
    this.interrupted = true;
    this.s.executor.cancelPending(`The run was ${signal === 'SIGINT' ? 'interrupted' : 'stopped'}.`);
    void this.s.executor.shutdown(`Killed: ${why}.`);
    this.endWaits();
  }

  /** The run is stopping: tasks waiting to retry give up now rather than when their wait ends. */
  private endWaits(): void {
    for (const resume of [...this.waits.values()]) resume();
  }
}

/** Copies the stored output and cards of task attempt `from` to attempt 0 of `to`; returns where the logs went. */
async function copyTaskFiles(
  artifacts: ArtifactStore,
  from: TaskAttemptKey,
  to: TaskKey,
): Promise<{ stdout: string | null; stderr: string | null }> {
  const logs: { stdout: string | null; stderr: string | null } = { stdout: null, stderr: null };
  for (const stream of ['stdout', 'stderr'] as const) {
    const log = await artifacts.readLog(from, from.attempt, stream);
    // Output of older versions (plain text) has no records to copy as they are.
    if (log && log.format === 'records' && log.bytes.byteLength > 0) {
      logs[stream] = await artifacts.appendLog(to, 0, stream, { start: 0, bytes: log.bytes });
    }
  }
  for (const id of await artifacts.listCards(from, from.attempt)) {
    const bytes = await artifacts.getCard(from, from.attempt, id);
    if (bytes) await artifacts.putCard(to, 0, id, bytes);
  }
  return logs;
}

/** Whether every blob a record names is stored, refreshing them (see `MaintainedArtifactStore`). */
export async function blobsPresent(artifacts: ArtifactStore, record: TaskRecord): Promise<boolean> {
  const shas = new Set(Object.values(record.artifacts).map((a) => a.sha));
  if (record.foreach?.listSha) shas.add(record.foreach.listSha);
  const store = artifacts as Partial<MaintainedArtifactStore>;
  const found = store.touchBlobs ? await store.touchBlobs([...shas]) : await artifacts.hasBlobs([...shas]);
  return found.size === shas.size;
}

function internalFailure(e: unknown): ExecutionResult {
  const err = e as Error;
  return {
    outcome: { ok: false, exception: { type: err?.name ?? 'InternalError', message: err?.message ?? String(e), ...(err?.stack ? { stack: err.stack } : {}) } },
    logs: { stdout: null, stderr: null },
    pid: 0,
  };
}
