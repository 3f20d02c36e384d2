/** The flows page and the runs page of a flow: `/api/flows` and `/api/flows/F/runs`. */
import { Flow, type Run } from '../../client/index.js';
import { clientContext } from '../../client/context.js';
import { CairnError } from '../../errors.js';
import { runSummary } from './summaries.js';
import type { FlowSummary, FlowsResponse, RunsResponse, UiRunStatus } from './types.js';

export async function flowsJson(): Promise<FlowsResponse> {
  const ctx = await clientContext();
  const flows = await Flow.list();
  const out = await Promise.all(
    flows.map(async (flow): Promise<FlowSummary> => {
      const [last, success, counts] = await Promise.all([flow.latestRun(), flow.latestSuccessfulRun(), flow.runCounts()]);
      return {
        name: flow.name,
        counts,
        lastRun: last ? runSummary(last) : null,
        lastSuccess: success ? runSummary(success) : null,
      };
    }),
  );
  return { flows: out, store: { metadata: `${ctx.metadata.kind} ${ctx.metadata.location}`, artifacts: `${ctx.artifacts.kind} ${ctx.artifacts.location}` } };
}

export interface RunsQuery {
  status?: UiRunStatus;
  tag?: string;
  user?: string;
  /** Only runs started at or after this time (epoch ms). */
  since?: number;
  /** Only runs started at or before this time (epoch ms). */
  until?: number;
  limit: number;
  /** A cursor from `next` of the previous page. */
  before?: string;
}

export const MAX_RUNS_PAGE = 500;
const STATUSES: readonly UiRunStatus[] = ['running', 'succeeded', 'failed'];

function bad(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

function time(name: string, text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw bad(`${name} must be a time: epoch milliseconds or an ISO date such as 2026-01-31T12:00; got ${JSON.stringify(text)}.`);
  return ms;
}

/** The runs query of a URL's search parameters; INVALID_ARGUMENT saying what was wrong. */
export function parseRunsQuery(q: URLSearchParams): RunsQuery {
  const out: RunsQuery = { limit: 50 };
  const status = q.get('status');
  if (status) {
    if (!STATUSES.includes(status as UiRunStatus)) throw bad(`status must be one of ${STATUSES.join(', ')}; got ${JSON.stringify(status)}.`);
    out.status = status as UiRunStatus;
  }
  const tag = q.get('tag')?.trim();
  if (tag) out.tag = tag;
  const user = q.get('user')?.trim();
  if (user) out.user = user;
  const since = q.get('since');
  if (since) out.since = time('since', since);
  const until = q.get('until');
  if (until) out.until = time('until', until);
  const limit = q.get('limit');
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > MAX_RUNS_PAGE) throw bad(`limit must be a whole number from 1 to ${MAX_RUNS_PAGE}; got ${JSON.stringify(limit)}.`);
    out.limit = n;
  }
  const before = q.get('before');
  if (before) {
    decodeCursor(before);
    out.before = before;
  }
  return out;
}

function encodeCursor(run: Run): string {
  return `${run.createdAt.getTime()}-${run.id}`;
}

function decodeCursor(text: string): { createdAt: number; id: string } {
  const m = /^(\d+)-(.+)$/.exec(text);
  if (!m) throw bad(`before must be a cursor returned as next by an earlier page; got ${JSON.stringify(text)}.`);
  return { createdAt: Number(m[1]), id: m[2]! };
}

/**
 * One page of a flow's runs, newest first. Tag and user filters are answered by the store (a user
 * is its `user:NAME` tag); status and time are applied while paging, stopping at the first run
 * older than `since`.
 */
export async function runsJson(flowName: string, q: RunsQuery): Promise<RunsResponse> {
  const flow = await Flow.get(flowName);
  const tags = [...(q.tag ? [q.tag] : []), ...(q.user ? [`user:${q.user}`] : [])];
  const before = q.before !== undefined ? decodeCursor(q.before) : q.until !== undefined ? { createdAt: q.until + 1, id: '' } : undefined;
  const picked: Run[] = [];
  const pageSize = q.status ? Math.max(200, q.limit + 1) : q.limit + 1;
  for await (const run of flow.runs({ tags, pageSize, ...(before ? { before } : {}) })) {
    if (q.until !== undefined && run.createdAt.getTime() > q.until) continue;
    if (q.since !== undefined && run.createdAt.getTime() < q.since) break;
    if (q.status && run.status !== q.status) continue;
    picked.push(run);
    if (picked.length > q.limit) break;
  }
  const more = picked.length > q.limit;
  const page = picked.slice(0, q.limit);
  return { flow: flow.name, runs: page.map(runSummary), next: more && page.length ? encodeCursor(page.at(-1)!) : null };
}
