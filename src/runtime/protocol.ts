/**
 * The messages between the orchestrator and a worker process. A `TaskSpec` is plain data: all a
 * process on any machine needs to run the task, nothing that lives only in the orchestrator.
 */
import type { ForeachFrame, TaskAttemptKey, TaskException } from '../core/types.js';
import type { TaskStoreConfig } from '../storage/config.js';
import type { NodeType } from '../graph/types.js';
import type { CardSpec } from '../authoring/decorators.js';
import type { DagStep } from '../cards/document.js';

/** The step's cards (`@card`), and what its default cards show that only the orchestrator knows. */
export interface TaskCards {
  specs: CardSpec[];
  /** The flow's graph. */
  dag?: DagStep[];
  /** The step's source, as written. */
  source?: { file: string; line: number; code: string };
}

export interface CodeRef {
  /** Address of the compiled code package in the artifact store. */
  sha: string;
  /** The flow class to instantiate. */
  className: string;
  /** The flow file it was compiled from (for messages only). */
  sourceFile: string;
}

/** What the static graph says the step must do, checked against what it did. */
export interface ExpectedTransition {
  type: NodeType;
  out: string[];
  foreach?: string;
  switch?: { condition: string; cases: Record<string, string> };
}

export interface TaskSpec {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
  attempt: number;
  code: CodeRef;
  /** Folder where this machine keeps materialized code packages. */
  codeDir: string;
  /**
   * Where the task's artifacts live. Only the artifact store: a task never touches the metadata
   * store, so its settings (database URLs, credentials) never travel to workers.
   */
  store: TaskStoreConfig;
  /** What the step's `@resources` asks for; executors that place tasks on machines honour it. */
  resources: TaskResources;
  /** The parent task attempts: one for a linear step (the `_parameters` task for start), many for a join. */
  inputs: TaskAttemptKey[];
  /** The run's `_parameters` task attempt: parameters are visible in every step, joins included. */
  params: TaskAttemptKey;
  foreachStack: ForeachFrame[];
  expected: ExpectedTransition;
  maxNumSplits: number;
  user: string;
  namespace: string;
  /** The run's user tags. */
  tags: string[];
  parameterNames: string[];
  /** For a resumed run: the run it resumed. */
  originRunId: string | null;
  /** For a `@project` flow: the project and the branch the run is on. */
  project?: { name: string; branch: string };
  /** `@environment` variables, set for the duration of the task. */
  environment: Record<string, string>;
  /** The step's `@catchError` artifact, set to null before the step runs (it holds the failure if one is caught). */
  catchVar?: string;
  /** The `@catchError` fallback: instead of running the step, finish it with this failure caught. */
  fallback?: { var: string | undefined; exception: TaskException };
  /** The step's cards, drawn after the step. */
  cards?: TaskCards;
}

export interface TaskResources {
  cpu?: number;
  /** Megabytes. */
  memory?: number;
  gpu?: number;
}

export interface TaskSuccess {
  ok: true;
  /** The steps to run next (one for a switch: the chosen case; empty for end). */
  next: string[];
  /** For a foreach: the split it produced. */
  foreach?: { var: string; numSplits: number; listSha: string; listEncoding?: string };
  artifactCount: number;
}

export interface TaskFailure {
  ok: false;
  exception: TaskException;
}

export type TaskOutcome = TaskSuccess | TaskFailure;

export type ToWorker = { type: 'run'; spec: TaskSpec };
export type FromWorker =
  | { type: 'ready' }
  /** Lines for the console; `seq`: the number of the first among the stream's lines (absent for a note of cairn's own). */
  | { type: 'log'; stream: 'stdout' | 'stderr'; lines: string[]; at: number; seq?: number }
  /** The task's output up to line number `lines` (and `partial` characters of the next), byte `end`, of `stream` is stored at `location`. */
  | { type: 'stored'; stream: 'stdout' | 'stderr'; lines: number; partial: number; end: number; location: string }
  | { type: 'done'; outcome: TaskOutcome; logs: TaskLogs; usage: TaskUsage };

/**
 * What running the task took inside the worker, in milliseconds: in all, and with its event loop
 * busy (running code rather than waiting for I/O or timers; time the OS gave to other processes
 * still counts as busy, so a crowded machine does not make busy tasks look idle).
 */
export interface TaskUsage {
  wallMs: number;
  busyMs: number;
}

/** Where the task's output was stored (null when it printed nothing on that stream). */
export interface TaskLogs {
  stdout: string | null;
  stderr: string | null;
}
