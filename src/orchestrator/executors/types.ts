import type { TaskLogs, TaskOutcome, TaskSpec } from '../../runtime/protocol.js';

export interface TaskEvents {
  /** The task was handed to a process (`pid`) and is running. */
  onStart(pid: number): void;
  /** Complete lines the task printed. */
  onLog(stream: 'stdout' | 'stderr', lines: string[], at: number): void;
}

/**
 * The exception type of an attempt whose worker went away while it ran (its machine died, or the
 * worker stopped hard), as opposed to a task that failed or crashed its own process. The run retries
 * such an attempt as a new attempt, without counting it against `@retry`, up to
 * `LOST_WORKER_RETRIES` times per task (lost jobs included).
 */
export const WORKER_LOST = 'WorkerLost';
/**
 * The exception type of an attempt whose job vanished from the queue (Redis lost its data: a restart
 * without persistence, a flush). Retried as a lost worker's attempt is.
 */
export const JOB_LOST = 'JobLost';
export const LOST_WORKER_RETRIES = 2;

/** Whether an attempt failed by being lost (its worker or its job went away), not by anything the task did. */
export function isLostAttempt(type: string): boolean {
  return type === WORKER_LOST || type === JOB_LOST;
}

export interface ExecutionResult {
  outcome: TaskOutcome;
  logs: TaskLogs;
  pid: number;
}

/** Hands tasks to something that runs them: local worker processes, or workers behind a queue. */
export interface Executor {
  /**
   * Runs the task when capacity allows; resolves with its outcome (a crash is a failed outcome).
   * Aborting `signal` with a `TaskException` as its reason stops the task (its process is killed if
   * it is running) and resolves it as failed with that exception.
   */
  submit(spec: TaskSpec, events: TaskEvents, signal?: AbortSignal): Promise<ExecutionResult>;
  /** Starts capacity ahead of the first task, to overlap process start-up with other work. */
  warm(): void;
  /** How many more tasks are ready but not submitted yet (a hint for sizing capacity). */
  setBacklog(count: number): void;
  /** Drops tasks not started yet (they resolve as cancelled failures). */
  cancelPending(reason: string): void;
  /** Stops every process; running tasks resolve as failed with `reason`. */
  shutdown(reason?: string): Promise<void>;
}
