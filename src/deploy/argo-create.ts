/**
 * `cairn argo-workflows create`: compiles a flow into the Kubernetes objects that run it on Argo
 * Workflows: the WorkflowTemplate, a CronWorkflow for `@schedule` and a Sensor for `@trigger` /
 * `@triggerOnFinish`. Refuses, naming what, a flow or an option the objects cannot express.
 */
import { isAbsolute, relative } from 'node:path';
import { CairnError } from '../errors.js';
import { currentUser } from '../core/identity.js';
import type { ProjectBranch } from '../core/project.js';
import { settingsOf, STEP_DECORATORS, type StepSettings } from '../authoring/decorators.js';
import { flowDecorationsOf } from '../authoring/flow-decorators.js';
import type { FlowSpec } from '../authoring/flow-spec.js';
import { stepsOf } from '../authoring/metadata.js';
import { resolveStoreConfig } from '../storage/config.js';
import { prepareFlow } from '../orchestrator/run.js';
import { discoverParameters, type FlowParameter } from '../orchestrator/parameters.js';
import { projectOf, unknownFlowProblems } from '../orchestrator/flow-decorators.js';
import { checkExportable, workflowTemplate, type ArgoParameter } from './argo-dag.js';
import { cronWorkflow, sensor } from './argo-events.js';
import { deploymentName } from './argo-names.js';

export interface ArgoCreateOptions {
  flowFile: string;
  /** The flow class, when the flow file itself is the program (`npx tsx flow.ts argo-workflows create`). */
  flowClass?: typeof FlowSpec;
  /** The image the containers run (default `CAIRN_ARGO_IMAGE`, else `cairn-flows:latest`). */
  image?: string;
  /** The Kubernetes namespace of the objects (default: none, kubectl's). */
  namespace?: string;
  branch?: string;
  production?: boolean;
  /** The ConfigMap and Secret with the store settings (default `cairn-store` for both). */
  configMap?: string;
  secret?: string;
  /** The project folder, which the image holds at /app (default: the current folder). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export interface ArgoDeployment {
  /** The WorkflowTemplate's name, e.g. `fraud.prod.scoreflow`. */
  name: string;
  flow: string;
  project?: ProjectBranch;
  /** The objects, WorkflowTemplate first. */
  objects: Array<Record<string, unknown>>;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/;

function bad(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

function cannot(flow: string, message: string): CairnError {
  return new CairnError('INVALID_FLOW', `${flow} cannot be exported to Argo Workflows: ${message}`);
}

/** A parameter's default as the text `--name=VALUE` takes. */
function argoParameter(flow: string, p: FlowParameter): ArgoParameter {
  if (p.computed) {
    throw cannot(flow, `parameter --${p.name} has a default function, and an Argo workflow parameter needs a fixed default. Give it a fixed default (or required: true).`);
  }
  if (!p.hasDefault) {
    if (p.required) return { name: p.name };
    throw cannot(flow, `parameter --${p.name} has no default and is not required, and an Argo workflow parameter always has a value. Give it a default, or required: true.`);
  }
  const d = p.default;
  const text = p.type === 'json' && p.kind !== 'file' ? JSON.stringify(d) : String(d);
  return { name: p.name, value: text };
}

const KNOWN = new Set(['step', ...Object.keys(STEP_DECORATORS)]);

function stepSettings(flowClass: Parameters<typeof stepsOf>[0], flow: string): Map<string, StepSettings> {
  const out = new Map<string, StepSettings>();
  for (const [name, d] of stepsOf(flowClass)) {
    const other = Object.keys(d.decorators).find((k) => !KNOWN.has(k));
    if (other) throw cannot(flow, `step ${name} has @${other}, which has no meaning on Argo Workflows. Remove it for the deployment.`);
    out.set(name, settingsOf(d.decorators));
  }
  return out;
}

export async function argoCreate(o: ArgoCreateOptions): Promise<ArgoDeployment> {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const image = o.image ?? env['CAIRN_ARGO_IMAGE'] ?? 'cairn-flows:latest';
  if (!IMAGE.test(image)) throw bad(`--image ${JSON.stringify(image)} is not an image reference, like registry.example.com/ml/flows:1.0.0.`);
  if (o.namespace !== undefined && !DNS_LABEL.test(o.namespace)) {
    throw bad(`--namespace ${JSON.stringify(o.namespace)} is not a Kubernetes namespace name: lowercase letters, digits and '-' (at most 63).`);
  }
  for (const [opt, v] of [['--config-map', o.configMap], ['--secret', o.secret]] as const) {
    if (v !== undefined && !DNS_NAME.test(v)) throw bad(`${opt} ${JSON.stringify(v)} is not a Kubernetes object name: lowercase letters, digits, '-' and '.'.`);
  }
  const config = resolveStoreConfig({ cwd, env });
  const loaded = await prepareFlow({ flowFile: o.flowFile, cwd, ...(o.flowClass ? { flowClass: o.flowClass } : {}) }, config);
  const flowClass = loaded.flowClass;
  const flow = flowClass.name;
  const flowFile = relative(cwd, loaded.file);
  if (flowFile.startsWith('..') || isAbsolute(flowFile)) {
    throw bad(`${loaded.file} is outside the current folder (${cwd}). Run create from the project folder that the image holds at /app.`);
  }
  const unknown = await unknownFlowProblems(flowClass, loaded.file, config);
  if (unknown.length) throw new CairnError('LINT', `Validity checker found an issue in ${flow}:\n${unknown.join('\n')}`);
  checkExportable(loaded.graph);
  const settings = stepSettings(flowClass, flow);
  const parameters = discoverParameters(flowClass).parameters.map((p) => argoParameter(flow, p));
  const user = currentUser(env);
  const project = projectOf(flowClass, user, { branch: o.branch, production: o.production }, env);
  const name = deploymentName(project?.projectFlowName ?? flow);
  const decorations = flowDecorationsOf(flowClass);
  const branchArgs = project ? [...(project.isProduction ? ['--production'] : []), ...(project.branch.startsWith('test.') || project.branch.startsWith('prod.') ? ['--branch', project.branch.slice(5)] : [])] : [];
  const annotations: Record<string, string> = {
    'cairn.dev/flow': flow,
    'cairn.dev/flow-file': flowFile,
    'cairn.dev/deployed-by': user,
    ...(project ? { 'cairn.dev/project': project.project, 'cairn.dev/branch': project.branch } : {}),
  };
  const objects: Array<Record<string, unknown>> = [
    workflowTemplate({
      graph: loaded.graph, flowFile, settings, parameters, name, image, user, branchArgs, annotations,
      configMap: o.configMap ?? 'cairn-store', secret: o.secret ?? 'cairn-store',
      ...(o.namespace ? { namespace: o.namespace } : {}),
    }),
  ];
  const target = { name, parameters, ...(o.namespace ? { namespace: o.namespace } : {}) };
  if (decorations.schedule) objects.push(cronWorkflow(target, decorations.schedule));
  // @triggerOnFinish flows are deployments of the same project branch.
  const upstream = (decorations.triggerOnFinish?.flows ?? []).map((f) => deploymentName(project ? `${project.project}.${project.branch}.${f}` : f));
  const s = sensor(target, decorations, upstream);
  if (s) objects.push(s);
  return { name, flow, ...(project ? { project } : {}), objects };
}
