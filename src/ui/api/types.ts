/**
 * The shapes of the UI's JSON API (docs/ui.md): what the server answers and the pages read. Times
 * are epoch milliseconds; `null` stands for "not yet" or "none".
 */
import type { RunGraph } from '../../core/run-graph.js';

export type { RunGraph, RunGraphStep } from '../../core/run-graph.js';

/** A run's state as the UI shows it: `failed` with `lost` for a run whose orchestrator died. */
export type UiRunStatus = 'running' | 'succeeded' | 'failed';

export interface RunSummary {
  flow: string;
  id: string;
  pathspec: string;
  user: string;
  status: UiRunStatus;
  /** The run was recorded as running but its orchestrator stopped beating: it failed (lost). */
  lost: boolean;
  createdAt: number;
  /** When it finished (for a lost run: its last heartbeat); null while it runs. */
  finishedAt: number | null;
  tags: string[];
  userTags: string[];
  systemTags: string[];
  parameters: Record<string, unknown>;
  originRunId: string | null;
}

export interface FlowSummary {
  name: string;
  /** Runs of the flow, and how many of them succeeded, failed (lost included) and run now. */
  counts: { runs: number; succeeded: number; failed: number; running: number };
  lastRun: RunSummary | null;
  lastSuccess: RunSummary | null;
}

export interface FlowsResponse {
  flows: FlowSummary[];
  /** Where the UI reads from (`sqlite /path/.cairn/metadata.db`). */
  store: { metadata: string; artifacts: string };
}

export interface RunsResponse {
  flow: string;
  runs: RunSummary[];
  /** The cursor of the next (older) page, for `before=`; null on the last page. */
  next: string | null;
}

export interface TaskSummary {
  step: string;
  id: string;
  pathspec: string;
  status: UiRunStatus;
  lost: boolean;
  /** The attempt shown (0-based): the successful one, else the latest. */
  attempt: number;
  createdAt: number;
  finishedAt: number | null;
  /** The innermost foreach frame: the task's index among `numSplits`, and its input value as short text. */
  foreach: { index: number; numSplits: number; var: string; value?: string } | null;
  exception: { type: string; message: string } | null;
  /** For a task that was tried more than once: every attempt, oldest first (the timeline draws each). */
  attempts?: Array<{ attempt: number; startedAt: number | null; finishedAt: number | null; status: UiRunStatus }>;
}

export interface StepSummary {
  name: string;
  createdAt: number;
  finishedAt: number | null;
  taskCount: number;
  /** `failed` if a task failed, `running` while a task runs, else `succeeded`. */
  state: UiRunStatus;
  tasks: TaskSummary[];
}

export interface RunResponse {
  run: RunSummary;
  /** The graph the run ran, as recorded when it started (null for runs recorded without one). */
  graph: RunGraph | null;
  /** The steps that have started, in the order they started. */
  steps: StepSummary[];
  /** The steps with a task running now (empty once the run is over). */
  currentSteps: string[];
}

/** An `update` event of a run's live stream: what changed since the last event. */
export interface RunDelta {
  run: RunSummary;
  currentSteps: string[];
  /** Every started step, without its tasks. */
  steps: Array<Omit<StepSummary, 'tasks'>>;
  /** The tasks that are new or changed (matched by `pathspec`). */
  tasks: TaskSummary[];
}

/** The error body of every failed API call. */
export interface ApiError {
  error: { code: string; message: string };
}
