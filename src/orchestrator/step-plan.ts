/**
 * What `cairn step` checks before it runs anything: the ids it was given, its `--input-paths`
 * against the graph and the recorded parent tasks, and the foreach frame of `--split-index`. The
 * result is the task's place in the run (its parents and foreach stack), as the orchestrator's
 * scheduler would have planned it.
 */
import { CairnError } from '../errors.js';
import { PARAMETERS_STEP, PARAMETERS_TASK_ID, type ForeachFrame, type TaskAttemptKey } from '../core/types.js';
import type { FlowGraph, StepNode } from '../graph/types.js';
import type { ArtifactStore, MetadataStore, TaskRecord, TaskRow } from '../storage/types.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

function bad(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

/** A run id given by a scheduler: letters, digits, `_`, `.` and `-`, starting with a letter or digit. */
export function checkRunId(id: string): string {
  if (!ID.test(id)) {
    throw bad(`--run-id ${JSON.stringify(id)} is not a valid run id: use letters, digits, '_', '.' and '-' (at most 200), starting with a letter or digit (e.g. argo-myflow-x7k2p).`);
  }
  return id;
}

export function checkTaskId(id: string): string {
  if (!ID.test(id) || id === PARAMETERS_TASK_ID) {
    throw bad(
      `--task-id ${JSON.stringify(id)} is not a valid task id: use letters, digits, '_', '.' and '-' (at most 200), starting with a letter or digit, ` +
        `and not ${PARAMETERS_TASK_ID}, which is the run's parameters.`,
    );
  }
  return id;
}

/**
 * One entry of `--input-paths`: the parent tasks it stands for, each `STEP/TASK`; `STEP/PREFIX*N`
 * stands for the N tasks `PREFIX0` ... `PREFIX<N-1>` (a foreach join's inputs), and `A|B|...` for
 * whichever one of A, B, ... ran (the step where a switch's branches meet).
 */
export interface InputEntry {
  text: string;
  alternatives: Array<{ step: string; taskId: string }>;
}

const MAX_INPUTS = 100_000;

/** Parses `--input-paths` (comma separated entries; see `InputEntry`). */
export function parseInputPaths(text: string): InputEntry[] {
  const entries: InputEntry[] = [];
  for (const raw of text.split(',').map((s) => s.trim())) {
    if (raw === '') throw bad(`--input-paths ${JSON.stringify(text)} has an empty entry; write STEP/TASK entries separated by commas.`);
    const parts = raw.split('|');
    const one = (p: string) => {
      const slash = p.indexOf('/');
      const step = p.slice(0, slash);
      const taskId = p.slice(slash + 1);
      if (slash <= 0 || taskId === '' || taskId.includes('/')) {
        throw bad(`--input-paths entry ${JSON.stringify(p)} is not STEP/TASK (e.g. start/1, or train/train-*3 for train-0, train-1, train-2).`);
      }
      return { step, taskId };
    };
    const star = parts.length === 1 ? /^([^/]+)\/([^/*]*)\*(\d+)$/.exec(raw) : null;
    if (star) {
      const n = Number(star[3]);
      if (n < 1 || n > MAX_INPUTS) throw bad(`--input-paths entry ${raw} stands for ${n} tasks; it must stand for 1 to ${MAX_INPUTS}.`);
      for (let i = 0; i < n; i++) entries.push({ text: raw, alternatives: [{ step: star[1]!, taskId: `${star[2]}${i}` }] });
      continue;
    }
    entries.push({ text: raw, alternatives: parts.map(one) });
  }
  return entries;
}

export interface Parent {
  key: TaskAttemptKey;
  row: TaskRow;
  record: TaskRecord;
}

export interface PlanQuery {
  graph: FlowGraph;
  runId: string;
  step: string;
  inputs: InputEntry[];
  splitIndex?: number;
  metadata: MetadataStore;
  artifacts: ArtifactStore;
}

export interface StepPlan {
  node: StepNode;
  parents: Parent[];
  foreachStack: ForeachFrame[];
}

async function resolveParent(q: PlanQuery, entry: InputEntry): Promise<Parent> {
  const flow = q.graph.flowName;
  const found: Parent[] = [];
  for (const alt of entry.alternatives) {
    const row = await q.metadata.getTask({ flow, runId: q.runId, ...alt });
    if (!row || row.status !== 'succeeded' || row.doneAttempt === null) continue;
    const key = { flow, runId: q.runId, ...alt, attempt: row.doneAttempt };
    const record = await q.artifacts.getTaskRecord(key, row.doneAttempt);
    if (!record) {
      throw new CairnError(
        'STORE',
        `Input ${flow}/${q.runId}/${alt.step}/${alt.taskId} succeeded in the metadata store, but its artifacts are missing from the artifact store (${q.artifacts.location}).`,
      );
    }
    found.push({ key, row, record });
  }
  const where = `${flow}/${q.runId}`;
  if (found.length === 0) {
    const which = entry.alternatives.map((a) => `${a.step}/${a.taskId}`).join(' or ');
    throw bad(`Input ${which} of step ${q.step} is not a task of run ${where} that succeeded; run the step's parents first, and check --run-id and --input-paths.`);
  }
  // Of alternatives that all succeeded (a switch that chose another case, and that case's branch,
  // meet here), the input is the one that went on to this step.
  if (found.length > 1 && entry.alternatives.length > 1) {
    const went = found.filter((p) => (p.record.next ?? []).includes(q.step));
    if (went.length > 0) found.splice(0, found.length, ...went);
  }
  if (found.length > 1) {
    throw bad(`--input-paths entry ${entry.text} of step ${q.step} names ${found.length} tasks that succeeded; it must name exactly one (the one that ran).`);
  }
  return found[0]!;
}

function sameStack(a: readonly ForeachFrame[], b: readonly ForeachFrame[]): boolean {
  return a.length === b.length && a.every((f, i) => f.step === b[i]!.step && f.index === b[i]!.index);
}

/** Checks the task's inputs against the graph and the store, and works out its foreach stack. */
export async function planStep(q: PlanQuery): Promise<StepPlan> {
  const { graph, step } = q;
  const node = graph.steps.get(step);
  if (!node) {
    throw bad(`Flow ${graph.flowName} has no step ${step}; its steps are ${[...graph.steps.keys()].join(', ')}.`);
  }
  if (step === graph.start) {
    const only = q.inputs.every((e) => e.alternatives.every((a) => a.step === PARAMETERS_STEP && a.taskId === PARAMETERS_TASK_ID));
    if (!only || q.inputs.length > 1) throw bad(`Step ${step} is the start step: its only input is the run's parameters (${PARAMETERS_STEP}/${PARAMETERS_TASK_ID}); leave out --input-paths.`);
    if (q.splitIndex !== undefined) throw bad(`Step ${step} is the start step, which no foreach splits; leave out --split-index.`);
    const params = await resolveParent(q, { text: `${PARAMETERS_STEP}/${PARAMETERS_TASK_ID}`, alternatives: [{ step: PARAMETERS_STEP, taskId: PARAMETERS_TASK_ID }] })
      .catch((e: unknown) => {
        throw bad(`Run ${graph.flowName}/${q.runId} has no recorded parameters: record the run with \`cairn init-run\` first. (${(e as Error).message})`);
      });
    return { node, parents: [params], foreachStack: [] };
  }
  if (q.inputs.length === 0) throw bad(`Step ${step} needs --input-paths: its parent tasks (${node.in.join(', ')}), as STEP/TASK entries.`);
  const parents: Parent[] = [];
  for (const entry of q.inputs) parents.push(await resolveParent(q, entry));
  for (const p of parents) {
    if (!node.in.includes(p.key.step)) {
      throw bad(`Input ${p.key.step}/${p.key.taskId} cannot lead to step ${step}: in the graph, ${step} follows ${node.in.join(', ')}.`);
    }
    if (!(p.record.next ?? []).includes(step)) {
      throw bad(`Input ${p.key.step}/${p.key.taskId} went on to ${(p.record.next ?? []).join(', ') || 'no step'}, not to ${step}.`);
    }
  }
  if (node.type === 'join') return planJoin(q, node, parents);
  if (parents.length !== 1) throw bad(`Step ${step} is not a join, so it has exactly one input; --input-paths named ${parents.length}.`);
  const parent = parents[0]!;
  const split = parent.record.foreach;
  if (graph.steps.get(parent.key.step)?.type === 'foreach' && split) {
    if (q.splitIndex === undefined) throw bad(`Step ${step} is split by the foreach of ${parent.key.step}: give --split-index, from 0 to ${split.numSplits - 1}.`);
    if (!Number.isInteger(q.splitIndex) || q.splitIndex < 0 || q.splitIndex >= split.numSplits) {
      throw bad(`--split-index ${q.splitIndex} is out of range: the foreach of ${parent.key.step}/${parent.key.taskId} made ${split.numSplits} splits (0 to ${split.numSplits - 1}).`);
    }
    const frame: ForeachFrame = {
      step: parent.key.step, var: split.var, numSplits: split.numSplits, index: q.splitIndex, listSha: split.listSha,
      ...(split.listEncoding ? { listEncoding: split.listEncoding } : {}),
    };
    return { node, parents, foreachStack: [...parent.row.foreachStack, frame] };
  }
  if (q.splitIndex !== undefined) throw bad(`Step ${step} is not split by a foreach (its input is ${parent.key.step}); leave out --split-index.`);
  return { node, parents, foreachStack: parent.row.foreachStack };
}

function planJoin(q: PlanQuery, node: StepNode, parents: Parent[]): StepPlan {
  const split = q.graph.steps.get(node.matchingSplit ?? '');
  if (q.splitIndex !== undefined) throw bad(`Step ${node.name} is a join; leave out --split-index.`);
  if (split?.type === 'foreach') {
    const inner = parents.map((p) => p.row.foreachStack[p.row.foreachStack.length - 1]);
    const numSplits = inner[0]?.numSplits ?? 0;
    const outer = parents[0]!.row.foreachStack.slice(0, -1);
    const indices = new Set<number>();
    for (const [i, p] of parents.entries()) {
      const frame = inner[i];
      if (!frame || frame.step !== split.name || !sameStack(p.row.foreachStack.slice(0, -1), outer)) {
        throw bad(`Input ${p.key.step}/${p.key.taskId} of join ${node.name} is not a split of the same ${split.name} task as the other inputs.`);
      }
      indices.add(frame.index);
    }
    if (indices.size !== parents.length || parents.length !== numSplits) {
      throw bad(`Join ${node.name} closes the foreach of ${split.name}, which made ${numSplits} splits: --input-paths must name one task of each split; it named ${parents.length}${indices.size !== parents.length ? ' (some twice)' : ''}.`);
    }
    parents.sort((a, b) => a.row.foreachStack[a.row.foreachStack.length - 1]!.index - b.row.foreachStack[b.row.foreachStack.length - 1]!.index);
    return { node, parents, foreachStack: outer };
  }
  const branches = split?.out.length ?? node.in.length;
  const stack = parents[0]!.row.foreachStack;
  if (parents.length !== branches || new Set(parents.map((p) => p.key.step)).size !== parents.length) {
    throw bad(`Join ${node.name} closes the split of ${split?.name ?? '?'} into ${branches} branches: --input-paths must name one task of each (${node.in.join(', ')}).`);
  }
  for (const p of parents) {
    if (!sameStack(p.row.foreachStack, stack)) throw bad(`Inputs of join ${node.name} come from different foreach splits (${p.key.step}/${p.key.taskId}).`);
  }
  // In the order the source lists the steps that lead to the join, as the orchestrator orders them.
  parents.sort((a, b) => node.in.indexOf(a.key.step) - node.in.indexOf(b.key.step));
  return { node, parents, foreachStack: stack };
}
