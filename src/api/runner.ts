/**
 * Running flows from programs and tests: `await runFlow('flow.ts', { params, tags })` runs the flow
 * as `cairn run` does and resolves to the client `Run` with the outcome. The CLI is a thin layer
 * over the same functions.
 */
import type { Run } from '../client/run.js';
import type { RunOptions } from '../orchestrator/run.js';
import type { RunReporter } from '../orchestrator/reporter.js';

export interface RunFlowOptions {
  /** Parameter values by parameter name (strings, numbers, booleans, or JSON-able values). */
  params?: Record<string, unknown>;
  tags?: string[];
  maxWorkers?: number;
  maxNumSplits?: number;
  /** Folder to run in (where `.cairn/` is looked up); default the current one. */
  cwd?: string;
  /** The run's environment (the store, the user, `CAIRN_RUN_*` parameters, and the tasks'); default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Print the run's console log, as `cairn run` does (default false). */
  output?: boolean;
  runIdFile?: string;
  /** `local` or `queue` (default: `CAIRN_EXECUTOR`, the config file's `executor`, else `local`). */
  executor?: 'local' | 'queue';
  /** `true`: the step cache for every step (`run --cache`); `false`: for none, `@cache` steps included (`--no-cache`). */
  cache?: boolean;
  /** Step decorators added to every step that does not have them, as `cairn run --with`: `['retry', 'timeout:seconds=60']`. */
  with?: string[];
}

/** Parameter values as the CLI would have received them. */
function asCliValues(params: Record<string, unknown> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, v] of Object.entries(params ?? {})) {
    out[name] = [typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)];
  }
  return out;
}

async function runOptions(file: string, options: RunFlowOptions): Promise<RunOptions> {
  const { LogReporter, silentReporter } = await import('../orchestrator/reporter.js');
  const reporter: RunReporter = options.output ? new LogReporter() : silentReporter();
  return {
    flowFile: file,
    reporter,
    ...(options.tags ? { tags: options.tags } : {}),
    ...(options.maxWorkers !== undefined ? { maxWorkers: options.maxWorkers } : {}),
    ...(options.maxNumSplits !== undefined ? { maxNumSplits: options.maxNumSplits } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.runIdFile ? { runIdFile: options.runIdFile } : {}),
    ...(options.executor ? { executor: options.executor } : {}),
    ...(options.with ? { decorators: options.with } : {}),
    ...(options.cache !== undefined ? { cache: options.cache } : {}),
  };
}

async function finishedRun<F>(options: RunFlowOptions, flow: string, runId: string): Promise<Run<F>> {
  const [{ Run }, { resolveStoreConfig }] = await Promise.all([import('../client/run.js'), import('../storage/config.js')]);
  const config = resolveStoreConfig({ ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.env ? { env: options.env } : {}) });
  return Run.at<F>(config, flow, runId);
}

/**
 * Runs a flow file and resolves to its `Run` (check `run.successful`). Rejects, having stored
 * nothing, when the flow or its parameters are invalid.
 *
 * @example
 * ```ts
 * import { runFlow } from 'cairnflow';
 * const run = await runFlow('flow.ts', { params: { alpha: 0.1 } });
 * console.log(run.successful, await run.data.model);
 * ```
 */
export async function runFlow<F = unknown>(file: string, options: RunFlowOptions = {}): Promise<Run<F>> {
  const [{ executeRun }, { prepareParameters }] = await Promise.all([
    import('../orchestrator/run.js'),
    import('../orchestrator/parameters.js'),
  ]);
  const result = await executeRun(await runOptions(file, options), prepareParameters(asCliValues(options.params), options.env));
  return finishedRun<F>(options, result.flow, result.runId);
}

export interface ResumeFlowOptions extends Omit<RunFlowOptions, 'params'> {
  /** The run to resume; default the newest run of the flow. */
  originRunId?: string;
  /** Re-run this step and everything after it (default: only what failed or never ran). */
  step?: string;
  /** Resume an origin that is still running (not finished, not lost): its running tasks then run twice. */
  force?: boolean;
}

/** Resumes a run of a flow (see `cairn resume`) and resolves to the new `Run`. */
export async function resumeFlow<F = unknown>(file: string, options: ResumeFlowOptions = {}): Promise<Run<F>> {
  const { resumeRun } = await import('../orchestrator/resume.js');
  const result = await resumeRun({
    ...(await runOptions(file, options)),
    ...(options.originRunId ? { originRunId: options.originRunId } : {}),
    ...(options.step ? { step: options.step } : {}),
    ...(options.force ? { force: true } : {}),
  });
  return finishedRun<F>(options, result.flow, result.runId);
}
