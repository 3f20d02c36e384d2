/**
 * The queue executor: each task attempt becomes a BullMQ job on the queue of its resource class,
 * `cairn worker` processes anywhere take the jobs, and results come back as the jobs finish.
 *
 * - A job's id is its attempt (`flow/run/step/task/attempt`) and its data the `TaskSpec`, which
 *   holds the artifact store's settings and never the metadata store's.
 * - At most `maxInFlight` tasks of the run are on the queue (waiting or running) at once; the rest
 *   wait here, so `--max-workers` bounds the run's share of the workers.
 * - Workers publish `start`, `log` and `done` messages on the run's channel, in that order, so the
 *   console shows task output as it comes. BullMQ's own events are the fallback for a lost `done`
 *   and report jobs whose worker died (`stalled`), and a periodic check of the jobs' states covers
 *   anything both missed.
 * - Only the first result of an attempt counts; later ones (a duplicate message, a worker that
 *   finished after it was given up on) are ignored.
 */
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TaskException } from '../../core/types.js';
import type { TaskSpec } from '../../runtime/protocol.js';
import { IdleWatch } from './queue-idle.js';
import {
  jobIdOf, queueKeys, queueNameOf, redactUrl, requirementOf, STALLED_REASON, WORKER_LOST_REASON,
  type JobResult, type Resources, type RunMessage,
} from './queue-protocol.js';
import { closeRedis, connectRedis } from './redis.js';
import { JOB_LOST, WORKER_LOST, type ExecutionResult, type Executor, type TaskEvents } from './types.js';

export interface QueueExecutorOptions {
  redisUrl: string;
  prefix: string;
  /** Most tasks of the run on the queue (waiting or running) at once. */
  maxInFlight: number;
  /** A line for the person watching the run. */
  notice(text: string): void;
  /** How long tasks may wait without any worker taking one before a notice says so. */
  idleNoticeMs: number;
}

interface Pending {
  id: string;
  spec: TaskSpec;
  events: TaskEvents;
  resolve(r: ExecutionResult): void;
  queue: string;
  need: Resources;
  state: 'local' | 'queued' | 'started';
  queuedAt: number;
  pid: number;
  worker?: string;
}

interface ClassQueue {
  queue: Queue;
  events: QueueEvents;
}

/** Finished jobs stay a while for the state check and for inspection, then BullMQ drops them. */
const JOB_OPTIONS = { attempts: 1, removeOnComplete: { age: 3600, count: 20_000 }, removeOnFail: { age: 24 * 3600 } };
/** How often the states of jobs on the queue are checked, and how old a job must be to be checked. */
const CHECK_EVERY_MS = 3000;
/** A `completed` event waits this long for the worker's `done` message (which carries the same result). */
const DONE_GRACE_MS = 500;

const none = () => ({ stdout: null, stderr: null });
const failed = (type: string, message: string, pid = 0): ExecutionResult => ({ outcome: { ok: false, exception: { type, message } }, logs: none(), pid });

export class QueueExecutor implements Executor {
  private readonly keys;
  private readonly jobs = new Map<string, Pending>();
  private readonly local: Pending[] = [];
  private readonly toAdd: Pending[] = [];
  private readonly classes = new Map<string, Promise<ClassQueue>>();
  /** Queues registered in Redis for workers to find; cleared when Redis is seen to have lost its data. */
  private readonly registered = new Set<string>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly idle: IdleWatch;
  private inFlight = 0;
  private flushScheduled = false;
  private subscribed: Promise<unknown> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastRedisNotice = 0;

  /** Connects to Redis (rejecting with a clear error when it cannot) and returns the executor. */
  static async connect(options: QueueExecutorOptions): Promise<QueueExecutor> {
    let executor: QueueExecutor | undefined;
    const onError = (e: Error) => executor?.redisError(e);
    const client = await connectRedis(options.redisUrl, onError);
    const subscriber = client.duplicate();
    subscriber.on('error', onError);
    executor = new QueueExecutor(options, client, subscriber);
    return executor;
  }

  private constructor(
    private readonly o: QueueExecutorOptions,
    private readonly client: Redis,
    private readonly subscriber: Redis,
  ) {
    this.keys = queueKeys(o.prefix);
    this.idle = new IdleWatch({ client, prefix: o.prefix, afterMs: o.idleNoticeMs, notice: o.notice, where: `Redis ${redactUrl(o.redisUrl)}, queue prefix ${o.prefix}` });
    subscriber.on('message', (_channel: string, text: string) => this.onMessage(text));
  }

  warm(): void {}

  setBacklog(): void {}

  submit(spec: TaskSpec, events: TaskEvents, signal?: AbortSignal): Promise<ExecutionResult> {
    return new Promise((resolve) => {
      if (this.closed) return resolve(failed('Cancelled', 'The queue executor is shut down.'));
      const need = requirementOf(spec.resources);
      const p: Pending = { id: jobIdOf(spec), spec, events, resolve, queue: queueNameOf(need), need, state: 'local', queuedAt: 0, pid: 0 };
      this.jobs.set(p.id, p);
      this.local.push(p);
      signal?.addEventListener('abort', () => this.abort(p, signal.reason as TaskException), { once: true });
      this.pump();
    });
  }

  cancelPending(reason: string): void {
    for (const p of this.local.splice(0)) this.settle(p, failed('Cancelled', reason), false);
    for (const p of [...this.jobs.values()]) {
      if (p.state !== 'queued') continue;
      this.cancelRemote(p);
      this.settle(p, failed('Cancelled', reason), false);
    }
  }

  async shutdown(reason = 'The run was stopped.'): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelPending(reason);
    for (const p of [...this.jobs.values()]) {
      this.cancelRemote(p);
      this.settle(p, failed('Killed', reason, p.pid), false);
    }
    if (this.timer) clearInterval(this.timer);
    while (this.background.size) await Promise.allSettled([...this.background]);
    const classes = await Promise.allSettled([...this.classes.values()]);
    for (const c of classes) {
      if (c.status !== 'fulfilled') continue;
      await c.value.events.close().catch(() => {});
      await c.value.queue.close().catch(() => {});
    }
    await closeRedis(this.subscriber);
    await closeRedis(this.client);
  }

  /** Stops one task: dropped if it is still here, removed from the queue or cancelled on its worker. */
  private abort(p: Pending, reason: TaskException): void {
    if (this.jobs.get(p.id) !== p) return;
    const index = this.local.indexOf(p);
    if (index >= 0) this.local.splice(index, 1);
    else this.cancelRemote(p);
    this.settle(p, { outcome: { ok: false, exception: reason }, logs: none(), pid: p.pid }, false);
  }

  /**
   * Marks the job cancelled (a worker checks before it starts a task), removes it if it is still
   * waiting, and tells the worker running it to stop.
   */
  private cancelRemote(p: Pending): void {
    this.track(
      (async () => {
        await this.client.set(this.keys.cancelled(p.id), '1', 'EX', 3600);
        const cls = await this.classes.get(p.queue);
        const removed = cls ? await cls.queue.remove(p.id).catch(() => 0) : 0;
        if (!removed) await this.client.publish(this.keys.cancel, p.id);
      })(),
    );
  }

  private track(promise: Promise<unknown>): void {
    const p = promise.catch(() => {}).finally(() => this.background.delete(p));
    this.background.add(p);
  }

  private pump(): void {
    while (this.inFlight < this.o.maxInFlight && this.local.length > 0) {
      const p = this.local.shift()!;
      this.inFlight++;
      p.state = 'queued';
      p.queuedAt = Date.now();
      this.toAdd.push(p);
    }
    if (this.toAdd.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.track(this.flush()));
    }
  }

  /** Puts the tasks gathered in this turn on their queues, one bulk add per queue. */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.toAdd.splice(0);
    const byQueue = new Map<string, Pending[]>();
    for (const p of batch) byQueue.set(p.queue, [...(byQueue.get(p.queue) ?? []), p]);
    for (const [name, list] of byQueue) {
      try {
        // Subscribed before the first job is added, so that no message of the run is missed.
        await (this.subscribed ??= this.subscriber.subscribe(this.keys.run(list[0]!.spec.flow, list[0]!.spec.runId)));
        const cls = await this.classQueue(name);
        // Tasks stopped meanwhile are not added.
        const live = list.filter((p) => this.jobs.get(p.id) === p);
        if (live.length === 0 || this.closed) continue;
        if (!this.registered.has(name)) {
          await this.client.hset(this.keys.classes, name, JSON.stringify(list[0]!.need));
          this.registered.add(name);
        }
        await cls.queue.addBulk(live.map((p) => ({ name: p.spec.step, data: p.spec, opts: { ...JOB_OPTIONS, jobId: p.id } })));
        await this.client.publish(this.keys.wake, name);
      } catch (e) {
        const why = `The task could not be put on the queue ${name} (Redis ${redactUrl(this.o.redisUrl)}): ${(e as Error).message}`;
        for (const p of list) this.settle(p, failed('QueueError', why), true);
      }
    }
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => this.track(this.check()), CHECK_EVERY_MS);
      this.timer.unref();
    }
  }

  /** The queue of a resource class and its events. */
  private classQueue(name: string): Promise<ClassQueue> {
    let cls = this.classes.get(name);
    if (!cls) {
      cls = (async () => {
        const [seconds] = await this.client.time();
        const queue = new Queue(name, { connection: this.client, prefix: this.o.prefix });
        queue.on('error', (e: Error) => this.redisError(e));
        // Events from this moment on: jobs of this run are added after it.
        const events = new QueueEvents(name, { connection: this.client, prefix: this.o.prefix, autorun: false, lastEventId: `${Number(seconds) * 1000}-0` });
        events.on('error', (e: Error) => this.redisError(e));
        events.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue as unknown));
        events.on('failed', ({ jobId, failedReason }) => this.onFailed(jobId, failedReason));
        events.on('stalled', ({ jobId }) => this.onStalled(jobId));
        void events.run().catch((e: Error) => this.redisError(e));
        await events.waitUntilReady();
        return { queue, events };
      })();
      this.classes.set(name, cls);
    }
    return cls;
  }

  private onMessage(text: string): void {
    let m: RunMessage;
    try {
      m = JSON.parse(text) as RunMessage;
    } catch {
      return;
    }
    const p = this.jobs.get(m.job);
    if (!p) return;
    if (m.type === 'start') this.started(p, m.pid, m.worker);
    else if (m.type === 'log' && p.state === 'started') p.events.onLog(m.stream, m.lines, m.at);
    else if (m.type === 'done') this.settle(p, m.result, true);
  }

  private started(p: Pending, pid: number, worker?: string): void {
    if (p.state === 'started') return;
    p.state = 'started';
    p.pid = pid;
    if (worker) p.worker = worker;
    this.idle.progress();
    p.events.onStart(pid);
  }

  private onCompleted(jobId: string, value: unknown): void {
    const p = this.jobs.get(jobId);
    if (!p) return;
    const result = value as JobResult;
    // The worker's `done` message normally follows at once, after the task's last lines.
    const timer = setTimeout(() => this.settle(p, result, true), DONE_GRACE_MS);
    timer.unref();
  }

  private onFailed(jobId: string, reason: string): void {
    const p = this.jobs.get(jobId);
    if (p) this.settle(p, this.failureOf(p, reason), true);
  }

  /** A worker stopped renewing its lock on the job: it died or lost Redis. The attempt is lost. */
  private onStalled(jobId: string): void {
    const p = this.jobs.get(jobId);
    if (!p) return;
    this.track(this.classes.get(p.queue)!.then((c) => c.queue.remove(p.id)));
    this.settle(p, this.failureOf(p, STALLED_REASON), true);
  }

  /**
   * The job vanished from Redis (a restart without persistence, a flush). The queue's registration
   * went with it, and is written again with the next jobs.
   * - A task no worker had started is queued again, as the same attempt.
   * - A task that had started is lost: the run tries it again as a new attempt, with a job of its
   *   own. The worker still running the old one finds its lock gone, stops it and reports nothing,
   *   so the task never has two successful attempts.
   */
  private jobLost(p: Pending): 'requeued' | 'lost' {
    this.registered.clear();
    if (p.state === 'queued') {
      p.queuedAt = Date.now();
      this.toAdd.push(p);
      this.pump();
      return 'requeued';
    }
    const message =
      `The task's job is no longer on the queue: Redis at ${redactUrl(this.o.redisUrl)} lost it (restarted without persistence, ` +
      `or flushed); ${p.worker ? `the worker ${p.worker}` : 'the worker'} running it stops it. See docs/scale-out.md on Redis persistence.`;
    this.settle(p, failed(JOB_LOST, message, p.pid), true);
    return 'lost';
  }

  private failureOf(p: Pending, reason: string): ExecutionResult {
    const who = p.worker ? `The worker ${p.worker}` : 'The worker';
    if (reason === STALLED_REASON) {
      return failed(WORKER_LOST, `${who} running this task stopped responding (it died or lost its connection to Redis).`, p.pid);
    }
    if (reason.startsWith(`${WORKER_LOST_REASON}: `)) return failed(WORKER_LOST, reason.slice(WORKER_LOST_REASON.length + 2), p.pid);
    return failed('QueueError', `The queue failed the task's job: ${reason}`, p.pid);
  }

  /**
   * Resolves a task once: the first result of an attempt counts. A result that says the task ran is
   * preceded by its start, whether or not the `start` message arrived.
   */
  private settle(p: Pending, result: ExecutionResult, ran: boolean): void {
    if (this.jobs.get(p.id) !== p) return;
    this.jobs.delete(p.id);
    if (p.state !== 'local') this.inFlight--;
    if (ran && p.state !== 'started') this.started(p, result.pid);
    p.resolve({ outcome: result.outcome, logs: result.logs, pid: result.pid });
    if (!this.closed) this.pump();
  }

  /** Catches what the messages and events missed, and notices tasks that no worker takes. */
  private async check(): Promise<void> {
    const now = Date.now();
    const waiting: Pending[] = [];
    const lost = { requeued: 0, lost: 0 };
    for (const p of [...this.jobs.values()]) {
      if (p.state === 'local' || now - p.queuedAt < CHECK_EVERY_MS) continue;
      const cls = await this.classes.get(p.queue);
      if (!cls || this.jobs.get(p.id) !== p) continue;
      const state = await cls.queue.getJobState(p.id);
      if (state === 'completed' || state === 'failed') {
        const job = await Job.fromId(cls.queue, p.id);
        if (!job) continue;
        if (state === 'completed') this.settle(p, job.returnvalue as JobResult, true);
        else this.settle(p, this.failureOf(p, job.failedReason), true);
      } else if (state === 'unknown') {
        lost[this.jobLost(p)]++;
      } else if (state === 'active' && p.state === 'queued' && now - p.queuedAt > 2 * CHECK_EVERY_MS) {
        this.started(p, 0);
      } else if (p.state === 'queued') {
        waiting.push(p);
      }
    }
    if (lost.requeued + lost.lost > 0) {
      this.o.notice(
        `Redis at ${redactUrl(this.o.redisUrl)} lost ${lost.requeued + lost.lost} job(s) of this run (restarted without persistence, or flushed): ` +
          `${lost.requeued} waiting task(s) are queued again, ${lost.lost} running one(s) run again as new attempts.`,
      );
    }
    await this.idle.check(waiting.map((p) => ({ step: p.spec.step, need: p.need, since: p.queuedAt })));
  }

  private redisError(e: Error): void {
    if (this.closed || Date.now() - this.lastRedisNotice < 30_000) return;
    this.lastRedisNotice = Date.now();
    this.o.notice(`The connection to Redis at ${redactUrl(this.o.redisUrl)} failed (${e.message}); retrying.`);
  }
}
