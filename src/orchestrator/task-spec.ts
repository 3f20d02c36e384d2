/**
 * The task spec of one attempt, and the `_parameters` pseudo-task, as every driver of a run writes
 * them: the orchestrator (`RunExecution`) and a scheduler's `cairn init-run` / `cairn step`.
 */
import { PARAMETERS_STEP, PARAMETERS_TASK_ID, type ForeachFrame, type TaskAttemptKey, type TaskKey } from '../core/types.js';
import type { StepSettings } from '../authoring/decorators.js';
import type { FlowGraph, StepNode } from '../graph/types.js';
import type { RunGraph } from '../core/run-graph.js';
import type { TaskStoreConfig } from '../storage/config.js';
import type { ArtifactInfo, ArtifactStore, MetadataStore } from '../storage/types.js';
import type { ExpectedTransition, TaskCards, TaskSpec } from '../runtime/protocol.js';

export function expectedOf(node: StepNode): ExpectedTransition {
  return {
    type: node.type,
    out: node.out,
    ...(node.foreach !== undefined ? { foreach: node.foreach } : {}),
    ...(node.switch ? { switch: node.switch } : {}),
  };
}

/** The `_parameters` task attempt of a run. */
export function parametersKey(flow: string, runId: string): TaskAttemptKey {
  return { flow, runId, step: PARAMETERS_STEP, taskId: PARAMETERS_TASK_ID, attempt: 0 };
}

export interface SpecInput {
  key: TaskKey;
  attempt: number;
  node: StepNode;
  settings: StepSettings;
  codeSha: string;
  sourceFile: string;
  codeDir: string;
  store: TaskStoreConfig;
  parents: TaskAttemptKey[];
  foreachStack: ForeachFrame[];
  maxNumSplits: number;
  user: string;
  tags: string[];
  parameterNames: string[];
  originRunId: string | null;
  /** The namespace the task's client reads in (default `user:<user>`). */
  namespace?: string;
  project?: { name: string; branch: string };
  fallback?: TaskSpec['fallback'];
  /** The step's cards (see `taskCards`), when it has any. */
  cards?: TaskCards;
}

export function taskSpec(i: SpecInput): TaskSpec {
  return {
    ...i.key,
    attempt: i.attempt,
    code: { sha: i.codeSha, className: i.key.flow, sourceFile: i.sourceFile },
    codeDir: i.codeDir,
    store: { root: i.store.root, artifacts: i.store.artifacts },
    resources: i.settings.resources,
    inputs: i.parents,
    params: parametersKey(i.key.flow, i.key.runId),
    foreachStack: i.foreachStack,
    expected: expectedOf(i.node),
    maxNumSplits: i.maxNumSplits,
    user: i.user,
    namespace: i.namespace ?? `user:${i.user}`,
    tags: i.tags,
    parameterNames: i.parameterNames,
    originRunId: i.originRunId,
    environment: i.settings.environment,
    ...(i.settings.catchError?.var !== undefined ? { catchVar: i.settings.catchError.var } : {}),
    ...(i.project ? { project: i.project } : {}),
    ...(i.fallback ? { fallback: i.fallback } : {}),
    ...(i.cards ? { cards: i.cards } : {}),
  };
}

/** Records the `_parameters` pseudo-task: the run's parameters and constants, which `start` reads as its input. */
/** The run's graph as it is stored with the run (`core/run-graph.ts`). */
export function runGraphOf(graph: FlowGraph): RunGraph {
  return {
    version: 1,
    flow: graph.flowName,
    start: graph.start,
    end: graph.end,
    steps: [...graph.steps.values()].map((n) => ({
      name: n.name,
      type: n.type,
      out: [...n.out],
      ...(n.foreach !== undefined ? { foreach: n.foreach } : {}),
      ...(n.switch ? { condition: n.switch.condition, cases: { ...n.switch.cases } } : {}),
      ...(n.matchingSplit !== undefined ? { matchingSplit: n.matchingSplit } : {}),
      ...(n.doc ? { doc: n.doc } : {}),
    })),
  };
}

/**
 * Records the run's `_parameters` pseudo-task: its record holds the parameters and constants, and
 * names the blob of the run's graph (what readers draw the run with).
 */
export async function recordParametersTask(
  artifacts: ArtifactStore,
  metadata: MetadataStore,
  run: { flow: string; runId: string; graph: FlowGraph; parameters: Record<string, ArtifactInfo> },
): Promise<TaskAttemptKey> {
  const key = parametersKey(run.flow, run.runId);
  const graph = await artifacts.putBlob(new TextEncoder().encode(JSON.stringify(runGraphOf(run.graph))));
  await artifacts.putTaskRecord(key, 0, { version: 1, artifacts: run.parameters, next: [run.graph.start], graph });
  const now = Date.now();
  await metadata.createTask({ ...key, createdAt: now, foreachStack: [], parents: [] });
  await metadata.startAttempt(key, 0, now, process.pid);
  await metadata.finishAttempt(key, 0, { status: 'succeeded', finishedAt: now });
  await metadata.finishTask(key, 'succeeded', now, 0);
  return key;
}

export function formatSeconds(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} hour${s === 3600 ? '' : 's'}`;
  if (s >= 60 && s % 60 === 0) return `${s / 60} minute${s === 60 ? '' : 's'}`;
  return `${s} second${s === 1 ? '' : 's'}`;
}
