/**
 * `cairn init-run`: records a run for a scheduler that runs its tasks one by one with `cairn step`
 * (an Argo workflow, a CI job, a shell script). It validates the flow and its parameters, puts the
 * code package in the artifact store, and records the run under the id the scheduler chose, with
 * its `_parameters` task. Nothing is recorded when any of that fails.
 */
import { CairnError } from '../errors.js';
import { currentUser } from '../core/identity.js';
import { MAX_USER_TAGS, validateTags } from '../core/tags.js';
import { openArtifactStore, openMetadataStore, resolveStoreConfig } from '../storage/config.js';
import { parameterInputs } from './parameters.js';
import type { GivenValue } from './parameter-values.js';
import { prepareFlow, storeCodePackage, systemTags } from './run.js';
import { silentReporter } from './reporter.js';
import { recordParametersTask } from './task-spec.js';
import { checkRunId } from './step-plan.js';
import { projectOf } from './flow-decorators.js';

export interface InitRunOptions {
  flowFile: string;
  runId: string;
  tags?: string[];
  /** Parameter values from the command line, by option name. */
  given?: Readonly<Record<string, ReadonlyArray<GivenValue>>>;
  /** The command's own options, to suggest one for a mistyped option. */
  commandOptions?: readonly string[];
  /** For a `@project` flow: `--branch NAME` (the branch `test.NAME`); default `CAIRN_BRANCH`, else `user.<you>`. */
  branch?: string;
  /** For a `@project` flow: `--production` (the branch `prod`); default `CAIRN_PRODUCTION`. */
  production?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface InitRunResult {
  flow: string;
  runId: string;
  codePackage: string;
  parameters: Record<string, unknown>;
}

export async function initRun(options: InitRunOptions): Promise<InitRunResult> {
  const runId = checkRunId(options.runId);
  const env = options.env ?? process.env;
  const config = resolveStoreConfig({ ...(options.cwd ? { cwd: options.cwd } : {}), env });
  const user = currentUser(env);
  const given = validateTags(options.tags ?? [], '--tag');
  const loaded = await prepareFlow({ flowFile: options.flowFile, ...(options.cwd ? { cwd: options.cwd } : {}) }, config);
  const flow = loaded.flowClass.name;
  // A deployment's runs also carry `production:<project>.<branch>`: the namespace their tasks read in.
  const project = projectOf(loaded.flowClass, user, { branch: options.branch, production: options.production }, env);
  const system = [...systemTags(user), 'runtime:scheduler', ...(project ? [...project.systemTags, project.deploymentNamespace] : [])];
  const tags = given.filter((t) => !system.includes(t));
  if (tags.length > MAX_USER_TAGS) {
    throw new CairnError('INVALID_ARGUMENT', `A run can have at most ${MAX_USER_TAGS} user tags; ${tags.length} were given.`);
  }
  const [artifacts, metadata] = await Promise.all([openArtifactStore(config), openMetadataStore(config, { create: true })]);
  try {
    if (await metadata.getRun(flow, runId)) {
      throw new CairnError('INVALID_ARGUMENT', `Run ${flow}/${runId} exists already; give each run of a scheduler an id of its own.`);
    }
    const prepare = parameterInputs({
      env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.given ? { given: options.given } : {}),
      ...(options.commandOptions ? { commandOptions: options.commandOptions } : {}),
    });
    const inputs = await prepare({ loaded, artifacts, metadata, reporter: silentReporter() });
    const codeSha = await storeCodePackage(loaded, artifacts, config);
    // A scheduler's run records no heartbeat of its own: it is finished by the task that ends it
    // (`cairn step` of the end step, or of a task that fails for good), never judged lost.
    await metadata.createRun({
      flow, runId, user, createdAt: Date.now(), userTags: tags, systemTags: system,
      params: inputs.parameters.values, codePackage: codeSha, originRunId: null, heartbeatIntervalMs: null,
    });
    try {
      await recordParametersTask(artifacts, metadata, { flow, runId, graph: loaded.graph, parameters: inputs.parameters.artifacts });
    } catch (e) {
      await metadata.finishRun(flow, runId, 'failed', Date.now()).catch(() => {});
      throw e;
    }
    return { flow, runId, codePackage: codeSha, parameters: inputs.parameters.values };
  } finally {
    await metadata.close();
    await artifacts.close?.();
  }
}
