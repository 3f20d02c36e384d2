/**
 * The shapes of a comparison of two runs (`diffRuns`): plain JSON, so that the CLI prints it, the
 * web UI renders it and scripts read it without anything else.
 */

/** How one thing compares: equal in both runs, different, only in the second run, only in the first. */
export type DiffStatus = 'same' | 'changed' | 'added' | 'removed';

/** The two sides of a figure, and `b - a`. */
export interface Delta {
  a: number;
  b: number;
  delta: number;
}

/** Statistics over the finite elements of a series of numbers (absent for an empty or all-NaN series). */
export interface NumberStatsDiff {
  min?: Delta;
  max?: Delta;
  mean?: Delta;
}

/**
 * Where two JSON-like values (objects, arrays, Maps, Sets, strings, numbers...) differ: each
 * difference by its path from the value's root (`''` for the value itself, then `.name` for a
 * property, `[3]` for an array index, `["key"]` (the key as JSON) for a Map entry, `{}` for a Set).
 */
export interface JsonDiff {
  kind: 'json';
  changes: JsonChange[];
  /** More differences exist than are listed (see `maxChanges`). */
  truncated: boolean;
}

export interface JsonChange {
  path: string;
  /** `changed`: both sides have the path; `added`: only the second; `removed`: only the first. */
  status: Exclude<DiffStatus, 'same'>;
  /** The first run's value at the path, as JSON (long strings and large parts are cut). */
  a?: unknown;
  b?: unknown;
}

/**
 * How two series of numbers (typed arrays, arrays of numbers) differ. `changed` and
 * `maxAbsDelta` compare element by element over the common length; they are absent when the
 * values were summarised from previews instead of loaded (values larger than `maxLoadBytes`).
 */
export interface NumbersDiff extends NumberStatsDiff {
  kind: 'numbers';
  type: { a: string; b: string };
  length: { a: number; b: number };
  changed?: number;
  maxAbsDelta?: number;
}

/** One column of a `TableDiff`. */
export interface ColumnDiff extends NumberStatsDiff {
  name: string;
  /** `unknown`: a column of both tables known only by its preview's schema, whose values were not compared. */
  status: DiffStatus | 'unknown';
  type: { a?: string; b?: string };
  /** Rows (of the common row count) whose value in this column differs; absent from previews. */
  changed?: number;
}

/**
 * How two tables differ (an array of records, an object of equally long columns, a data frame):
 * row counts, columns added or removed, and for each common column how many rows changed and, for
 * numeric columns, the min / max / mean deltas. Tables known only by their previews (values
 * larger than `maxLoadBytes`, data frames) give row counts and column types only.
 */
export interface TableDiff {
  kind: 'table';
  type: { a: string; b: string };
  rows: { a: number; b: number };
  /** Rows (of the common row count) with at least one changed common column; absent from previews. */
  changedRows?: number;
  columns: ColumnDiff[];
}

export type ValueDiff = JsonDiff | NumbersDiff | TableDiff;

/** One side of an artifact: what its task recorded. */
export interface ArtifactSide {
  sha: string;
  size: number;
  type: string;
}

export interface ArtifactDiff {
  name: string;
  status: DiffStatus;
  a?: ArtifactSide;
  b?: ArtifactSide;
  /** For a changed artifact: how the values differ, when cairn can say (see the kinds). */
  detail?: ValueDiff;
  /** For a changed artifact without `detail`: why there is none (too large, unreadable, not comparable). */
  note?: string;
}

/** The state of a task as a diff shows it. */
export type DiffTaskState = 'succeeded' | 'failed' | 'running' | 'pending';

export interface TaskDiff {
  /** Where the task sits in the run, for people: `''`, `foreach index 3`, `foreach indices 1, 3`, `iteration 2`. */
  place: string;
  /** The task's foreach indices, outer to inner (empty outside a foreach). */
  indices: number[];
  /** For a step a switch loops back to: which pass (0 for most tasks). */
  iteration: number;
  status: DiffStatus;
  /** Task pathspecs in each run. */
  task: { a?: string; b?: string };
  state: { a?: DiffTaskState; b?: DiffTaskState };
  durationMs: { a?: number; b?: number };
  /** The task's artifacts, sorted by name, parameters left out (they are in `RunDiff.parameters`). */
  artifacts: ArtifactDiff[];
}

export interface StepDiff {
  step: string;
  status: DiffStatus;
  /** From the step's first task starting to its last task finishing (absent while it runs). */
  durationMs: { a?: number; b?: number };
  tasks: TaskDiff[];
}

export interface ParameterDiff {
  name: string;
  status: DiffStatus;
  /** The values as given to each run (what `run.parameters` shows). */
  a?: unknown;
  b?: unknown;
}

export interface RunDiff {
  /** Pathspecs of the two runs. */
  a: string;
  b: string;
  /** Same parameters, same steps, same tasks and the same content for every artifact. */
  equal: boolean;
  parameters: ParameterDiff[];
  steps: StepDiff[];
}

export interface DiffOptions {
  /** Compare only this step. */
  step?: string;
  /** Also compare artifacts whose names start with `_` (default false). */
  private?: boolean;
  /** Compute `detail` for changed artifacts (default true). */
  details?: boolean;
  /** Values stored in more bytes than this are summarised from their previews, not loaded (default 16 MiB). */
  maxLoadBytes?: number;
  /** Most differences listed in one `JsonDiff` (default 50). */
  maxChanges?: number;
}
