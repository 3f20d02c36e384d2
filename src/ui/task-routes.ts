/**
 * The task page's routes: the task (`/api/flows/F/runs/R/steps/S/tasks/T`), its output
 * (`…/logs/STREAM`, `…/logs/STREAM/download`), its cards (`…/cards`), and each card's page for a
 * sandboxed frame (`/card-frames/F/R/S/T/CARD?attempt=N`).
 */
import type { ServerResponse } from 'node:http';
import { cardFileHtml } from '../cards/html.js';
import { compareJson } from './api/compare.js';
import { cardsJson, loadTask, parseAttempt, taskJson, taskLogJson, taskPathspecOf, type TaskAddress } from './api/task.js';
import { sendJson, statusOf } from './http.js';
import { isFlowName, isId, isStepName } from './paths.js';

const STREAMS = new Set(['stdout', 'stderr']);

/**
 * The routes of the task and compare pages (`/api/flows/F/compare`, `/api/flows/F/runs/R/steps/…`,
 * `/card-frames/…`): answers and returns true, or false for the other routes (`routes.ts`).
 */
export async function taskPagesRoute(seg: readonly string[], q: URLSearchParams, res: ServerResponse): Promise<boolean> {
  const [api, flows, flow, runs, runId, ...rest] = seg;
  if (api === 'card-frames') return cardFrameRoute(seg.slice(1), q, res);
  if (api !== 'api' || flows !== 'flows' || flow === undefined || !isFlowName(flow)) return false;
  if (runs === 'compare' && runId === undefined) {
    sendJson(res, 200, JSON.stringify(await compareJson(flow, q)));
    return true;
  }
  if (runs !== 'runs' || runId === undefined || !isId(runId) || rest[0] !== 'steps') return false;
  return taskApiRoute({ flow, runId }, rest, q, res);
}

/** `steps/S/tasks/T[/...]` under a run: answers and returns true, or false when nothing matches (a 404). */
export async function taskApiRoute(run: { flow: string; runId: string }, seg: readonly string[], q: URLSearchParams, res: ServerResponse): Promise<boolean> {
  const [steps, step, tasks, taskId, what, stream, download, ...extra] = seg;
  if (steps !== 'steps' || tasks !== 'tasks' || !step || !isStepName(step) || !taskId || !isId(taskId) || extra.length > 0) return false;
  const t: TaskAddress = { ...run, step, taskId };
  const json = (body: unknown) => sendJson(res, 200, JSON.stringify(body));
  if (what === undefined) {
    json(await taskJson(t, parseAttempt(q)));
    return true;
  }
  if (what === 'cards' && stream === undefined) {
    json(await cardsJson(t, parseAttempt(q)));
    return true;
  }
  if (what !== 'logs' || !stream || !STREAMS.has(stream)) return false;
  const s = stream as 'stdout' | 'stderr';
  if (download === undefined) {
    json(await taskLogJson(t, s, q));
    return true;
  }
  if (download !== 'download') return false;
  const task = await loadTask(t, parseAttempt(q));
  const text = s === 'stdout' ? await task.stdout() : await task.stderr();
  const name = `${[t.flow, t.runId, t.step, t.taskId].join('-')}-attempt${task.retryCount}-${s}.txt`.replace(/[^\w.-]/g, '_');
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Disposition': `attachment; filename="${name}"`,
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; sandbox",
  });
  res.end(text);
  return true;
}

/**
 * A card's page, for an `<iframe sandbox="allow-scripts">` of the task page: the card file
 * (`cardFileHtml`, its own strict policy in a meta tag: only its inlined scripts run), served with
 * a policy that keeps it sandboxed even when opened on its own, and embeddable only by the UI.
 */
export async function cardFrameRoute(seg: readonly string[], q: URLSearchParams, res: ServerResponse): Promise<boolean> {
  const [flow, runId, step, taskId, cardId, ...extra] = seg;
  if (!flow || !isFlowName(flow) || !runId || !isId(runId) || !step || !isStepName(step) || !taskId || !isId(taskId) || !cardId || !isId(cardId) || extra.length > 0) return false;
  const headers = { 'Cache-Control': 'no-store', 'Content-Security-Policy': "sandbox allow-scripts; frame-ancestors 'self'" };
  const t = { flow, runId, step, taskId };
  try {
    const task = await loadTask(t, parseAttempt(q));
    const doc = await (await task.card(cardId)).data();
    res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
    res.end(cardFileHtml(doc, { listen: true, charts: doc.status === 'rendering' }));
  } catch (e) {
    // Shown where the card would be: what is missing or broken, as text.
    res.writeHead(statusOf(e), { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`Card ${cardId} of ${taskPathspecOf(t)} could not be shown: ${e instanceof Error ? e.message : String(e)}\n`);
  }
  return true;
}
