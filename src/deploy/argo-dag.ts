/**
 * The `WorkflowTemplate` of a flow, as Metaflow's `argo-workflows create` builds it: one DAG
 * template, whose first task records the run (`cairn init-run`), and one container template per step,
 * each running `cairn step` for one task. A foreach fans out through `withParam` over the split
 * indices its step writes; a switch's targets run `when` its step chose them; joins wait through
 * `dependencies`; `@retry` becomes `retryStrategy` (the attempt is Argo's `{{retries}}`), `@timeout`
 * `activeDeadlineSeconds`, `@resources` requests and limits, `@environment` env. Store settings and
 * secrets come from a ConfigMap and a Secret, never from the generated YAML.
 */
import { CairnError } from '../errors.js';
import type { StepSettings } from '../authoring/decorators.js';
import type { FlowGraph, StepNode } from '../graph/types.js';
import { topologicalOrder } from '../graph/index.js';
import { DEPLOYMENT_LABEL, PART_OF, stepTaskName } from './argo-names.js';

type Json = Record<string, unknown>;

export interface ArgoParameter {
  name: string;
  /** Its default as text (what `--name=VALUE` takes); undefined: it must be given when submitting. */
  value?: string;
}

export interface ArgoFlow {
  graph: FlowGraph;
  /** The flow file, relative to the image's working folder. */
  flowFile: string;
  settings: ReadonlyMap<string, StepSettings>;
  parameters: readonly ArgoParameter[];
  /** The deployment's name (the WorkflowTemplate's). */
  name: string;
  image: string;
  namespace?: string;
  /** Who deployed it: the user the runs are recorded for. */
  user: string;
  /** `init-run` options choosing the `@project` branch (`--production`, `--branch NAME`). */
  branchArgs: readonly string[];
  /** The ConfigMap and Secret the containers take their store settings from. */
  configMap: string;
  secret: string;
  annotations: Record<string, string>;
}

export const CAIRN = 'node_modules/.bin/cairn';
export const WORKDIR = '/app';
/** Where `cairn step --output-dir` writes what the DAG reads back (`next`, `num-splits`, `split-indices`). */
export const OUTPUT_DIR = '/tmp/cairn-out';
export const RUN_ID = 'argo-{{workflow.name}}';
export const DAG_TEMPLATE = 'cairn-dag';
export const INIT_TEMPLATE = 'cairn-init-run';

function unsupported(flow: string, message: string): CairnError {
  return new CairnError('INVALID_FLOW', `${flow} cannot be exported to Argo Workflows: ${message}`);
}

/** The foreach steps whose bodies a step is inside (a join has left the split it closes). */
function foreachesAround(graph: FlowGraph, node: StepNode): string[] {
  const open = node.type === 'join' ? node.splitParents.slice(0, -1) : node.splitParents;
  return open.filter((s) => graph.steps.get(s)?.type === 'foreach');
}

/** Refuses what the generated DAG cannot express, naming the step. */
export function checkExportable(graph: FlowGraph): void {
  const flow = graph.flowName;
  for (const node of graph.steps.values()) {
    const around = foreachesAround(graph, node);
    if (around.length > 1 || (node.type === 'foreach' && around.length > 0)) {
      const outer = around[0]!;
      throw unsupported(flow, `step ${node.name} is a nested foreach (inside the foreach of step ${outer}). Run the inner foreach in a flow of its own, or flatten it into one foreach.`);
    }
    if (node.type === 'switch' && node.out.includes(node.name)) {
      throw unsupported(flow, `step ${node.name} loops through its switch (one of its cases is the step itself), and an Argo DAG has no loops. Run the loop inside the step.`);
    }
    if (node.type === 'switch' && around.length > 0) {
      throw unsupported(flow, `step ${node.name} is a switch inside the foreach of step ${around[0]}. Move the switch before or after the foreach.`);
    }
  }
}

interface Placed {
  node: StepNode;
  /** The foreach whose body the step is in. */
  foreach: string | undefined;
  /** The conditions (switch choices) under which the step runs. */
  guards: string[];
}

function place(graph: FlowGraph): Map<string, Placed> {
  const placed = new Map<string, Placed>();
  for (const name of topologicalOrder(graph)) {
    const node = graph.steps.get(name)!;
    let guards: string[] | undefined;
    for (const p of node.in) {
      const parent = placed.get(p);
      if (!parent) continue;
      const edge = parent.node.type === 'switch' ? [...parent.guards, `'{{tasks.${stepTaskName(p)}.outputs.parameters.next}}' == '${name}'`] : parent.guards;
      guards = guards === undefined ? edge : guards.filter((g) => edge.includes(g));
    }
    placed.set(name, { node, foreach: foreachesAround(graph, node)[0], guards: guards ?? [] });
  }
  return placed;
}

/** The task id a step's task gets, as its DAG task sees it (`{{item}}`: the split index in a foreach body). */
function taskIdIn(p: Placed): string {
  return p.foreach !== undefined ? `${p.node.name}-{{item}}` : p.node.name;
}

function inputPaths(graph: FlowGraph, placed: Map<string, Placed>, x: Placed): string | undefined {
  const parents = x.node.in.map((p) => placed.get(p)!);
  if (parents.length === 0) return undefined;
  const split = x.node.matchingSplit !== undefined ? graph.steps.get(x.node.matchingSplit) : undefined;
  if (x.node.type === 'join' && split?.type === 'foreach') {
    const n = `{{tasks.${stepTaskName(split.name)}.outputs.parameters.num-splits}}`;
    return parents.map((p) => `${p.node.name}/${p.node.name}-*${n}`).join(',');
  }
  const paths = parents.map((p) => `${p.node.name}/${taskIdIn(p)}`);
  // Where a switch's branches meet, one of the parents ran.
  return paths.join(x.node.type === 'join' ? ',' : '|');
}

function dagTask(graph: FlowGraph, placed: Map<string, Placed>, x: Placed): Json {
  const name = stepTaskName(x.node.name);
  const params: Json[] = [{ name: 'task-id', value: taskIdIn(x) }];
  const paths = inputPaths(graph, placed, x);
  if (paths !== undefined) params.push({ name: 'input-paths', value: paths });
  const firstInBody = x.foreach !== undefined && x.node.in.includes(x.foreach);
  if (firstInBody) params.push({ name: 'split-index', value: '{{item}}' });
  return {
    name,
    template: name,
    dependencies: x.node.in.length ? x.node.in.map(stepTaskName) : ['init-run'],
    arguments: { parameters: params },
    ...(x.foreach !== undefined ? { withParam: `{{tasks.${stepTaskName(x.foreach)}.outputs.parameters.split-indices}}` } : {}),
    ...(x.guards.length ? { when: x.guards.join(' && ') } : {}),
  };
}

function containerBase(f: ArgoFlow, args: string[], env: Json[]): Json {
  return {
    name: 'main',
    image: f.image,
    workingDir: WORKDIR,
    command: [CAIRN],
    args,
    env: [{ name: 'CAIRN_USER', value: f.user }, ...env],
    envFrom: [{ configMapRef: { name: f.configMap } }, { secretRef: { name: f.secret } }],
  };
}

function resources(s: StepSettings): Json | undefined {
  const r = s.resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpu !== undefined) requests['cpu'] = String(r.cpu);
  if (r.memory !== undefined) requests['memory'] = `${Math.ceil(r.memory)}Mi`;
  if (r.gpu) limits['nvidia.com/gpu'] = String(r.gpu);
  if (!Object.keys(requests).length && !Object.keys(limits).length) return undefined;
  return { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
}

function stepTemplate(f: ArgoFlow, x: Placed): Json {
  const node = x.node;
  const s = f.settings.get(node.name)!;
  const outputs: Json[] = [];
  if (node.type === 'switch') outputs.push({ name: 'next', valueFrom: { path: `${OUTPUT_DIR}/next` } });
  if (node.type === 'foreach') {
    outputs.push({ name: 'num-splits', valueFrom: { path: `${OUTPUT_DIR}/num-splits` } });
    outputs.push({ name: 'split-indices', valueFrom: { path: `${OUTPUT_DIR}/split-indices` } });
  }
  const inputs = [{ name: 'task-id' }];
  const args = ['step', f.flowFile, '--run-id', RUN_ID, '--step', node.name, '--task-id', '{{inputs.parameters.task-id}}'];
  if (node.in.length) {
    inputs.push({ name: 'input-paths' });
    args.push('--input-paths', '{{inputs.parameters.input-paths}}');
  }
  if (x.foreach !== undefined && node.in.includes(x.foreach)) {
    inputs.push({ name: 'split-index' });
    args.push('--split-index', '{{inputs.parameters.split-index}}');
  }
  const retries = s.retry?.times ?? 0;
  if (retries > 0) args.push('--retry-count', '{{retries}}');
  if (outputs.length) args.push('--output-dir', OUTPUT_DIR);
  const env = Object.entries(s.environment).map(([name, value]) => ({ name, value }));
  const res = resources(s);
  const delay = s.retry?.minutesBetweenRetries ?? 0;
  return {
    name: stepTaskName(node.name),
    inputs: { parameters: inputs },
    ...(outputs.length ? { outputs: { parameters: outputs } } : {}),
    ...(retries > 0 ? { retryStrategy: { limit: retries, retryPolicy: 'Always', ...(delay > 0 ? { backoff: { duration: `${Math.round(delay * 60)}s` } } : {}) } } : {}),
    // The attempt's deadline, a little over @timeout: `cairn step` ends the attempt itself and records why.
    ...(s.timeoutSeconds !== undefined ? { activeDeadlineSeconds: Math.ceil(s.timeoutSeconds) + 60 } : {}),
    metadata: { labels: { ...PART_OF, 'cairn.dev/step': stepTaskName(node.name) } },
    container: { ...containerBase(f, args, env), ...(res ? { resources: res } : {}) },
  };
}

function initTemplate(f: ArgoFlow): Json {
  const args = ['init-run', f.flowFile, '--run-id', RUN_ID, ...f.branchArgs, ...f.parameters.map((p) => `--${p.name}={{workflow.parameters.${p.name}}}`)];
  return { name: INIT_TEMPLATE, metadata: { labels: { ...PART_OF } }, container: containerBase(f, args, []) };
}

/** The WorkflowTemplate of a flow. Call `checkExportable` first. */
export function workflowTemplate(f: ArgoFlow): Json {
  const placed = place(f.graph);
  const steps = [...placed.values()];
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'WorkflowTemplate',
    metadata: { name: f.name, ...(f.namespace ? { namespace: f.namespace } : {}), labels: { ...PART_OF }, annotations: f.annotations },
    spec: {
      entrypoint: DAG_TEMPLATE,
      // Every workflow made from it is labelled with the deployment (@triggerOnFinish sensors watch for it).
      workflowMetadata: { labels: { ...PART_OF, [DEPLOYMENT_LABEL]: f.name } },
      ...(f.parameters.length ? { arguments: { parameters: f.parameters.map((p) => ({ name: p.name, ...(p.value !== undefined ? { value: p.value } : {}) })) } } : {}),
      templates: [
        { name: DAG_TEMPLATE, dag: { tasks: [{ name: 'init-run', template: INIT_TEMPLATE }, ...steps.map((x) => dagTask(f.graph, placed, x))] } },
        initTemplate(f),
        ...steps.map((x) => stepTemplate(f, x)),
      ],
    },
  };
}
