/**
 * `cairn step`: runs exactly one task attempt of a run that `cairn init-run` recorded, for a
 * scheduler that runs every task in a process (a container) of its own. It checks the ids and
 * inputs it was given against the graph and the stores before any user code runs, runs the task in
 * a worker process as the orchestrator's local pool does (output capture, `@timeout`, crashes),
 * records the task and its attempt, and ends the run when the task is its end step or fails for good.
 */
import { taskCardsByStep } from './card-context.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { currentUser } from '../core/identity.js';
import type { TaskException, TaskKey } from '../core/types.js';
import { settingsOf, MAX_RETRIES, type StepSettings } from '../authoring/decorators.js';
import { stepsOf } from '../authoring/metadata.js';
import { openArtifactStore, openMetadataStore, resolveStoreConfig } from '../storage/config.js';
import type { ArtifactStore, MetadataStore } from '../storage/types.js';
import type { TaskSpec, TaskSuccess } from '../runtime/protocol.js';
import { LocalPool } from './executors/local-pool.js';
import type { ExecutionResult } from './executors/types.js';
import { loaderDirs } from './load-flow.js';
import { LogReporter, type RunReporter, type TaskRef } from './reporter.js';
import { prepareFlow } from './run.js';
import { userFrames } from './run-execution.js';
import { checkRunId, checkTaskId, parseInputPaths, planStep, type StepPlan } from './step-plan.js';
import { formatSeconds, taskSpec } from './task-spec.js';

export interface StepOptions {
  flowFile: string;
  runId: string;
  step: string;
  taskId: string;
  /** Comma-separated parent tasks (see `parseInputPaths`); none for the start step. */
  inputPaths?: string;
  splitIndex?: number;
  /** The scheduler's retry count: the attempt number, from 0. */
  retryCount?: number;
  maxNumSplits?: number;
  /** Where to write what a scheduler needs to go on: `task-id`, `next`, `num-splits`, `split-indices`. */
  outputDir?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  reporter?: RunReporter;
}

export interface StepResult {
  status: 'succeeded' | 'failed';
  /** The steps the task went on to (the chosen case for a switch). */
  next: string[];
  numSplits?: number;
  /** Set when this task ended the run. */
  runStatus?: 'succeeded' | 'failed';
}

function bad(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

export async function runStep(o: StepOptions): Promise<StepResult> {
  const runId = checkRunId(o.runId);
  const taskId = checkTaskId(o.taskId);
  const attempt = o.retryCount ?? 0;
  if (!Number.isInteger(attempt) || attempt < 0) throw bad(`--retry-count must be a whole number of at least 0; got ${attempt}.`);
  const maxNumSplits = o.maxNumSplits ?? 100;
  if (!Number.isInteger(maxNumSplits) || maxNumSplits < 1) throw bad(`--max-num-splits must be a whole number of at least 1; got ${maxNumSplits}.`);
  const inputs = o.inputPaths === undefined ? [] : parseInputPaths(o.inputPaths);
  const env = o.env ?? process.env;
  const config = resolveStoreConfig({ ...(o.cwd ? { cwd: o.cwd } : {}), env });
  const loaded = await prepareFlow({ flowFile: o.flowFile, ...(o.cwd ? { cwd: o.cwd } : {}) }, config);
  const flow = loaded.flowClass.name;
  const reporter = o.reporter ?? new LogReporter();
  const [artifacts, metadata] = await Promise.all([openArtifactStore(config), openMetadataStore(config, { create: true })]);
  try {
    const row = await metadata.getRun(flow, runId);
    if (!row) throw bad(`Run ${flow}/${runId} is not recorded in ${metadata.location}; record it with \`cairn init-run ${o.flowFile} --run-id ${runId}\` first.`);
    if (row.status !== 'running') throw bad(`Run ${flow}/${runId} has ${row.status}; a finished run takes no more tasks.`);
    if (row.codePackage !== loaded.codeSha) {
      throw bad(
        `${o.flowFile} is not the code run ${flow}/${runId} was recorded with (code package ${loaded.codeSha.slice(0, 12)}, the run's ${String(row.codePackage).slice(0, 12)}): ` +
          'every task of a run must run the flow that `cairn init-run` recorded; use the same image for all of them.',
      );
    }
    const settings = settingsOf(stepsOf(loaded.flowClass).get(o.step)?.decorators ?? {});
    const retries = settings.retry?.times ?? 0;
    if (attempt > Math.min(retries, MAX_RETRIES)) {
      throw bad(`--retry-count ${attempt} is more than step ${o.step} allows: it has ${retries === 0 ? 'no @retry' : `@retry({ times: ${retries} })`}, so its attempts are 0${retries ? ` to ${retries}` : ''}.`);
    }
    const plan = await planStep({ graph: loaded.graph, runId, step: o.step, inputs, ...(o.splitIndex !== undefined ? { splitIndex: o.splitIndex } : {}), metadata, artifacts });
    const key: TaskKey = { flow, runId, step: o.step, taskId };
    // A deployment of a @project flow reads other runs in its own namespace (production:<project>.<branch>).
    const namespace = row.systemTags.find((t) => t.startsWith('production:'));
    const tag = (prefix: string) => row.systemTags.find((t) => t.startsWith(prefix))?.slice(prefix.length);
    const [projectName, branch] = [tag('project:'), tag('project_branch:')];
    const project = projectName !== undefined && branch !== undefined ? { name: projectName, branch } : undefined;
    await checkNotRecorded(metadata, key, attempt, plan);
    const cards = taskCardsByStep(loaded.graph, new Map([[o.step, settings.cards]])).get(o.step);
    const spec = (n: number, fallback?: TaskSpec['fallback']) =>
      taskSpec({
        key, attempt: n, node: plan.node, settings, codeSha: loaded.codeSha, sourceFile: loaded.file,
        codeDir: loaderDirs(loaded.file, config.root).codeDir, store: config, parents: plan.parents.map((p) => p.key),
        foreachStack: plan.foreachStack, maxNumSplits, user: currentUser(env), tags: row.userTags,
        parameterNames: Object.keys(row.params), originRunId: row.originRunId, ...(namespace ? { namespace } : {}), ...(project ? { project } : {}), ...(fallback ? { fallback } : {}),
        ...(cards ? { cards } : {}),
      });
    const task = new OneTask({ metadata, artifacts, reporter, key, plan, settings, env: namespace ? { ...env, CAIRN_NAMESPACE: namespace } : env });
    let r = await task.attempt(spec(attempt), attempt === 0 ? 'first' : 'retry');
    const final = attempt >= retries;
    if (!r.outcome.ok && final && settings.catchError) {
      const exception = r.outcome.exception;
      r = await task.attempt(spec(attempt + 1, { var: settings.catchError.var, exception }), 'fallback');
    }
    const result: StepResult = r.outcome.ok
      ? { status: 'succeeded', next: r.outcome.next, ...(r.outcome.foreach ? { numSplits: r.outcome.foreach.numSplits } : {}) }
      : { status: 'failed', next: [] };
    if (r.outcome.ok && o.step === loaded.graph.end) result.runStatus = 'succeeded';
    if (!r.outcome.ok && final) result.runStatus = 'failed';
    if (result.runStatus) {
      await metadata.finishRun(flow, runId, result.runStatus, Date.now());
      const failure = r.outcome.ok ? undefined : { step: o.step, taskId, exception: r.outcome.exception };
      reporter.runFinished({ flow, runId, status: result.runStatus, interrupted: false, ...(failure ? { failure } : {}) }, userFrames(failure?.exception.stack));
    }
    if (o.outputDir !== undefined) writeOutputs(o.outputDir, taskId, r.outcome.ok ? r.outcome : undefined);
    return result;
  } finally {
    reporter.flush();
    await metadata.close();
    await artifacts.close?.();
  }
}

/** A task that succeeded, an attempt recorded already, or other parents than before: refused before anything runs. */
async function checkNotRecorded(metadata: MetadataStore, key: TaskKey, attempt: number, plan: StepPlan): Promise<void> {
  const row = await metadata.getTask(key);
  if (!row) return;
  const path = `${key.flow}/${key.runId}/${key.step}/${key.taskId}`;
  if (row.status === 'succeeded') throw bad(`Task ${path} has succeeded already; a task never runs again once it succeeded.`);
  if (row.status === 'failed') throw bad(`Task ${path} has failed for good (its retries are spent); resume the run to run it again.`);
  const parents = plan.parents.map((p) => `${p.key.step}/${p.key.taskId}`);
  if (parents.join(',') !== row.parents.join(',')) {
    throw bad(`Task ${path} was recorded with the inputs ${row.parents.join(',')}, not ${parents.join(',')}; give each task an id of its own.`);
  }
  if ((await metadata.listAttempts(key)).some((a) => a.attempt >= attempt)) {
    throw bad(`Attempt ${attempt} of task ${path} is recorded already; a retry must come with a higher --retry-count.`);
  }
}

function writeOutputs(dir: string, taskId: string, success: TaskSuccess | undefined): void {
  mkdirSync(dir, { recursive: true });
  const n = success?.foreach?.numSplits ?? 0;
  const files: Record<string, string> = {
    'task-id': taskId,
    next: (success?.next ?? []).join(','),
    'num-splits': String(n),
    'split-indices': JSON.stringify(Array.from({ length: n }, (_, i) => i)),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

interface OneTaskSetup {
  metadata: MetadataStore;
  artifacts: ArtifactStore;
  reporter: RunReporter;
  key: TaskKey;
  plan: StepPlan;
  settings: StepSettings;
  env: NodeJS.ProcessEnv;
}

/** Runs attempts of one task in a worker process and records them as `RunExecution` does. */
class OneTask {
  constructor(private readonly s: OneTaskSetup) {}

  async attempt(spec: TaskSpec, kind: 'first' | 'retry' | 'fallback'): Promise<ExecutionResult> {
    const { metadata, reporter, key, plan } = this.s;
    const pool = new LocalPool({ maxWorkers: 1, env: this.s.env });
    const ref: TaskRef = { runId: key.runId, step: key.step, taskId: key.taskId, attempt: spec.attempt };
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let writes: Promise<unknown> = Promise.resolve();
    const seconds = this.s.settings.timeoutSeconds;
    let r: ExecutionResult;
    try {
      r = await pool.submit(
        spec,
        {
          onStart: (pid) => {
            ref.pid = pid;
            reporter.taskStarting(ref, kind);
            const now = Date.now();
            writes = writes.then(async () => {
              if (!(await metadata.getTask(key))) {
                await metadata.createTask({ ...key, createdAt: now, foreachStack: plan.foreachStack, parents: plan.parents.map((p) => `${p.key.step}/${p.key.taskId}`) });
              }
              await metadata.startAttempt(key, spec.attempt, now, pid);
            });
            if (seconds !== undefined && !spec.fallback) {
              timer = setTimeout(
                () => abort.abort({ type: 'TimeoutError', message: `Step ${key.step} timed out after ${formatSeconds(seconds)}.` } satisfies TaskException),
                seconds * 1000,
              );
            }
          },
          onLog: (stream, lines, at) => reporter.taskOutput(ref, stream, lines, at),
        },
        abort.signal,
      );
    } finally {
      if (timer) clearTimeout(timer);
      await pool.shutdown();
    }
    await writes;
    if (ref.pid === undefined) {
      // The worker failed before the task started: the attempt is still recorded, with its failure.
      if (!(await metadata.getTask(key))) {
        await metadata.createTask({ ...key, createdAt: Date.now(), foreachStack: plan.foreachStack, parents: plan.parents.map((p) => `${p.key.step}/${p.key.taskId}`) });
      }
      await metadata.startAttempt(key, spec.attempt, Date.now(), null);
    }
    const { outcome } = r;
    const now = Date.now();
    await metadata.finishAttempt(key, spec.attempt, {
      status: outcome.ok ? 'succeeded' : 'failed', finishedAt: now, exception: outcome.ok ? null : outcome.exception, logs: r.logs,
    });
    if (outcome.ok) {
      await metadata.finishTask(key, 'succeeded', now, spec.attempt);
      if (outcome.foreach) reporter.taskSplit(ref, outcome.foreach.numSplits);
      reporter.taskSucceeded(ref);
      return r;
    }
    const retries = this.s.settings.retry?.times ?? 0;
    const next = kind !== 'fallback' && spec.attempt < retries ? 'retry' : kind !== 'fallback' && this.s.settings.catchError ? 'fallback' : 'none';
    reporter.taskFailed(ref, outcome.exception, next, !(next === 'fallback' && this.s.settings.catchError?.printException === false));
    if (next === 'none') await metadata.finishTask(key, 'failed', now, null);
    return r;
  }
}
