/**
 * The live channel (docs/ui.md): Server-Sent Events that follow a run or a task's output while it
 * goes. The server reads the stores through the client a few times a second for each open stream
 * (one query for the run and its steps; only steps still going are read again) and sends what
 * changed; nothing is written.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Task } from '../client/index.js';
import { CairnError } from '../errors.js';
import { RunReader, runResponseText } from './api/run.js';
import { lineJson, MAX_LOG_LINES } from './api/task.js';
import type { RunDelta, RunResponse, StepSummary, TaskSummary } from './api/types.js';

/** How often a run is read again while it goes, in ms. */
export const RUN_POLL_MS = 300;
/** How often a task's output is read again, in ms. */
export const LOG_POLL_MS = 200;
/** A comment line this often keeps proxies and browsers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** An open event stream; `closed` turns true when the reader goes away. */
class EventStream {
  closed = false;
  #lastWrite = Date.now();

  constructor(private readonly res: ServerResponse, req: IncomingMessage) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const close = () => {
      this.closed = true;
    };
    req.on('close', close);
    res.on('close', close);
  }

  send(event: string, data: unknown, id?: string): void {
    this.sendText(event, JSON.stringify(data), id);
  }

  /** Sends JSON text as it is (one line: JSON.stringify never writes a newline). */
  sendText(event: string, json: string, id?: string): void {
    if (this.closed) return;
    this.#lastWrite = Date.now();
    this.res.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${json}\n\n`);
  }

  keepalive(): void {
    if (this.closed || Date.now() - this.#lastWrite < KEEPALIVE_MS) return;
    this.#lastWrite = Date.now();
    this.res.write(': keepalive\n\n');
  }

  end(): void {
    this.closed = true;
    this.res.end();
  }

  /** Waits `ms`, or less when the reader goes away. */
  async wait(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.closed && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(50, until - Date.now())));
  }
}

const stepHead = ({ tasks: _tasks, ...head }: StepSummary): Omit<StepSummary, 'tasks'> => head;

/** What changed between two reads of a run: its summary and steps when they changed, and the tasks that are new or changed. */
export function runDelta(before: RunResponse, after: RunResponse): RunDelta | undefined {
  const old = new Map<string, string>();
  for (const s of before.steps) for (const t of s.tasks) old.set(t.pathspec, JSON.stringify(t));
  const tasks: TaskSummary[] = [];
  for (const s of after.steps) for (const t of s.tasks) if (old.get(t.pathspec) !== JSON.stringify(t)) tasks.push(t);
  const steps = after.steps.map(stepHead);
  const stepsChanged = JSON.stringify(before.steps.map(stepHead)) !== JSON.stringify(steps);
  const runChanged = JSON.stringify(before.run) !== JSON.stringify(after.run) || JSON.stringify(before.currentSteps) !== JSON.stringify(after.currentSteps);
  if (!tasks.length && !stepsChanged && !runChanged) return undefined;
  return { run: after.run, currentSteps: after.currentSteps, steps, tasks };
}

/**
 * `GET /api/flows/F/runs/R/events`: `run` (the whole run, as `/api/flows/F/runs/R` answers) when the
 * stream opens, then `update` (a `RunDelta`) whenever something changed, and `end` once the run is
 * over and its last state was sent; the stream then closes.
 */
export async function streamRun(flow: string, runId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const reader = new RunReader(flow, runId);
  let last = await reader.read(); // a missing run is a 404 before the stream opens
  const stream = new EventStream(res, req);
  stream.sendText('run', runResponseText(last));
  while (!stream.closed && last.run.status === 'running') {
    await stream.wait(RUN_POLL_MS);
    if (stream.closed) break;
    let next: RunResponse;
    try {
      next = await reader.read();
    } catch (e) {
      stream.send('problem', { message: e instanceof Error ? e.message : String(e) });
      await stream.wait(RUN_POLL_MS * 5);
      continue;
    }
    const delta = runDelta(last, next);
    if (delta) stream.send('update', delta);
    else stream.keepalive();
    last = next;
  }
  stream.send('end', { status: last.run.status, lost: last.run.lost });
  stream.end();
}

const STREAMS = ['stdout', 'stderr'] as const;
type StreamName = (typeof STREAMS)[number];

/** Byte offsets `STDOUT.STDERR` (a log stream's event id, sent back as `Last-Event-ID` or `?from=`). */
function offsetsOf(text: string): Record<StreamName, number> | undefined {
  const m = /^(\d{1,15})\.(\d{1,15})$/.exec(text);
  return m ? { stdout: Number(m[1]), stderr: Number(m[2]) } : undefined;
}

export interface LogStreamQuery {
  streams: StreamName[];
  attempt?: number;
  /** Where to go on from (`?from=STDOUT.STDERR`, the id of the last event read). */
  from?: Record<StreamName, number>;
}

export function parseLogQuery(q: URLSearchParams): LogStreamQuery {
  const stream = q.get('stream') ?? 'both';
  if (stream !== 'both' && !STREAMS.includes(stream as StreamName)) {
    throw new CairnError('INVALID_ARGUMENT', `stream must be stdout, stderr or both; got ${JSON.stringify(stream)}.`);
  }
  const out: LogStreamQuery = { streams: stream === 'both' ? [...STREAMS] : [stream as StreamName] };
  const attempt = q.get('attempt');
  if (attempt !== null) {
    const n = Number(attempt);
    if (!Number.isInteger(n) || n < 0) throw new CairnError('INVALID_ARGUMENT', `attempt must be a whole number from 0 up; got ${JSON.stringify(attempt)}.`);
    out.attempt = n;
  }
  const from = q.get('from');
  if (from !== null) {
    const offsets = offsetsOf(from);
    if (!offsets) throw new CairnError('INVALID_ARGUMENT', `from must be STDOUT.STDERR byte offsets, the id of the last lines event read (such as 1024.0); got ${JSON.stringify(from)}.`);
    out.from = offsets;
  }
  return out;
}

/**
 * `GET /api/flows/F/runs/R/steps/S/tasks/T/logs/events`: `lines` events (`{ stream, lines: [{ at,
 * text }], partial, skipped }`, `at` epoch ms or null) as the task prints them, with the event id
 * `stdout.stderr` byte offsets (a reconnecting EventSource sends it back as `Last-Event-ID`, a new
 * one passes it as `?from=`, and the stream goes on from there), then `end` (`{ status, lost }`) once
 * the attempt finished and everything it printed was sent.
 */
export async function streamTaskLogs(pathspec: string, q: LogStreamQuery, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const opts = q.attempt !== undefined ? { attempt: q.attempt } : {};
  let task = await Task.get(pathspec, opts); // a missing task is a 404 before the stream opens
  const header = req.headers['last-event-id'];
  // A reconnecting EventSource's Last-Event-ID is newer than the query it was opened with.
  const from = offsetsOf(Array.isArray(header) ? header[0] ?? '' : header ?? '') ?? q.from ?? { stdout: 0, stderr: 0 };
  const partials: Record<StreamName, string | undefined> = { stdout: undefined, stderr: undefined };
  const stream = new EventStream(res, req);
  let checked = Date.now();
  for (;;) {
    // A task of a lost run prints nothing more.
    const finished = task.finished || task.lost;
    let sent = false;
    for (const name of q.streams) {
      const chunk = await task.readLog(name, { from: from[name] });
      // Once the attempt finished, a last line without its newline is complete.
      const all = finished && chunk.partial ? [...chunk.lines, chunk.partial] : chunk.lines;
      const partial = finished ? undefined : chunk.partial;
      if (all.length === 0 && chunk.next === from[name] && partial?.text === partials[name]) continue;
      from[name] = chunk.next;
      partials[name] = partial?.text;
      sent = true;
      // The first read of a long output sends its last MAX_LOG_LINES lines (the download has them all).
      const skipped = Math.max(0, all.length - MAX_LOG_LINES);
      const data = { stream: name, lines: all.slice(skipped).map(lineJson), partial: partial ? lineJson(partial) : null, skipped };
      stream.send('lines', data, `${from.stdout}.${from.stderr}`);
    }
    if (stream.closed) return;
    if (finished) break;
    if (!sent) stream.keepalive();
    await stream.wait(LOG_POLL_MS);
    if (stream.closed) return;
    // The attempt's state is read again about once a second (its output every LOG_POLL_MS).
    if (Date.now() - checked >= 1000) {
      checked = Date.now();
      task = await Task.get(pathspec, opts);
    }
  }
  stream.send('end', { status: task.lost ? 'failed' : task.successful ? 'succeeded' : 'failed', lost: task.lost });
  stream.end();
}
