/**
 * What a run tells the person watching it. The orchestrator reports events; a reporter decides how
 * they look: `LogReporter` prints Metaflow's one-timestamped-line-per-event log (the default, and
 * what a pipe or a file gets); the progress view redraws a summary per step on a terminal.
 */
import type { TaskException } from '../core/types.js';
import { BufferedConsole, type ConsoleSink } from './console.js';

export interface TaskRef {
  runId: string;
  step: string;
  taskId: string;
  attempt: number;
  /** The worker process running it, once it started. */
  pid?: number;
}

export type StartKind = 'first' | 'retry' | 'fallback';

export interface RunSummary {
  flow: string;
  runId: string;
  status: 'succeeded' | 'failed';
  interrupted: boolean;
  failure?: { step: string; taskId: string; exception: TaskException };
}

export interface RunReporter {
  /** Before the run: the flow validated. `steps` are its steps in graph order. */
  validated(flow: string, user: string, steps: readonly string[]): void;
  runStarting(runId: string): void;
  /** A free-form line (resume's progress, an interruption). */
  notice(text: string): void;
  /** `total` tasks of `step` are now known to be part of the run (a foreach announces its splits). */
  planned(step: string, count: number): void;
  taskStarting(task: TaskRef, kind: StartKind): void;
  taskOutput(task: TaskRef, stream: 'stdout' | 'stderr', lines: string[], at: number): void;
  taskSplit(task: TaskRef, numSplits: number): void;
  taskSucceeded(task: TaskRef): void;
  /** `showException` is false when `@catchError({ printException: false })` will handle it. */
  taskFailed(task: TaskRef, exception: TaskException, next: 'retry' | 'fallback' | 'none', showException?: boolean): void;
  /** A task reused instead of run: cloned by resume, or a hit of the step cache. */
  taskCloned(task: TaskRef, originPathspec: string, how?: 'resume' | 'cache'): void;
  runFinished(summary: RunSummary, userFrames: string[]): void;
  flush(): void;
}

function prefixOf(t: TaskRef): string {
  return `${t.runId}/${t.step}/${t.taskId}${t.pid ? ` (pid ${t.pid})` : ''}`;
}

function exceptionLines(e: TaskException): string[] {
  return `${e.type}: ${e.message}`.split('\n');
}

export class LogReporter implements RunReporter {
  constructor(private readonly out: ConsoleSink = new BufferedConsole()) {}

  validated(flow: string, user: string): void {
    this.out.plain(`cairn executing ${flow} for user:${user}`);
    this.out.plain('Validating your flow...');
    this.out.plain('    The graph looks good!');
  }

  runStarting(runId: string): void {
    this.out.line(`Workflow starting (run-id ${runId}):`);
  }

  notice(text: string): void {
    this.out.line(text);
  }

  planned(): void {}

  taskStarting(t: TaskRef, kind: StartKind): void {
    const text = kind === 'retry' ? 'Task is starting (retry).' : kind === 'fallback' ? 'Task fallback is starting to handle the failure.' : 'Task is starting.';
    this.out.taskLine(prefixOf(t), text);
  }

  taskOutput(t: TaskRef, stream: 'stdout' | 'stderr', lines: string[], at: number): void {
    const prefix = prefixOf(t);
    for (const l of lines) this.out.taskLine(prefix, l, stream, at);
  }

  taskSplit(t: TaskRef, numSplits: number): void {
    this.out.taskLine(prefixOf(t), `Foreach yields ${numSplits} child steps.`);
  }

  taskSucceeded(t: TaskRef): void {
    this.out.taskLine(prefixOf(t), 'Task finished successfully.');
  }

  taskFailed(t: TaskRef, exception: TaskException, next: 'retry' | 'fallback' | 'none', showException = true): void {
    const prefix = prefixOf(t);
    if (exception.type === 'Killed') {
      this.out.taskLine(prefix, exception.message, 'stderr');
      return;
    }
    if (showException) for (const l of exceptionLines(exception)) this.out.taskLine(prefix, l, 'stderr');
    this.out.taskLine(prefix, 'Task failed.', 'stderr');
    if (next === 'none') this.out.taskLine(prefix, 'This failed task will not be retried.', 'stderr');
  }

  taskCloned(t: TaskRef, originPathspec: string, how: 'resume' | 'cache' = 'resume'): void {
    this.out.taskLine(prefixOf(t), how === 'cache' ? `Cache hit: reusing task ${originPathspec}` : `Cloning previously run task ${originPathspec}`);
  }

  runFinished(s: RunSummary, userFrames: string[]): void {
    if (s.status === 'succeeded') {
      this.out.line('Done!');
      return;
    }
    this.out.line('Workflow failed.');
    if (s.interrupted) return;
    const f = s.failure;
    if (!f) {
      this.out.line('    The run ended before its end step succeeded.');
      return;
    }
    this.out.line('    Step failure:');
    this.out.line(`    Step ${f.step} (task-id ${f.taskId}) failed: ${f.exception.type}: ${f.exception.message}`);
    for (const l of userFrames) this.out.line(`    ${l}`);
  }

  flush(): void {
    this.out.flush();
  }
}

/** A reporter that shows nothing (the runner's default). */
export function silentReporter(): RunReporter {
  const nothing = (): void => {};
  return {
    validated: nothing, runStarting: nothing, notice: nothing, planned: nothing, taskStarting: nothing,
    taskOutput: nothing, taskSplit: nothing, taskSucceeded: nothing, taskFailed: nothing, taskCloned: nothing,
    runFinished: nothing, flush: nothing,
  };
}
