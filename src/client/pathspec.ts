/** Parsing and formatting of client pathspecs: `Flow/run/step/task/artifact`. */
import { InvalidPathspecError } from '../errors.js';

export type ObjectKind = 'Flow' | 'Run' | 'Step' | 'Task' | 'DataArtifact';

const FORMS: Record<ObjectKind, string[]> = {
  Flow: ['FlowName'],
  Run: ['FlowName', 'runId'],
  Step: ['FlowName', 'runId', 'stepName'],
  Task: ['FlowName', 'runId', 'stepName', 'taskId'],
  DataArtifact: ['FlowName', 'runId', 'stepName', 'taskId', 'artifactName'],
};

/** The form a pathspec of this kind takes, for messages: `FlowName/runId`. */
export function expectedForm(kind: ObjectKind): string {
  return FORMS[kind].join('/');
}

/**
 * Splits a pathspec into exactly as many non-empty components as `kind` needs, or throws an
 * `InvalidPathspecError` that shows the expected form.
 */
export function parsePathspec(kind: ObjectKind, pathspec: unknown): string[] {
  const form = expectedForm(kind);
  if (typeof pathspec !== 'string') {
    throw new InvalidPathspecError(
      `${kind}.get() takes a pathspec string of the form '${form}', but got ${describe(pathspec)}.`,
    );
  }
  const parts = pathspec.split('/');
  const want = FORMS[kind].length;
  if (parts.length !== want) {
    throw new InvalidPathspecError(
      `'${pathspec}' is not a valid ${kind} pathspec: it has ${parts.length} component${parts.length === 1 ? '' : 's'}, ` +
        `a ${kind} pathspec has ${want} ('${form}').`,
    );
  }
  const empty = parts.findIndex((p) => p.trim() === '');
  if (empty !== -1) {
    throw new InvalidPathspecError(
      `'${pathspec}' is not a valid ${kind} pathspec: the ${FORMS[kind][empty]} component is empty. ` +
        `Write it as '${form}'.`,
    );
  }
  return parts;
}

export function joinPathspec(...parts: string[]): string {
  return parts.join('/');
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  return `a value of type ${typeof v}`;
}
