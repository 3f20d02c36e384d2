/**
 * Executes one run: validates the flow, records the run, then schedules tasks on an executor as
 * the graph unfolds, recording every task attempt and printing the console log as it goes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { unlinkCodePackage } from '../core/code-package.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors.js';
import { PARAMETERS_STEP, PARAMETERS_TASK_ID, taskPathspec, type TaskAttemptKey, type TaskException, type TaskKey } from '../core/types.js';
import { currentUser } from '../core/identity.js';
import type { FlowSpec } from '../authoring/flow-spec.js';
import { formatLintIssue } from '../graph/index.js';
import type { StepNode } from '../graph/types.js';
import { openArtifactStore, openMetadataStore, resolveStoreConfig, type StoreConfig } from '../storage/config.js';
import type { ArtifactStore, MetadataStore } from '../storage/types.js';
import type { ExpectedTransition, TaskSpec } from '../runtime/protocol.js';
import { BufferedConsole, type ConsoleSink } from './console.js';
import { LocalPool } from './executors/local-pool.js';
import type { Executor, ExecutionResult } from './executors/types.js';
import { loadFlow, loaderDirs, type LoadedFlow } from './load-flow.js';
import { newRunId } from './run-ids.js';
import { Scheduler, type PlannedTask } from './scheduler.js';
import { VERSION } from '../version.js';

export interface RunOptions {
  flowFile: string;
  /** The flow class, when the flow file itself is the program (`npx tsx flow.ts run`). */
  flowClass?: typeof FlowSpec;
  tags?: string[];
  maxWorkers?: number;
  maxNumSplits?: number;
  runIdFile?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  console?: ConsoleSink;
}

export interface RunFailure {
  pathspec: string;
  step: string;
  taskId: string;
  exception: TaskException;
}

export interface RunResult {
  flow: string;
  runId: string;
  status: 'succeeded' | 'failed';
  failure?: RunFailure;
}

const cairnDir = fileURLToPath(new URL('..', import.meta.url));

/** The stack frames of a failure that are in the user's code (cairn's own and Node's are noise). */
function userFrames(stack: string | undefined): string[] {
  if (!stack) return [];
  return stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && !l.includes(cairnDir) && !l.includes('node:internal'));
}

function expectedOf(node: StepNode): ExpectedTransition {
  return {
    type: node.type,
    out: node.out,
    ...(node.foreach !== undefined ? { foreach: node.foreach } : {}),
    ...(node.switch ? { switch: node.switch } : {}),
  };
}

function checkLimits(options: RunOptions): { maxWorkers: number; maxNumSplits: number } {
  const maxWorkers = options.maxWorkers ?? 16;
  const maxNumSplits = options.maxNumSplits ?? 100;
  for (const [name, v] of [['--max-workers', maxWorkers], ['--max-num-splits', maxNumSplits]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new CairnError('INVALID_ARGUMENT', `${name} must be a whole number of at least 1; got ${v}.`);
  }
  return { maxWorkers, maxNumSplits };
}

/** Validates the flow (lint errors reject with code LINT before anything is stored). */
export async function prepareFlow(options: RunOptions, config: StoreConfig): Promise<LoadedFlow> {
  const loaded = await loadFlow(options.flowFile, { ...loaderDirs(config.root), ...(options.flowClass ? { flowClass: options.flowClass } : {}) });
  if (loaded.issues.length) {
    throw new CairnError(
      'LINT',
      `Validity checker found an issue in ${loaded.flowClass.name}:\n${loaded.issues.map(formatLintIssue).join('\n')}`,
    );
  }
  return loaded;
}

export async function executeRun(options: RunOptions): Promise<RunResult> {
  const limits = checkLimits(options);
  const config = resolveStoreConfig({ ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.env ? { env: options.env } : {}) });
  const pool = new LocalPool({ maxWorkers: limits.maxWorkers });
  pool.warm();
  const out = options.console ?? new BufferedConsole();
  try {
    const loaded = await prepareFlow(options, config);
    out.plain(`cairn ${VERSION} executing ${loaded.flowClass.name} for user:${currentUser(options.env)}`);
    out.plain('Validating your flow...');
    out.plain('    The graph looks good!');
    const [artifacts, metadata] = await Promise.all([openArtifactStore(config), openMetadataStore(config, { create: true })]);
    try {
      return await new RunExecution(loaded, options, limits, config, artifacts, metadata, pool, out).execute();
    } finally {
      await metadata.close();
      await artifacts.close?.();
    }
  } finally {
    await pool.shutdown();
    out.flush();
  }
}

class RunExecution {
  private readonly flow: string;
  private runId = '';
  private readonly user = currentUser();
  private readonly scheduler: Scheduler;
  private nextTaskId = 1;
  private active = 0;
  private failure: RunFailure | undefined;
  private endSucceeded = false;
  private interrupted = false;
  private readonly writes: Promise<unknown>[] = [];
  private finished!: () => void;

  constructor(
    private readonly loaded: LoadedFlow,
    private readonly options: RunOptions,
    private readonly limits: { maxWorkers: number; maxNumSplits: number },
    private readonly config: StoreConfig,
    private readonly artifacts: ArtifactStore,
    private readonly metadata: MetadataStore,
    private readonly executor: Executor,
    private readonly out: ConsoleSink,
  ) {
    this.flow = loaded.flowClass.name;
    this.scheduler = new Scheduler(loaded.graph);
  }

  async execute(): Promise<RunResult> {
    const codeSha = await this.storeCodePackage();
    await this.createRun(codeSha);
    if (this.options.runIdFile) writeFileSync(this.options.runIdFile, this.runId);
    this.out.line(`Workflow starting (run-id ${this.runId}):`);
    const params = await this.recordParameters();
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    const interrupt = () => this.interrupt();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    try {
      this.launch(this.scheduler.initial(params), codeSha);
      await done;
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
    await Promise.all(this.writes);
    const status = this.endSucceeded && !this.failure && !this.interrupted ? 'succeeded' : 'failed';
    await this.metadata.finishRun(this.flow, this.runId, status, Date.now());
    if (status === 'succeeded') this.out.line('Done!');
    else this.reportFailure();
    return { flow: this.flow, runId: this.runId, status, ...(this.failure ? { failure: this.failure } : {}) };
  }

  /** Puts the code package in the store (a cached flow's package normally is there already). */
  private async storeCodePackage(): Promise<string> {
    const { code, codeSha } = this.loaded;
    if (code !== undefined) return this.artifacts.putBlob(Buffer.from(code));
    if ((await this.artifacts.hasBlobs([codeSha])).has(codeSha)) return codeSha;
    const local = readFileSync(join(loaderDirs(this.config.root).codeDir, `${codeSha}.mjs`), 'utf8');
    const stored = await this.artifacts.putBlob(Buffer.from(unlinkCodePackage(local)));
    if (stored !== codeSha) {
      throw new CairnError('STORE', `The cached code package of ${this.loaded.file} does not match its address; delete ${this.config.root}/cache and run again.`);
    }
    return stored;
  }

  private async createRun(codeSha: string): Promise<void> {
    const userTags = [...new Set(this.options.tags ?? [])];
    const systemTags = [`user:${this.user}`, 'runtime:node', `cairn_version:${VERSION}`, `node_version:${process.versions.node}`];
    for (let tries = 0; ; tries++) {
      this.runId = String(BigInt(newRunId()) + BigInt(tries));
      try {
        await this.metadata.createRun({
          flow: this.flow, runId: this.runId, user: this.user, createdAt: Date.now(),
          userTags, systemTags, params: {}, codePackage: codeSha,
        });
        return;
      } catch (e) {
        if (tries >= 20 || (e as CairnError).code !== 'INVALID_ARGUMENT') throw e;
      }
    }
  }

  /** The `_parameters` pseudo-task holds the run's parameters; `start` reads it as its input. */
  private async recordParameters(): Promise<TaskAttemptKey> {
    const key: TaskAttemptKey = { flow: this.flow, runId: this.runId, step: PARAMETERS_STEP, taskId: PARAMETERS_TASK_ID, attempt: 0 };
    await this.artifacts.putTaskRecord(key, 0, { version: 1, artifacts: {} });
    const now = Date.now();
    await this.metadata.createTask({ ...key, createdAt: now, foreachStack: [], parents: [] });
    await this.metadata.startAttempt(key, 0, now, process.pid);
    await this.metadata.finishAttempt(key, 0, { status: 'succeeded', finishedAt: now });
    await this.metadata.finishTask(key, 'succeeded', now, 0);
    return key;
  }

  private record(fn: () => Promise<unknown>, chain: { p: Promise<unknown> }): void {
    chain.p = chain.p.then(fn);
    this.writes.push(chain.p);
  }

  private launch(planned: PlannedTask, codeSha: string): void {
    const node = this.loaded.graph.steps.get(planned.step)!;
    const key: TaskKey = { flow: this.flow, runId: this.runId, step: planned.step, taskId: String(this.nextTaskId++) };
    const spec: TaskSpec = {
      ...key,
      attempt: 0,
      code: { sha: codeSha, className: this.flow, sourceFile: this.loaded.file },
      codeDir: loaderDirs(this.config.root).codeDir,
      store: this.config,
      inputs: planned.parents,
      params: { flow: this.flow, runId: this.runId, step: PARAMETERS_STEP, taskId: PARAMETERS_TASK_ID, attempt: 0 },
      foreachStack: planned.foreachStack,
      expected: expectedOf(node),
      maxNumSplits: this.limits.maxNumSplits,
      user: this.user,
      tags: this.options.tags ?? [],
    };
    const chain = { p: Promise.resolve() as Promise<unknown> };
    const path = `${this.runId}/${key.step}/${key.taskId}`;
    let prefix = path;
    this.active++;
    this.executor
      .submit(spec, {
        onStart: (pid) => {
          prefix = `${path} (pid ${pid})`;
          this.out.taskLine(prefix, 'Task is starting.');
          const now = Date.now();
          this.record(() => this.metadata.createTask({ ...key, createdAt: now, foreachStack: planned.foreachStack, parents: planned.parents.map((p) => `${p.step}/${p.taskId}`) }), chain);
          this.record(() => this.metadata.startAttempt(key, 0, now, pid), chain);
        },
        onLog: (stream, lines, at) => {
          for (const l of lines) this.out.taskLine(prefix, l, stream, at);
        },
      })
      .then((r) => this.onDone(planned, key, prefix, r, chain, codeSha))
      .catch((e) => this.onDone(planned, key, prefix, { outcome: { ok: false, exception: { type: 'InternalError', message: String(e?.stack ?? e) } }, logs: { stdout: null, stderr: null }, pid: 0 }, chain, codeSha));
  }

  private onDone(planned: PlannedTask, key: TaskKey, prefix: string, r: ExecutionResult, chain: { p: Promise<unknown> }, codeSha: string): void {
    this.active--;
    const { outcome } = r;
    const cancelled = !outcome.ok && outcome.exception.type === 'Cancelled';
    if (!cancelled) {
      const now = Date.now();
      const status = outcome.ok ? 'succeeded' : 'failed';
      this.record(() => this.metadata.finishAttempt(key, 0, { status, finishedAt: now, exception: outcome.ok ? null : outcome.exception, logs: r.logs }), chain);
      this.record(() => this.metadata.finishTask(key, status, now, outcome.ok ? 0 : null), chain);
    }
    if (outcome.ok) {
      if (outcome.foreach) this.out.taskLine(prefix, `Foreach yields ${outcome.foreach.numSplits} child steps.`);
      this.out.taskLine(prefix, 'Task finished successfully.');
      if (key.step === this.loaded.graph.end) this.endSucceeded = true;
      if (!this.failure) {
        const next = this.scheduler.onSuccess({ key: { ...key, attempt: 0 }, foreachStack: planned.foreachStack }, outcome);
        for (const p of next) this.launch(p, codeSha);
      }
    } else if (!cancelled) {
      this.out.taskLine(prefix, 'Task failed.', 'stderr');
      if (!this.failure && !this.interrupted) {
        this.failure = { pathspec: taskPathspec(key), step: key.step, taskId: key.taskId, exception: outcome.exception };
        this.executor.cancelPending('The run failed in another task.');
        void this.executor.shutdown('Killed: another task of the run failed.');
      }
    }
    if (this.active === 0) this.finished();
  }

  /** Ctrl-C: stop the tasks and record the run as failed. */
  private interrupt(): void {
    this.out.line('Workflow interrupted.');
    this.out.line(`Terminating ${this.active} active tasks...`);
    this.interrupted = true;
    this.executor.cancelPending('The run was interrupted.');
    void this.executor.shutdown('Killed: the run was interrupted.');
  }

  private reportFailure(): void {
    if (this.interrupted) return;
    this.out.line('Workflow failed.');
    const f = this.failure;
    if (!f) {
      this.out.line(`    The run ended before its ${this.loaded.graph.end} step succeeded.`);
      return;
    }
    this.out.line('    Step failure:');
    this.out.line(`    Step ${f.step} (task-id ${f.taskId}) failed: ${f.exception.type}: ${f.exception.message}`);
    for (const l of userFrames(f.exception.stack)) this.out.line(`    ${l}`);
  }
}
