import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { TaskException } from '../core/types.js';

/** What is recorded of an error thrown by a step (or by cairn while running it). */
export function toException(e: unknown): TaskException {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return {
      type: typeof code === 'string' && e.name === 'CairnError' ? `CairnError(${code})` : e.name || 'Error',
      message: e.message,
      ...(e.stack ? { stack: e.stack } : {}),
    };
  }
  // A thrown plain object would read `[object Object]`; show its contents instead.
  return { type: typeof e, message: typeof e === 'object' && e !== null ? inspect(e, { breakLength: Infinity }) : String(e) };
}

const cairnDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * A failure as a task's stderr ends with it: the error and the frames of its stack that are in the
 * flow's code (cairn's own frames and Node's are left out), as Node prints an uncaught error.
 */
export function describeFailure(e: TaskException): string {
  const frames = (e.stack ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at ') && !l.includes(cairnDir) && !l.includes('node:internal'));
  return [`${e.type}: ${e.message}`, ...frames.map((f) => `    ${f}`)].join('\n');
}
