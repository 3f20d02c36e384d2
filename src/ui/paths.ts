/**
 * Reading request paths, strictly. Every path the UI serves is one of a few fixed shapes (an asset
 * by name, an API route, a page route); a path is split into decoded segments, and anything that
 * could name another file is refused before any route is looked at: `..` or `.` segments, encoded
 * slashes or backslashes, NUL, absolute or doubled slashes, bad percent-encoding.
 */

export class BadPath extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'BadPath';
  }
}

/** The decoded segments of a request path (`/flows/A%20B/runs` → `['flows', 'A B', 'runs']`); throws BadPath. */
export function pathSegments(rawPath: string): string[] {
  if (!rawPath.startsWith('/')) throw new BadPath('the path must start with /');
  if (rawPath.startsWith('//')) throw new BadPath('the path must not start with //');
  if (rawPath.includes('\\') || rawPath.includes('\0')) throw new BadPath('the path holds a backslash or NUL');
  if (/%(2f|5c|00)/i.test(rawPath)) throw new BadPath('the path holds an encoded slash, backslash or NUL');
  const body = rawPath.slice(1);
  if (body === '') return [];
  const raw = body.endsWith('/') ? body.slice(0, -1).split('/') : body.split('/');
  return raw.map((s) => {
    if (s === '') throw new BadPath('the path holds an empty segment (//)');
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      throw new BadPath('the path holds bad percent-encoding');
    }
    if (d === '.' || d === '..') throw new BadPath('the path holds a . or .. segment');
    if (/[\u0000-\u001f\u007f]/.test(d)) throw new BadPath('the path holds a control character');
    return d;
  });
}

const FLOW = /^[A-Za-z_$][\w$]*$/;
const STEP = /^[A-Za-z_$][\w$]*$/;
const ID = /^[\w][\w.:@+-]{0,199}$/;

export const isFlowName = (s: string): boolean => FLOW.test(s);
export const isStepName = (s: string): boolean => STEP.test(s);
/** Run and task ids: what cairn makes (digits) and what `--run-id` accepts, nothing that could be a path. */
export const isId = (s: string): boolean => ID.test(s) && !s.includes('..');

/** A page of the UI, from its path. */
export type PageRoute =
  | { page: 'flows' }
  | { page: 'runs'; flow: string }
  | { page: 'run'; flow: string; runId: string }
  | { page: 'task'; flow: string; runId: string; step: string; taskId: string }
  | { page: 'compare'; flow: string };

/** The page a path names, or undefined when it names none (a 404 page). */
export function pageRoute(seg: readonly string[]): PageRoute | undefined {
  const [a, flow, b, runId, c, step, d, taskId, ...rest] = seg;
  if (seg.length === 0) return { page: 'flows' };
  if (a !== 'flows' || flow === undefined || !isFlowName(flow)) return undefined;
  if (seg.length === 2) return { page: 'runs', flow };
  if (seg.length === 3 && b === 'compare') return { page: 'compare', flow };
  if (b !== 'runs' || runId === undefined || !isId(runId)) return undefined;
  if (seg.length === 4) return { page: 'run', flow, runId };
  if (seg.length === 8 && c === 'steps' && step !== undefined && isStepName(step) && d === 'tasks' && taskId !== undefined && isId(taskId) && rest.length === 0) {
    return { page: 'task', flow, runId, step, taskId };
  }
  return undefined;
}
