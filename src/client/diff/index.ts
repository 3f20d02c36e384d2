/** Comparing two runs: `diffRuns` and the shapes of its result. */
export { diffRuns } from './runs.js';
export type {
  ArtifactDiff, ArtifactSide, ColumnDiff, Delta, DiffOptions, DiffStatus, DiffTaskState, JsonChange, JsonDiff,
  NumberStatsDiff, NumbersDiff, ParameterDiff, RunDiff, StepDiff, TableDiff, TaskDiff, ValueDiff,
} from './types.js';
