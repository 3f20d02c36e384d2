/**
 * The API answer each page reads first, by the page's path and query: the pages fetch these URLs,
 * and the server names the same one in the page's HTML (`<link rel="preload">`) so that the
 * browser fetches it while the page's script loads. Plain code shared by the server and the pages.
 */
import type { PageRoute } from './paths.js';

/** The runs page's filters, in the order they are sent. */
export const RUNS_FILTERS = ['status', 'tag', 'user', 'since', 'until'] as const;
/** Runs a page. */
export const RUNS_PAGE = 50;

const enc = encodeURIComponent;

export const flowsDataUrl = (): string => '/api/flows';

/** `localTime` turns a `since`/`until` value (a `datetime-local` in the reader's time) into epoch ms; undefined when it cannot (the server). */
export function runsDataUrl(flow: string, query: URLSearchParams, localTime: (text: string) => string | undefined): string | undefined {
  const q = new URLSearchParams();
  for (const k of RUNS_FILTERS) {
    const v = query.get(k);
    if (!v) continue;
    const sent = k === 'since' || k === 'until' ? localTime(v) : v;
    if (sent === undefined) return undefined;
    q.set(k, sent);
  }
  const before = query.get('before');
  if (before) q.set('before', before);
  q.set('limit', String(RUNS_PAGE));
  return `/api/flows/${enc(flow)}/runs?${q}`;
}

export const runDataUrl = (flow: string, runId: string): string => `/api/flows/${enc(flow)}/runs/${enc(runId)}`;

export const taskDataBase = (flow: string, runId: string, step: string, taskId: string): string => `${runDataUrl(flow, runId)}/steps/${enc(step)}/tasks/${enc(taskId)}`;

export function taskDataUrl(flow: string, runId: string, step: string, taskId: string, attempt: string | null): string {
  const base = taskDataBase(flow, runId, step, taskId);
  return attempt ? `${base}?attempt=${enc(attempt)}` : base;
}

/** The API answer a page reads first, for the server to preload; undefined when there is none it can tell (compare, a time filter). */
export function pageDataUrl(route: PageRoute, query: URLSearchParams): string | undefined {
  switch (route.page) {
    case 'flows':
      return flowsDataUrl();
    case 'runs':
      return runsDataUrl(route.flow, query, () => undefined);
    case 'run':
      return runDataUrl(route.flow, route.runId);
    case 'task':
      return taskDataUrl(route.flow, route.runId, route.step, route.taskId, query.get('attempt'));
    default:
      return undefined;
  }
}
