/** The JSON API's routes (docs/ui.md), each a read through the client. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { runJson } from './api/run.js';
import { flowsJson, parseRunsQuery, runsJson } from './api/runs.js';
import { parseLogQuery, streamRun, streamTaskLogs } from './live.js';
import { isFlowName, isId, isStepName } from './paths.js';
import { sendJson } from './http.js';

/** Answers an API request; false when no route matches (a 404). */
export async function apiRoute(seg: readonly string[], q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
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
    sendJson(res, 200, await runJson(flow, runId));
    return true;
  }
  if (rest.length === 1 && rest[0] === 'events') {
    await streamRun(flow, runId, req, res);
    return true;
  }
  const [steps, step, tasks, taskId, logs, events, ...more] = rest;
  if (steps === 'steps' && step !== undefined && isStepName(step) && tasks === 'tasks' && taskId !== undefined && isId(taskId) && logs === 'logs' && events === 'events' && more.length === 0) {
    const query = parseLogQuery(q);
    await streamTaskLogs(`${flow}/${runId}/${step}/${taskId}`, query, req, res);
    return true;
  }
  return false;
}
