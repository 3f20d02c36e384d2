/**
 * Runs a generated WorkflowTemplate the way the Argo Workflows controller would, without a cluster:
 * walks the DAG template's tasks in dependency order, expands `withParam` from the outputs it names,
 * evaluates `when`, retries by `retryStrategy` (with `{{retries}}`), and runs each container
 * template's command as a local process in the project folder (the image's working folder), with
 * the ConfigMap and Secret given as environments and the output parameters read from the files the
 * container wrote. Only what cairn generates is supported; anything else throws.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Json = Record<string, any>;

export interface EmulatorOptions {
  /** The project folder: the container's workingDir. */
  cwd: string;
  workflowName: string;
  /** Values for the workflow's parameters (the others take their defaults). */
  parameters?: Record<string, string>;
  /** ConfigMap and Secret name → their data, for envFrom. */
  objects: Record<string, Record<string, string>>;
  /** The rest of a pod's environment (PATH, ...). */
  baseEnv: Record<string, string>;
}

export interface PodRun {
  task: string;
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface EmulatedWorkflow {
  phase: 'Succeeded' | 'Failed';
  /** Every pod, in the order it finished. */
  pods: PodRun[];
  /** DAG task → Succeeded / Skipped / Failed. */
  nodes: Record<string, string>;
}

type Scope = Record<string, string>;

function substitute(text: string, scope: Scope): string {
  return text.replace(/\{\{\s*([^}]+?)\s*\}\}/g, (_, key: string) => {
    if (!(key in scope)) throw new Error(`unresolved variable {{${key}}} in ${JSON.stringify(text)}`);
    return scope[key]!;
  });
}

/** `'a' == 'b' && 'c' == 'c'`: the only `when` form cairn generates. */
function evaluateWhen(expr: string): boolean {
  return expr.split('&&').every((part) => {
    const m = /^\s*'([^']*)'\s*==\s*'([^']*)'\s*$/.exec(part);
    if (!m) throw new Error(`unsupported when expression: ${expr}`);
    return m[1] === m[2];
  });
}

function runPod(args: string[], command: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export async function emulateWorkflow(wt: Json, o: EmulatorOptions): Promise<EmulatedWorkflow> {
  const spec = wt['spec'];
  const templates = new Map<string, Json>(spec.templates.map((t: Json) => [t['name'], t]));
  const dag = templates.get(spec.entrypoint)?.['dag'];
  if (!dag) throw new Error('the entrypoint is not a DAG template');
  const global: Scope = { 'workflow.name': o.workflowName };
  for (const p of spec.arguments?.parameters ?? []) {
    const v = o.parameters?.[p.name] ?? p.value;
    if (v === undefined) throw new Error(`workflow parameter ${p.name} has no value`);
    global[`workflow.parameters.${p.name}`] = v;
  }
  const nodes: Record<string, string> = {};
  const outputs: Scope = {};
  const pods: PodRun[] = [];
  const tasks: Json[] = dag.tasks;

  /** One pod of a task (one item of a withParam), with its retries; resolves to whether it succeeded. */
  const runTemplate = async (taskName: string, template: Json, args: Json[], scope: Scope): Promise<boolean> => {
    const inputs: Scope = { ...scope };
    for (const a of args) inputs[`inputs.parameters.${a.name}`] = substitute(String(a.value), scope);
    for (const p of template['inputs']?.parameters ?? []) if (!(`inputs.parameters.${p.name}` in inputs)) throw new Error(`${taskName}: input ${p.name} not given`);
    const limit = Number(template['retryStrategy']?.limit ?? 0);
    for (let retries = 0; ; retries++) {
      const c = template['container'];
      const outDir = mkdtempSync(join(tmpdir(), 'argo-pod-'));
      try {
        // The pod's /tmp/cairn-out is a folder of its own (as an emptyDir would be).
        const map = (s: string) => s.replaceAll('/tmp/cairn-out', outDir);
        const podScope = { ...inputs, retries: String(retries) };
        const argv = (c.args as string[]).map((a) => map(substitute(a, podScope)));
        const env: Record<string, string> = { ...o.baseEnv };
        for (const from of c.envFrom ?? []) {
          const ref = from.configMapRef?.name ?? from.secretRef?.name;
          if (!(ref in o.objects)) throw new Error(`${taskName}: no ConfigMap or Secret ${ref}`);
          Object.assign(env, o.objects[ref]);
        }
        for (const e of c.env ?? []) env[e.name] = substitute(String(e.value), podScope);
        const command = join(o.cwd, c.command[0]);
        const r = await runPod(argv, command, o.cwd, env);
        pods.push({ task: taskName, args: argv, ...r });
        if (r.code === 0) {
          for (const p of template['outputs']?.parameters ?? []) {
            outputs[`tasks.${taskName}.outputs.parameters.${p.name}`] = readFileSync(map(p.valueFrom.path), 'utf8');
          }
          return true;
        }
        if (retries >= limit) return false;
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    }
  };

  const done = (t: Json) => t['name'] in nodes;
  while (tasks.some((t) => !done(t))) {
    const ready = tasks.filter((t) => !done(t) && (t['dependencies'] ?? []).every((d: string) => nodes[d] === 'Succeeded' || nodes[d] === 'Skipped'));
    if (ready.length === 0) return { phase: 'Failed', pods, nodes };
    await Promise.all(
      ready.map(async (t) => {
        const scope: Scope = { ...global, ...outputs };
        if (t['when'] !== undefined && !evaluateWhen(substitute(t['when'], scope))) {
          nodes[t['name']] = 'Skipped';
          return;
        }
        const template = templates.get(t['template']);
        if (!template?.['container']) throw new Error(`task ${t['name']}: template ${t['template']} is not a container template`);
        const items: unknown[] = t['withParam'] !== undefined ? JSON.parse(substitute(t['withParam'], scope)) : [undefined];
        const ok = await Promise.all(
          items.map((item) => runTemplate(t['name'], template, t['arguments']?.parameters ?? [], item === undefined ? scope : { ...scope, item: String(item) })),
        );
        nodes[t['name']] = ok.every(Boolean) ? 'Succeeded' : 'Failed';
      }),
    );
    if (Object.values(nodes).includes('Failed')) return { phase: 'Failed', pods, nodes };
  }
  return { phase: 'Succeeded', pods, nodes };
}
