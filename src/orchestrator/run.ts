/**
 * `executeRun`: validates a flow, records a new run and executes it on the chosen executor (the
 * local worker pool, or the queue that `cairn worker` processes take tasks from).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError, isCairnError } from '../errors.js';
import { codeFileName, unlinkCodePackage } from '../core/code-package.js';
import { currentUser } from '../core/identity.js';
import { heartbeatInterval } from '../core/liveness.js';
import { MAX_USER_TAGS, validateTags } from '../core/tags.js';
import type { FlowSpec } from '../authoring/flow-spec.js';
import { formatLintIssue, topologicalOrder } from '../graph/index.js';
import { openArtifactStore, openMetadataStore, resolveStoreConfig, type StoreConfig } from '../storage/config.js';
import type { ArtifactInfo, ArtifactStore, MaintainedArtifactStore, MetadataStore } from '../storage/types.js';
import { createExecutor, resolveExecutorSettings } from './executors/choose.js';
import type { Executor } from './executors/types.js';
import { loadFlow, loaderDirs, type LoadedFlow } from './load-flow.js';
import { newRunId } from './run-ids.js';
import { Heartbeat } from './heartbeat.js';
import { StopSignals } from './stop-signals.js';
import { checkRunIdFile, writeRunIdFile } from './run-id-file.js';
import type { RunReporter, RunSummary } from './reporter.js';
import { chooseReporter } from './progress-reporter.js';
import { RunExecution, userFrames } from './run-execution.js';
import { StepCache } from './step-cache.js';
import type { PrepareInputs } from './run-inputs.js';
import { parameterInputs, parameterProblems } from './parameters.js';
import { parseDecoratorSpecs, stepDecorators } from './decorator-specs.js';
import { flowDecoratorProblems, projectOf } from './flow-decorators.js';
import { stepsOf } from '../authoring/metadata.js';
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
  /** How the run is shown; by default the live progress view on a terminal, else the plain log. */
  reporter?: RunReporter;
  /** `false`: the plain log even on a terminal (`--no-progress`). */
  progress?: boolean;
  /** `local` or `queue` (default: `CAIRN_EXECUTOR`, the config file's `executor`, else `local`). */
  executor?: string;
  /** `--with` specs: step decorators added to every step that does not have them (`retry`, `timeout:seconds=60`). */
  decorators?: string[];
  /** `true`: the step cache for every step (`--cache`); `false`: for none (`--no-cache`); default: the steps with `@cache`. */
  cache?: boolean;
  /** For a `@project` flow: `--branch NAME` (the branch `test.NAME`); default `CAIRN_BRANCH`, else `user.<you>`. */
  branch?: string;
  /** For a `@project` flow: `--production` (the branch `prod`); default `CAIRN_PRODUCTION`. */
  production?: boolean;
}

export type RunResult = RunSummary;

export type { RunInputs, PrepareInputs } from './run-inputs.js';

function checkLimits(options: RunOptions): { maxWorkers: number; maxNumSplits: number } {
  const maxWorkers = options.maxWorkers ?? 16;
  const maxNumSplits = options.maxNumSplits ?? 100;
  for (const [name, v] of [['--max-workers', maxWorkers], ['--max-num-splits', maxNumSplits]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new CairnError('INVALID_ARGUMENT', `${name} must be a whole number of at least 1; got ${v}.`);
  }
  return { maxWorkers, maxNumSplits };
}

/** Loads and validates the flow (lint and parameter-definition errors reject with code LINT before anything is stored). */
export async function prepareFlow(options: RunOptions, config: StoreConfig): Promise<LoadedFlow> {
  const loaded = await loadFlow(options.flowFile, { ...loaderDirs(options.flowFile, config.root), ...(options.flowClass ? { flowClass: options.flowClass } : {}) });
  const issues = [...loaded.issues.map(formatLintIssue), ...parameterProblems(loaded.flowClass), ...flowDecoratorProblems(loaded.flowClass)];
  if (issues.length) {
    throw new CairnError('LINT', `Validity checker found an issue in ${loaded.flowClass.name}:\n${issues.join('\n')}`);
  }
  return loaded;
}

/** Puts the code package in the store (a cached flow's package normally is there already). */
export async function storeCodePackage(loaded: LoadedFlow, artifacts: ArtifactStore, config: StoreConfig): Promise<string> {
  const { code, codeSha } = loaded;
  if (code !== undefined) return artifacts.putBlob(Buffer.from(code));
  // Refreshed rather than only looked up, so that a `gc` running now keeps it.
  const store = artifacts as Partial<MaintainedArtifactStore>;
  if ((await (store.touchBlobs ? store.touchBlobs([codeSha]) : artifacts.hasBlobs([codeSha]))).has(codeSha)) return codeSha;
  const local = readFileSync(join(loaderDirs(loaded.file, config.root).codeDir, codeFileName(codeSha)), 'utf8');
  const stored = await artifacts.putBlob(Buffer.from(unlinkCodePackage(local)));
  if (stored !== codeSha) {
    throw new CairnError('STORE', `The cached code package of ${loaded.file} does not match its address; delete ${config.root}/cache and run again.`);
  }
  return stored;
}

export function systemTags(user: string): string[] {
  return [`user:${user}`, 'runtime:node', `cairn_version:${VERSION}`, `node_version:${process.versions.node}`];
}

async function createRun(
  metadata: MetadataStore,
  run: { flow: string; user: string; tags: string[]; systemTags: string[]; params: Record<string, unknown>; codeSha: string; originRunId?: string; heartbeatIntervalMs: number },
): Promise<string> {
  for (let tries = 0; ; tries++) {
    const runId = String(BigInt(newRunId()) + BigInt(tries));
    try {
      await metadata.createRun({
        flow: run.flow, runId, user: run.user, createdAt: Date.now(), userTags: run.tags, systemTags: run.systemTags,
        params: run.params, codePackage: run.codeSha, originRunId: run.originRunId ?? null, heartbeatIntervalMs: run.heartbeatIntervalMs,
      });
      return runId;
    } catch (e) {
      if (tries >= 20 || (e as CairnError).code !== 'INVALID_ARGUMENT') throw e;
    }
  }
}

/**
 * A recorded run stopped by an error before it could record its end: records it as failed, and
 * returns the error to report (saying so when the end could not be recorded either).
 */
async function recordFailedEnd(metadata: MetadataStore, flow: string, runId: string, error: unknown): Promise<unknown> {
  try {
    const row = await metadata.getRun(flow, runId);
    if (row?.status === 'running') await metadata.finishRun(flow, runId, 'failed', Date.now());
    return error;
  } catch (e) {
    const first = error instanceof Error ? error.message : String(error);
    return new CairnError(
      isCairnError(error) ? error.code : 'STORE',
      `${first}\nThe end of run ${flow}/${runId} could not be recorded either (${(e as Error)?.message ?? String(e)}); ` +
        'readers of the store will see it as failed (lost) once its heartbeat is old.',
      { cause: error },
    );
  }
}

/** Runs a flow: the whole of `cairn run` (and, with `prepare` giving clones, of `cairn resume`). */
export async function executeRun(options: RunOptions, prepare?: PrepareInputs): Promise<RunResult> {
  const limits = checkLimits(options);
  const withSpecs = parseDecoratorSpecs(options.decorators ?? []);
  const beatEvery = heartbeatInterval(options.env ?? process.env);
  if (options.runIdFile !== undefined) checkRunIdFile(options.runIdFile);
  const config = resolveStoreConfig({ ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.env ? { env: options.env } : {}) });
  const user = currentUser(options.env);
  const tags = validateTags(options.tags ?? [], '--tag').filter((t) => !systemTags(user).includes(t));
  if (tags.length > MAX_USER_TAGS) {
    throw new CairnError('INVALID_ARGUMENT', `A run can have at most ${MAX_USER_TAGS} user tags; ${tags.length} were given.`);
  }
  const reporter = options.reporter ?? chooseReporter({ env: options.env ?? process.env, progress: options.progress });
  // Started before the flow loads (the local pool forks its first process; the queue connects).
  const settings = resolveExecutorSettings({ localRoot: config.root, ...(options.env ? { env: options.env } : {}), ...(options.executor ? { option: options.executor } : {}) });
  const starting = createExecutor(settings, { maxWorkers: limits.maxWorkers, notice: (text) => reporter.notice(text), ...(options.env ? { env: options.env } : {}) });
  starting.catch(() => {}); // a flow that fails to load is reported first
  let pool: Executor | undefined;
  try {
    const loaded = await prepareFlow(options, config);
    const project = projectOf(loaded.flowClass, user, { branch: options.branch, production: options.production }, options.env ?? process.env);
    const system = [...systemTags(user), ...(project?.systemTags ?? [])];
    const decorators = stepDecorators(loaded.graph, new Map([...stepsOf(loaded.flowClass)].map(([name, d]) => [name, d.decorators])), withSpecs);
    reporter.validated(loaded.flowClass.name, user, topologicalOrder(loaded.graph));
    pool = await starting;
    const [artifacts, metadata] = await Promise.all([openArtifactStore(config), openMetadataStore(config, { create: true })]);
    try {
      const prepareInputs = prepare ?? parameterInputs({ ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) });
      const inputs = await prepareInputs({ loaded, artifacts, metadata, reporter });
      const codeSha = await storeCodePackage(loaded, artifacts, config);
      const runId = await createRun(metadata, {
        flow: loaded.flowClass.name, user, tags: tags.filter((t) => !system.includes(t)), systemTags: system, params: inputs.parameters.values, codeSha, heartbeatIntervalMs: beatEvery,
        ...(inputs.clones ? { originRunId: inputs.clones.originRunId } : {}),
      });
      const flow = loaded.flowClass.name;
      const heartbeat = new Heartbeat(metadata, { flow, runId }, beatEvery, (text) => reporter.notice(text));
      const signals = new StopSignals((text) => reporter.notice(text));
      try {
        if (options.runIdFile) writeRunIdFile(options.runIdFile, runId);
        reporter.runStarting(runId);
        const cache = new StepCache({
          flow, flowFile: loaded.file, graph: loaded.graph, codeSha, namespace: `user:${user}`, artifacts, metadata, decorators,
          mode: options.cache,
        });
        const execution = new RunExecution({
          loaded, config, artifacts, metadata, executor: pool, reporter, runId, user, tags, signals,
          maxNumSplits: limits.maxNumSplits, maxWorkers: limits.maxWorkers, parameters: inputs.parameters, decorators,
          ...(inputs.clones ? { clones: inputs.clones } : {}),
          cache,
          ...(project ? { project: { name: project.project, branch: project.branch } } : {}),
        });
        const summary = await execution.execute(codeSha);
        reporter.runFinished(summary, userFrames(summary.failure?.exception.stack));
        return summary;
      } catch (e) {
        // The run is recorded: whatever stopped it, it must not stay "running".
        throw await recordFailedEnd(metadata, flow, runId, e);
      } finally {
        signals.dispose();
        heartbeat.stop();
      }
    } finally {
      await metadata.close();
      await artifacts.close?.();
    }
  } finally {
    await (pool ?? (await starting.catch(() => undefined)))?.shutdown();
    reporter.flush();
  }
}
