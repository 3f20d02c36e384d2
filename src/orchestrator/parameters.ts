/**
 * A flow's parameters and class constants: found by creating one instance of the flow class
 * (parameters are fields holding `Parameter()` / `IncludeFile()` markers) and reading its static
 * properties (constants), checked, resolved for a run, and stored as the record of the run's
 * `_parameters` task, which every task inherits read-only.
 */
import { CairnError } from '../errors.js';
import { PARAMETERS_STEP, PARAMETERS_TASK_ID } from '../core/types.js';
import { FlowSpec } from '../authoring/flow-spec.js';
import { stepsOf } from '../authoring/metadata.js';
import { parameterDefinitionOf } from '../authoring/parameter.js';
import { encodeArtifact, type EncodedArtifact } from '../storage/codec.js';
import type { ArtifactInfo, ArtifactStore, MaintainedArtifactStore, MetadataStore } from '../storage/types.js';
import type { LoadedFlow } from './load-flow.js';
import type { PrepareInputs, RunInputs } from './run-inputs.js';
import { envVarName, resolveParameters, type FlowParameter, type ResolveOptions, type ResolvedParameter } from './parameter-values.js';

export { envVarName, resolveParameters, type FlowParameter, type ResolveOptions, type ResolvedParameter } from './parameter-values.js';

/** A static property of the flow class that is stored with the parameters. */
export interface FlowConstant {
  name: string;
  value: unknown;
  encoded: EncodedArtifact;
}

export interface FlowParameters {
  flow: string;
  /** In field order. */
  parameters: FlowParameter[];
  constants: FlowConstant[];
}

/** Option names a parameter cannot have: the options of `run` and Metaflow's reserved names. */
export const RESERVED_PARAMETER_NAMES: readonly string[] = [
  'params', 'with', 'tag', 'namespace', 'obj', 'tags', 'decospecs', 'run-id-file', 'max-num-splits', 'max-workers',
  'max-log-size', 'user-namespace', 'run-id', 'task-id', 'runner-attribute-file', 'origin-run-id', 'help',
  'branch', 'production', 'cache', 'no-cache', 'no-progress', 'executor',
];

/** Members of every flow instance that a parameter or constant would hide. */
const FLOW_MEMBERS = ['next', 'input', 'index', 'foreachStack', 'mergeArtifacts', 'setCompression'];

/** Names compare ignoring case, with `-` and `_` the same (they share `CAIRN_RUN_<NAME>`). */
const fold = (name: string): string => name.toLowerCase().replace(/_/g, '-');

function invalid(flow: string, message: string): CairnError {
  return new CairnError('INVALID_FLOW', `${flow}: ${message}`);
}

function instantiate(flowClass: typeof FlowSpec): Record<string, unknown> {
  try {
    return new (flowClass as unknown as new () => Record<string, unknown>)();
  } catch (e) {
    if (e instanceof CairnError) throw e;
    const err = e as Error;
    throw new CairnError(
      'INVALID_FLOW',
      `Creating an instance of ${flowClass.name} to find its parameters failed: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}. ` +
        'Keep field initialisers free of side effects that can fail.',
      { cause: e },
    );
  }
}

function findParameters(flowClass: typeof FlowSpec, steps: ReadonlySet<string>): FlowParameter[] {
  const flow = flowClass.name;
  const instance = instantiate(flowClass);
  const out: FlowParameter[] = [];
  const seen = new Map<string, FlowParameter>();
  for (const field of Object.keys(instance)) {
    const def = parameterDefinitionOf(instance[field]);
    if (!def) continue;
    const what = `${def.kind === 'file' ? 'IncludeFile' : 'Parameter'} --${def.name} (field ${field})`;
    if (RESERVED_PARAMETER_NAMES.map(fold).includes(fold(def.name))) {
      throw invalid(flow, `${what}: '${def.name}' is a reserved name (an option of cairn run, or reserved as in Metaflow). Choose another name.`);
    }
    for (const n of new Set([def.name, field])) {
      if (steps.has(n)) throw invalid(flow, `${what} is named like the step ${n}. Rename the parameter or the step.`);
    }
    if (FLOW_MEMBERS.includes(field)) throw invalid(flow, `${what}: the field ${field} would hide this.${field} of FlowSpec. Rename the field.`);
    const twin = seen.get(fold(def.name));
    if (twin) {
      throw invalid(
        flow,
        `the parameters --${twin.name} (field ${twin.field}) and --${def.name} (field ${field}) have the same name: names are compared ` +
          `ignoring case and with '-' the same as '_', since both would be set by ${envVarName(def.name)}. Rename one.`,
      );
    }
    const p: FlowParameter = { ...def, field };
    seen.set(fold(def.name), p);
    out.push(p);
  }
  return out;
}

/** Own static properties of the class and its bases up to FlowSpec that can be stored. */
function findConstants(flowClass: typeof FlowSpec, params: readonly FlowParameter[], steps: ReadonlySet<string>): FlowConstant[] {
  const flow = flowClass.name;
  const out: FlowConstant[] = [];
  const seen = new Set<string>();
  for (let c: unknown = flowClass; typeof c === 'function' && c !== FlowSpec && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const cls = c as unknown as Record<string, unknown> & { name: string };
    for (const name of Object.keys(cls)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const value = cls[name];
      const def = parameterDefinitionOf(value);
      if (def) {
        throw invalid(flow, `the static field ${cls.name}.${name} holds ${def.kind === 'file' ? 'IncludeFile' : 'Parameter'}('${def.name}'). ` +
          `Parameters are instance fields: write \`${name} = ...\` without static.`);
      }
      if (typeof value === 'function') continue;
      let encoded: EncodedArtifact;
      try {
        encoded = encodeArtifact(value, { name, step: PARAMETERS_STEP });
      } catch {
        continue;
      }
      const clash = params.find((p) => p.field === name);
      if (clash) throw invalid(flow, `the class constant ${name} and the parameter --${clash.name} (field ${name}) have the same name. Rename one.`);
      if (steps.has(name)) throw invalid(flow, `the class constant ${name} is named like a step. Rename the constant or the step.`);
      if (FLOW_MEMBERS.includes(name)) throw invalid(flow, `the class constant ${name} would hide this.${name} of FlowSpec. Rename it.`);
      out.push({ name, value, encoded });
    }
  }
  return out;
}

/**
 * Finds and checks a flow's parameters (fields holding `Parameter()` / `IncludeFile()`) and class
 * constants. Throws `INVALID_FLOW` for a definition that cannot work.
 */
export function discoverParameters(flowClass: typeof FlowSpec): FlowParameters {
  const decorated = stepsOf(flowClass);
  const steps = new Set(decorated.keys());
  const parameters = findParameters(flowClass, steps);
  const constants = findConstants(flowClass, parameters, steps);
  for (const [step, d] of decorated) {
    const v = d.decorators['catchError']?.['var'];
    if (typeof v !== 'string') continue;
    const clash = parameters.find((p) => p.field === v)?.name ?? constants.find((c) => c.name === v)?.name;
    if (clash !== undefined) {
      throw invalid(flowClass.name, `@catchError on step ${step} stores the failure in '${v}', which is a ${parameters.some((p) => p.field === v) ? 'parameter' : 'class constant'} (read-only in every step). Choose another var.`);
    }
  }
  return { flow: flowClass.name, parameters, constants };
}

/** Problems with a flow's `Parameter()` / `IncludeFile()` definitions and class constants, as lines. */
export function parameterProblems(flowClass: typeof FlowSpec): string[] {
  try {
    discoverParameters(flowClass);
    return [];
  } catch (e) {
    if (e instanceof CairnError && e.code === 'INVALID_FLOW') return [e.message];
    throw e;
  }
}

/** Puts the values and constants in the artifact store: the `_parameters` record of a run. */
export async function storeParameters(found: FlowParameters, resolved: readonly ResolvedParameter[], store: ArtifactStore): Promise<RunInputs['parameters']> {
  const encoded: Array<[string, EncodedArtifact]> = [
    ...resolved.map((r) => [r.param.field, encodeArtifact(r.value, { name: r.param.field, step: PARAMETERS_STEP })] as [string, EncodedArtifact]),
    ...found.constants.map((c) => [c.name, c.encoded] as [string, EncodedArtifact]),
  ];
  const infos = await Promise.all(
    encoded.map(async ([name, e]): Promise<[string, ArtifactInfo]> => [
      name,
      { sha: await store.putBlob(e.parts), size: e.size, type: e.type, encoding: e.encoding },
    ]),
  );
  return {
    artifacts: Object.fromEntries(infos),
    names: found.parameters.map((p) => p.field),
    values: Object.fromEntries(resolved.map((r) => [r.param.field, r.display])),
  };
}

/**
 * The inputs of a new run: `executeRun(options, parameterInputs({ given: args.extra }))`. Checks
 * every parameter before anything is recorded.
 */
export function parameterInputs(options: ResolveOptions = {}): PrepareInputs {
  return async ({ loaded, artifacts }) => {
    const found = discoverParameters(loaded.flowClass);
    const resolved = resolveParameters(found.flow, found.parameters, { flowFile: loaded.file, ...options });
    return { parameters: await storeParameters(found, resolved, artifacts) };
  };
}

/** `parameterInputs({ given, env })`: command-line values by option name, and the environment. */
export function prepareParameters(given: Readonly<Record<string, readonly string[]>> = {}, env?: NodeJS.ProcessEnv): PrepareInputs {
  return parameterInputs({ given, ...(env ? { env } : {}) });
}

/**
 * For resume: the parameters of the origin run, reused as they are (its `_parameters` record and
 * recorded values). Fails when the flow now has a parameter the origin run did not have.
 */
export async function reuseParameters(
  ctx: { loaded: LoadedFlow; artifacts: ArtifactStore; metadata: MetadataStore },
  originRunId: string,
): Promise<RunInputs['parameters']> {
  const flow = ctx.loaded.flowClass.name;
  const [row, record] = await Promise.all([
    ctx.metadata.getRun(flow, originRunId),
    ctx.artifacts.getTaskRecord({ flow, runId: originRunId, step: PARAMETERS_STEP, taskId: PARAMETERS_TASK_ID }, 0),
  ]);
  if (!row || !record) {
    throw new CairnError('NOT_FOUND', `Run ${flow}/${originRunId} has no recorded parameters to reuse; it may not exist in this store.`);
  }
  const names = Object.keys(row.params);
  const added = discoverParameters(ctx.loaded.flowClass).parameters.filter((p) => !(p.field in record.artifacts));
  if (added.length) {
    throw new CairnError(
      'INVALID_ARGUMENT',
      `${flow} now has ${added.map((p) => `--${p.name}`).join(', ')}, which run ${originRunId} did not have. A resumed run reuses the ` +
        'parameters of the run it resumes; start a new run with `cairn run` instead.',
    );
  }
  // Refreshed (see `MaintainedArtifactStore`), so that a `gc` running now keeps the values reused.
  const store = ctx.artifacts as Partial<MaintainedArtifactStore>;
  const shas = [...new Set(Object.values(record.artifacts).map((a) => a.sha))];
  const present = store.touchBlobs ? await store.touchBlobs(shas) : await ctx.artifacts.hasBlobs(shas);
  if (present.size < shas.length) {
    throw new CairnError('NOT_FOUND', `Some parameter values of run ${flow}/${originRunId} are no longer in the store (deleted by \`cairn gc\`?); start a new run with \`cairn run\` instead.`);
  }
  return { artifacts: { ...record.artifacts }, names, values: { ...row.params } };
}

function showDefault(p: FlowParameter): string {
  if (p.computed) return 'computed when the run starts';
  if (p.kind === 'file') return String(p.default);
  return JSON.stringify(p.default);
}

function metavar(p: FlowParameter): string {
  if (p.kind === 'file') return 'PATH';
  if (p.separator !== undefined) return 'LIST';
  return p.type.toUpperCase();
}

/**
 * One line per parameter, for `run --help` and `show`:
 * `--alpha NUMBER    learning rate (number, default: 0.01)`.
 */
export function describeParameters(params: readonly FlowParameter[]): string[] {
  return params.map((p) => {
    const type =
      p.kind === 'file' ? `${p.isText ? 'text' : 'binary'} file` : p.separator !== undefined ? `strings separated by ${JSON.stringify(p.separator)}` : p.type;
    const details = [type, p.required ? 'required' : p.hasDefault ? `default: ${showDefault(p)}` : 'optional'].join(', ');
    const left = p.kind === 'parameter' && p.type === 'boolean' ? `--[no-]${p.name}` : `--${p.name} ${metavar(p)}`;
    return `${left.padEnd(26)} ${p.help ? `${p.help} ` : ''}(${details})`;
  });
}
