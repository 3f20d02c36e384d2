/**
 * The task page: `/api/flows/F/runs/R/steps/S/tasks/T` (the task, its attempts, artifacts with
 * previews and cards), `…/logs/STREAM` (its output from an offset, for a live tail), and what the
 * download and card-frame routes read.
 */
import { Run, Task, type Card } from '../../client/index.js';
import { mapLimit } from '../../core/map-limit.js';
import { PARAMETERS_STEP } from '../../core/types.js';
import { CairnError } from '../../errors.js';
import type { TaskLogLine } from '../../client/index.js';
import { foreachValueLabel, taskSummary } from './run.js';
import { runSummary } from './summaries.js';
import type { ArtifactView, AttemptSummary, CardsResponse, CardSummary, TaskLogResponse, TaskResponse } from './task-types.js';

/** Values stored in more bytes than this are not loaded for a preview (the page says so). */
export const PREVIEW_LOAD_BYTES = 32 * 1024 * 1024;
/** The most lines one log answer holds: the last ones (the download has every line). */
export const MAX_LOG_LINES = 5000;
const PREVIEW_LIMITS = { maxRows: 50, maxItems: 100, maxString: 4000, samplePoints: 240, maxImageBytes: 4 * 1024 * 1024 };

export interface TaskAddress {
  flow: string;
  runId: string;
  step: string;
  taskId: string;
}

export const taskPathspecOf = (t: TaskAddress): string => `${t.flow}/${t.runId}/${t.step}/${t.taskId}`;

/** The `attempt` query parameter: undefined when absent; INVALID_ARGUMENT when it is not a whole number. */
export function parseAttempt(q: URLSearchParams): number | undefined {
  const text = q.get('attempt');
  if (text === null || text === '') return undefined;
  if (!/^\d{1,6}$/.test(text)) throw new CairnError('INVALID_ARGUMENT', `attempt must be a whole number from 0 up (an attempt of the task); got ${JSON.stringify(text)}.`);
  return Number(text);
}

export function loadTask(t: TaskAddress, attempt: number | undefined): Promise<Task> {
  return Task.get(taskPathspecOf(t), attempt === undefined ? {} : { attempt });
}

function statusOfTask(t: Task): AttemptSummary['status'] {
  return t.lost ? 'failed' : t.finished ? (t.successful ? 'succeeded' : 'failed') : 'running';
}

function attemptSummary(t: Task): AttemptSummary {
  return {
    attempt: t.retryCount,
    status: statusOfTask(t),
    lost: t.lost,
    startedAt: t.startedAt?.getTime() ?? null,
    finishedAt: t.finishedAt?.getTime() ?? null,
    exception: t.exception ? { type: t.exception.type, message: t.exception.message, ...(t.exception.stack ? { stack: t.exception.stack } : {}) } : null,
  };
}

/** The frame of a card: its own task's (for a task cloned by resume, the origin task's). */
function cardFramePath(card: Card): string {
  const seg = [...card.taskPathspec.split('/'), card.id].map(encodeURIComponent).join('/');
  return `/card-frames/${seg}?attempt=${card.attempt}`;
}

function cardSummary(card: Card): CardSummary {
  return {
    id: card.id,
    type: card.type,
    status: card.status,
    error: card.error ? { type: card.error.type, message: card.error.message } : null,
    updatedAt: card.updatedAt.getTime(),
    attempt: card.attempt,
    frame: cardFramePath(card),
  };
}

function artifactsNote(task: Task, count: number): string | null {
  if (count > 0) return null;
  if (!task.finished) return 'The attempt is running: its artifacts are stored when it succeeds.';
  if (!task.successful) return 'The attempt did not succeed, so its artifacts were not kept.';
  return 'The attempt recorded no artifacts.';
}

export async function taskJson(t: TaskAddress, attempt: number | undefined): Promise<TaskResponse> {
  const [run, task] = await Promise.all([Run.get(`${t.flow}/${t.runId}`), loadTask(t, attempt)]);
  const [attempts, artifacts, cards, value] = await Promise.all([
    task.attempts(),
    task.successful ? task.artifacts() : Promise.resolve([]),
    task.cards().catch(() => [] as Card[]),
    foreachValueLabel(run, task),
  ]);
  const views = await mapLimit(artifacts, 4, async (a): Promise<ArtifactView> => ({
    name: a.name,
    type: a.type,
    size: a.size,
    sha: a.sha,
    encoding: a.encoding,
    preview: await a.preview({ ...PREVIEW_LIMITS, maxLoadBytes: PREVIEW_LOAD_BYTES }),
  }));
  const hidden = `${t.flow}/${t.runId}/${PARAMETERS_STEP}/`;
  return {
    run: runSummary(run),
    task: {
      ...taskSummary(task, value),
      startedAt: task.startedAt?.getTime() ?? null,
      parents: task.parents.filter((p) => !p.startsWith(hidden)),
      originPathspec: task.originPathspec ?? null,
    },
    attempts: attempts.map(attemptSummary),
    artifacts: views,
    artifactsNote: artifactsNote(task, views.length),
    cards: cards.map(cardSummary),
  };
}

/** A line of output as the API sends it. */
export const lineJson = (l: TaskLogLine) => ({ at: l.at?.getTime() ?? null, text: l.text });

/** What the attempt printed on `stream` from byte `from`: the last `MAX_LOG_LINES` lines of it at most. */
export async function taskLogJson(t: TaskAddress, stream: 'stdout' | 'stderr', q: URLSearchParams): Promise<TaskLogResponse> {
  const attempt = parseAttempt(q);
  const fromText = q.get('from') ?? '0';
  if (!/^\d{1,15}$/.test(fromText)) throw new CairnError('INVALID_ARGUMENT', `from must be a byte offset returned as next by an earlier answer; got ${JSON.stringify(fromText)}.`);
  const task = await loadTask(t, attempt);
  const chunk = await task.readLog(stream, { from: Number(fromText) });
  const skipped = Math.max(0, chunk.lines.length - MAX_LOG_LINES);
  return {
    stream,
    attempt: task.retryCount,
    lines: chunk.lines.slice(skipped).map(lineJson),
    partial: chunk.partial ? lineJson(chunk.partial) : null,
    next: chunk.next,
    skipped,
    finished: task.finished,
  };
}

/** The attempt's cards with their documents (polled by the task page while a live card renders). */
export async function cardsJson(t: TaskAddress, attempt: number | undefined): Promise<CardsResponse> {
  const task = await loadTask(t, attempt);
  const cards = await task.cards();
  const out = await Promise.all(cards.map(async (c) => ({ ...cardSummary(c), document: await c.data() })));
  return { cards: out, finished: task.finished };
}
