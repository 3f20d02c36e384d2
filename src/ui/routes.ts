/** The JSON API's routes (docs/ui.md), each a read through the client. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runJson } from './api/run.js';
import { flowsJson, parseRunsQuery, runsJson } from './api/runs.js';
import { isFlowName, isId } from './paths.js';
import { sendJson } from './http.js';

/** Answers an API request; false when no route matches (a 404). */
export async function apiRoute(seg: readonly string[], q: URLSearchParams, _req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const [api, flows, flow, runs, runId, ...rest] = seg;
  if (api !== 'api') return false;
  const json = (body: unknown) => sendJson(res, 200, JSON.stringify(body));
  if (flows === 'flows' && flow === undefined) {
    json(await flowsJson());
    return true;
  }
  if (flows !== 'flows' || flow === undefined || !isFlowName(flow) || runs !== 'runs') return false;
  if (runId === undefined) {
    json(await runsJson(flow, parseRunsQuery(q)));
    return true;
  }
  if (!isId(runId)) return false;
  if (rest.length === 0) {
    json(await runJson(flow, runId));
    return true;
  }
  return false;
}
