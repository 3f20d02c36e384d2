/**
 * What the queue executor and `cairn worker` agree on: the Redis keys and channels under a prefix,
 * the queues (one per resource class), job ids, and the messages on a run's channel.
 *
 * Under the prefix `P` (default `cairn`):
 *
 *   P:tasks-c<cpu>-m<memory>-g<gpu>:...   BullMQ's keys of one queue (one per resource class)
 *   P:classes                              hash: queue name -> its Resources (JSON)
 *   P:worker:<id>                          a live worker's advertisement (JSON; expires unless renewed)
 *   P:cancelled:<jobId>                    set when the orchestrator stopped a task (expires)
 *   channel P:wake                         a queue name: tasks were added to it
 *   channel P:cancel                       a job id: stop it if you run it
 *   channel P:run:<flow>/<runId>           start, log and done messages of the run's tasks
 */
import type { TaskResources, TaskSpec } from '../../runtime/protocol.js';
import type { ExecutionResult } from './types.js';

/** A resource requirement or capacity; every field present (0 when not asked for). */
export interface Resources {
  cpu: number;
  /** Megabytes. */
  memory: number;
  gpu: number;
}

export const DEFAULT_PREFIX = 'cairn';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The requirement of a task: what its step's `@resources` names; what it does not name, it does not need. */
export function requirementOf(r: TaskResources | undefined): Resources {
  return { cpu: r?.cpu ?? 0, memory: r?.memory ?? 0, gpu: r?.gpu ?? 0 };
}

/** The queue of a resource class. BullMQ refuses ':' in queue names, and these have none. */
export function queueNameOf(need: Resources): string {
  return `tasks-c${need.cpu}-m${need.memory}-g${need.gpu}`;
}

export function fits(need: Resources, have: Resources): boolean {
  return need.cpu <= have.cpu && need.memory <= have.memory && need.gpu <= have.gpu;
}

export function add(a: Resources, b: Resources, sign: 1 | -1 = 1): Resources {
  return { cpu: a.cpu + sign * b.cpu, memory: a.memory + sign * b.memory, gpu: a.gpu + sign * b.gpu };
}

export function describeResources(r: Resources): string {
  return `cpu ${r.cpu}, memory ${r.memory} MB, gpu ${r.gpu}`;
}

/** Larger requirements first (gpu, then cpu, then memory), so big tasks get freed capacity first. */
export function biggerFirst(a: Resources, b: Resources): number {
  return b.gpu - a.gpu || b.cpu - a.cpu || b.memory - a.memory;
}

/**
 * One job per task attempt: `<flow>/<runId>/<step>/<taskId>/<attempt>`. Adding a job whose id
 * exists is a no-op in BullMQ, so an attempt is never queued twice.
 */
export function jobIdOf(spec: Pick<TaskSpec, 'flow' | 'runId' | 'step' | 'taskId' | 'attempt'>): string {
  return `${spec.flow}/${spec.runId}/${spec.step}/${spec.taskId}/${spec.attempt}`;
}

export function queueKeys(prefix: string) {
  return {
    classes: `${prefix}:classes`,
    worker: (id: string) => `${prefix}:worker:${id}`,
    workerPattern: `${prefix}:worker:*`,
    cancelled: (jobId: string) => `${prefix}:cancelled:${jobId}`,
    wake: `${prefix}:wake`,
    cancel: `${prefix}:cancel`,
    run: (flow: string, runId: string) => `${prefix}:run:${flow}/${runId}`,
  };
}

/** What a worker advertises, renewed every few seconds while it runs. */
export interface WorkerAd {
  name: string;
  host: string;
  pid: number;
  capacity: Resources;
  concurrency: number;
  running: number;
}

/** How long a worker's advertisement lives without renewal, and how often it is renewed. */
export const WORKER_AD_TTL_SECONDS = 15;
export const WORKER_AD_EVERY_MS = 5000;

/** Messages on a run's channel, from the worker running the task. */
export type RunMessage =
  | { type: 'start'; job: string; pid: number; worker: string }
  | { type: 'log'; job: string; stream: 'stdout' | 'stderr'; lines: string[]; at: number }
  | { type: 'done'; job: string; result: JobResult };

/** A job's return value: the task's outcome as the worker's process pool reported it. */
export interface JobResult extends ExecutionResult {
  worker: string;
}

/** The reason a job fails with when its worker stopped hard while running it. */
export const WORKER_LOST_REASON = 'cairn: worker lost';
/** BullMQ's reason for a job whose lock expired more often than allowed (cairn workers allow none). */
export const STALLED_REASON = 'job stalled more than allowable limit';

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
