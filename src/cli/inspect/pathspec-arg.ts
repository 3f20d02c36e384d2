/**
 * The pathspec argument of `logs` and `dump`: `RUN/STEP` (every task of the step) or
 * `RUN/STEP/TASK`, within the flow the flow file defines. The flow's name may lead it
 * (`ArtFlow/RUN/STEP[/TASK]`), as the client prints pathspecs.
 */
import { usageError } from '../args.js';

export interface TaskPathArg {
  runId: string;
  step: string;
  /** Undefined for every task of the step. */
  taskId?: string;
}

/** A flow's name is its class name; run ids are numbers. */
const FLOW_NAME = /^[A-Za-z_$][\w$]*$/;

/** The forms accepted, for messages. */
export const PATHSPEC_FORMS = 'RUN/STEP or RUN/STEP/TASK (for example 1795746083754893/start/1)';

/**
 * Reads `text` as a pathspec of flow `flowName` (the flow of `file`, named in messages). Throws a
 * usage error that shows the expected form, or says which flow a full pathspec names.
 */
export function parseTaskPathArg(text: string, flowName: string, file: string): TaskPathArg {
  let parts = text.split('/');
  if (parts.length === 4 && parts[0] !== flowName && FLOW_NAME.test(parts[0]!)) {
    throw usageError(
      `'${text}' is a task of flow ${parts[0]}, but ${file} defines flow ${flowName}. ` +
        `Give the flow file of ${parts[0]}, or a pathspec of ${flowName}: ${PATHSPEC_FORMS}.`,
    );
  }
  if (parts.length === 2 && parts[0] === flowName) {
    throw usageError(`'${text}' names a whole run; name a step of it: ${PATHSPEC_FORMS}.`);
  }
  if (parts.length >= 3 && parts[0] === flowName) parts = parts.slice(1);
  if (parts.length < 2 || parts.length > 3) {
    throw usageError(`'${text}' is not a task pathspec: expected ${PATHSPEC_FORMS}.`);
  }
  const names = ['RUN', 'STEP', 'TASK'];
  const empty = parts.findIndex((p) => p.trim() === '');
  if (empty !== -1) {
    throw usageError(`'${text}' is not a task pathspec: its ${names[empty]} part is empty. Expected ${PATHSPEC_FORMS}.`);
  }
  const [runId, step, taskId] = parts as [string, string, string | undefined];
  return taskId === undefined ? { runId, step } : { runId, step, taskId };
}
