/**
 * The live progress view, for a run watched on a terminal: a frame at the bottom of the screen with
 * one line per step (see progress-frame.ts), redrawn in place, and above it, as ordinary lines, what
 * a person needs to read: the run id, every line a task prints, failures, retries, notices and the
 * final verdict. The per-task "Task is starting." / "Task finished successfully." lines are left
 * out; the frame counts those tasks instead. When the run ends the frame stays as its summary.
 */
import type { TaskException } from '../core/types.js';
import { formatLine, formatTaskLine, type ConsoleSink } from './console.js';
import { newStepProgress, renderFrame, type FrameStatus, type StepProgress } from './progress-frame.js';
import { LogReporter, type RunReporter, type RunSummary, type StartKind, type TaskRef } from './reporter.js';

/** The terminal the frame is drawn on (`process.stdout`, or a stand-in in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
  write(text: string): unknown;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
  hasColors?(): boolean;
}

export interface ProgressReporterOptions {
  stdout?: ProgressStream;
  stderr?: { write(text: string): unknown };
  /** The clock (for step and run times, and the lines' timestamps). */
  now?: () => number;
  /** Colour the frame; by default when the terminal supports it (Node's `hasColors`: NO_COLOR, FORCE_COLOR, TERM). */
  color?: boolean;
  /** Milliseconds between redraws while tasks run (default 100). */
  interval?: number;
}

type Stream = 'stdout' | 'stderr';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const SYNC_START = '\x1b[?2026h';
const SYNC_END = '\x1b[?2026l';

function visibleWidth(line: string): number {
  return [...line.replace(ANSI, '')].length;
}

export class ProgressReporter implements RunReporter {
  private readonly out: ProgressStream;
  private readonly err: { write(text: string): unknown };
  private readonly now: () => number;
  private readonly color: boolean;
  private readonly interval: number;
  /** Formats the lines shown above the frame exactly as the plain log does. */
  private readonly log: LogReporter;
  private readonly pending: Array<{ stream: Stream; text: string }> = [];
  private readonly steps = new Map<string, StepProgress>();
  /** Tasks between their start and their end (a failed attempt waiting for its retry included). */
  private readonly open = new Map<string, 'running' | 'retrying'>();
  private title = '';
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  private status: FrameStatus = 'running';
  /** The frame is on screen and redrawn (from the run's start to its end). */
  private live = false;
  /** Visible widths of the frame lines on screen now, to know how many rows to go back up. */
  private drawn: number[] = [];
  private lastFrame = '';
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly onResize = (): void => this.render();

  constructor(options: ProgressReporterOptions = {}) {
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
    this.now = options.now ?? Date.now;
    this.color = options.color ?? this.out.hasColors?.() ?? false;
    this.interval = options.interval ?? 100;
    const sink: ConsoleSink = {
      plain: (text) => this.queue('stdout', text),
      line: (text, at) => this.queue('stdout', formatLine(text, at ?? this.now())),
      taskLine: (prefix, text, stream = 'stdout', at) => this.queue(stream, formatTaskLine(prefix, text, at ?? this.now())),
      flush: () => {},
    };
    this.log = new LogReporter(sink);
  }

  /** The counts of a step (for tests and for callers that want a summary). */
  progressOf(step: string): Readonly<StepProgress> | undefined {
    return this.steps.get(step);
  }

  validated(flow: string, user: string, steps: readonly string[] = []): void {
    this.title = flow;
    for (const s of steps) this.step(s);
    this.log.validated(flow, user);
    this.soon();
  }

  runStarting(runId: string): void {
    this.title = `${this.title}/${runId}`;
    this.startedAt = this.now();
    this.live = true;
    this.log.runStarting(runId);
    this.arm();
    this.soon();
  }

  notice(text: string): void {
    this.log.notice(text);
    this.soon();
  }

  planned(step: string, count: number): void {
    this.step(step).planned += count;
  }

  taskStarting(t: TaskRef, kind: StartKind): void {
    const s = this.leave(t);
    s.running++;
    s.firstStart ??= this.now();
    this.open.set(keyOf(t), 'running');
    if (kind === 'first') return;
    this.log.taskStarting(t, kind);
    this.soon();
  }

  taskOutput(t: TaskRef, stream: Stream, lines: string[], at: number): void {
    this.log.taskOutput(t, stream, lines, at);
  }

  /** The frame shows the split's tasks as they are planned. */
  taskSplit(_task: TaskRef, _numSplits: number): void {}

  taskSucceeded(t: TaskRef): void {
    const s = this.leave(t);
    s.done++;
    s.lastEnd = this.now();
    if (s.done + s.cloned + s.failed + s.killed === s.planned) this.soon();
  }

  taskFailed(t: TaskRef, exception: TaskException, next: 'retry' | 'fallback' | 'none', showException = true): void {
    const s = this.leave(t);
    if (next === 'none') {
      if (exception.type === 'Killed') s.killed++;
      else s.failed++;
      s.lastEnd = this.now();
    } else {
      s.retrying++;
      this.open.set(keyOf(t), 'retrying');
    }
    this.log.taskFailed(t, exception, next, showException);
    this.soon();
  }

  taskCloned(t: TaskRef, _originPathspec: string, how: 'resume' | 'cache' = 'resume'): void {
    const s = this.leave(t);
    s.cloned++;
    if (how === 'cache') s.cached++;
    s.firstStart ??= this.now();
    s.lastEnd = this.now();
  }

  runFinished(summary: RunSummary, userFrames: string[]): void {
    this.status = summary.interrupted ? 'interrupted' : summary.status;
    this.endedAt = this.now();
    this.log.runFinished(summary, userFrames);
    this.flush();
  }

  /**
   * Writes what is pending and leaves the frame where it is, as the run's summary: anything printed
   * later goes below it. `executeRun` calls it last, also when the run ended with an error.
   */
  flush(): void {
    this.render();
    this.live = false;
    this.drawn = [];
    this.lastFrame = '';
    this.disarm();
  }

  /** Draws the pending lines and the frame now (a timer does it ten times a second). */
  redraw(): void {
    this.render();
  }

  private step(name: string): StepProgress {
    let s = this.steps.get(name);
    if (!s) this.steps.set(name, (s = newStepProgress(name)));
    return s;
  }

  /** The task's step, with the task taken out of the running or retrying count it was in. */
  private leave(t: TaskRef): StepProgress {
    const s = this.step(t.step);
    const key = keyOf(t);
    const was = this.open.get(key);
    if (was === 'running') s.running--;
    if (was === 'retrying') s.retrying--;
    this.open.delete(key);
    return s;
  }

  private queue(stream: Stream, text: string): void {
    this.pending.push({ stream, text: `${text}\n` });
    if (this.live) this.arm();
    else this.soon();
  }

  /** Redraws on the next turn of the event loop: for changes a person should see at once. */
  private soon(): void {
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.render();
    });
  }

  private arm(): void {
    if (this.timer || !this.live) return;
    this.timer = setInterval(() => this.render(), this.interval);
    this.timer.unref();
    this.out.on?.('resize', this.onResize);
  }

  private disarm(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.out.off?.('resize', this.onResize);
  }

  private frame(): string[] {
    if (!this.live) return [];
    const rows = this.out.rows || 24;
    const final = this.endedAt !== undefined;
    return renderFrame({
      title: this.title,
      status: this.status,
      elapsedMs: (this.endedAt ?? this.now()) - (this.startedAt ?? this.now()),
      steps: [...this.steps.values()],
      now: this.now(),
      columns: this.out.columns || 80,
      ...(final ? {} : { maxLines: Math.max(3, Math.min(rows - 1, Math.floor(rows / 2))) }),
      color: this.color,
    });
  }

  /**
   * Goes back to the top of the frame on screen, clears from there down, writes the pending lines
   * and the frame again: one write to the terminal when no line goes to stderr.
   */
  private render(): void {
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.live) this.arm();
    const frame = this.frame();
    const text = frame.join('\n');
    if (this.pending.length === 0 && text === this.lastFrame) return;
    const writes: Array<[Stream, string]> = [];
    const push = (stream: Stream, s: string): void => {
      const last = writes[writes.length - 1];
      if (last?.[0] === stream) last[1] += s;
      else writes.push([stream, s]);
    };
    if (this.drawn.length > 0) {
      // Rows the frame takes now: a terminal that reflows lines on a resize may have wrapped them.
      const columns = this.out.columns || 80;
      const rows = this.drawn.reduce((n, w) => n + Math.max(1, Math.ceil(w / columns)), 0);
      push('stdout', `${SYNC_START}\r\x1b[${rows}A\x1b[J`);
    } else if (frame.length) {
      push('stdout', SYNC_START);
    }
    for (const line of this.pending.splice(0)) push(line.stream, line.text);
    if (frame.length) push('stdout', `${text}\n`);
    if (this.drawn.length > 0 || frame.length) push('stdout', SYNC_END);
    for (const [stream, s] of writes) (stream === 'stdout' ? this.out : this.err).write(s);
    this.drawn = frame.map(visibleWidth);
    this.lastFrame = text;
  }
}

function keyOf(t: TaskRef): string {
  return `${t.step}/${t.taskId}`;
}

export interface ReporterChoice {
  /** `false` for the plain log in any case (`--no-progress`). */
  progress?: boolean;
  env?: NodeJS.ProcessEnv;
  stdout?: ProgressStream;
}

/** The progress view is for a person at a terminal: not for a pipe, a file, CI or `TERM=dumb`. */
export function progressWanted(choice: ReporterChoice = {}): boolean {
  const env = choice.env ?? process.env;
  const stdout = choice.stdout ?? process.stdout;
  const ci = env['CI'];
  if (choice.progress === false || !stdout.isTTY) return false;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return false;
  return env['TERM'] !== 'dumb';
}

/** The reporter `run` and `resume` use unless given one: the progress view or the plain log. */
export function chooseReporter(choice: ReporterChoice = {}): RunReporter {
  return progressWanted(choice) ? new ProgressReporter(choice.stdout ? { stdout: choice.stdout } : {}) : new LogReporter();
}
