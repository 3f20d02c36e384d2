import { inspect } from 'node:util';
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
