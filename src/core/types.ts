/** Plain data shared by every part of cairn: ids, frames and the task spec that crosses processes. */

/** Identifies one task of one run. `taskId` is unique within the run. */
export interface TaskKey {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
}

/** A task and the attempt whose artifacts are meant. */
export interface TaskAttemptKey extends TaskKey {
  attempt: number;
}

/**
 * One level of foreach nesting, outer to inner. `listSha` is the content hash of the artifact the
 * split iterated over, so `value` can be loaded lazily by whoever needs it.
 */
export interface ForeachFrame {
  step: string;
  var: string;
  numSplits: number;
  index: number;
  listSha: string;
  /** How the list was serialized, when not with the default codec. */
  listEncoding?: string;
}

/** The recorded error of a failed attempt (also what `@catchError` stores). */
export interface TaskException {
  type: string;
  message: string;
  stack?: string;
}

export function taskPathspec(k: TaskKey): string {
  return `${k.flow}/${k.runId}/${k.step}/${k.taskId}`;
}

/** The pseudo-step that holds a run's parameters and class constants; `start` reads it as input. */
export const PARAMETERS_STEP = '_parameters';
export const PARAMETERS_TASK_ID = '0';
