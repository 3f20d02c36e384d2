/**
 * The service behind `cairn worker`: takes tasks from every queue whose resource class fits what it
 * advertises, runs each in a child process of a local pool (as `cairn run` does on one machine, so
 * crashes, time-outs and output capture behave the same), and reports the results.
 *
 * - Capacity: at most `concurrency` tasks at once, and the `@resources` of the tasks running never
 *   add up to more than the worker advertises. Jobs are fetched one at a time, larger classes first,
 *   only while the next one fits.
 * - Liveness: the worker renews its lock on each job every `stallMs / 2`. A worker that dies stops
 *   renewing; another worker's stall check then gives the job up (no job is re-run as the same
 *   attempt), and the orchestrator runs the task again as a new attempt.
 * - A task's log lines, its start and its result are published on its run's channel.
 * - Workers never open the metadata store: the `TaskSpec` names only the artifact store.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker as BullWorker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { TaskSpec } from '../../runtime/protocol.js';
import { withOwnS3Settings, type OwnS3Settings } from '../../storage/config.js';
import { LocalArtifactStore } from '../../storage/local-artifact-store.js';
import { LocalPool } from './local-pool.js';
import {
  add, biggerFirst, describeResources, fits, queueKeys, redactUrl, WORKER_AD_EVERY_MS, WORKER_AD_TTL_SECONDS, WORKER_LOST_REASON,
  type JobResult, type Resources, type RunMessage, type WorkerAd,
} from './queue-protocol.js';
import { closeRedis, connectRedis } from './redis.js';
import { WORKER_LOST, type ExecutionResult } from './types.js';

export interface QueueWorkerOptions {
  redisUrl: string;
  prefix: string;
  /** Shown in the orchestrator's messages and stored on the jobs it takes. */
  name: string;
  concurrency: number;
  /** What the worker advertises; tasks whose `@resources` need more are left to other workers. */
  capacity: Resources;
  /** A worker that has not renewed its locks for this long is taken for dead (milliseconds). */
  stallMs: number;
  /** This machine's cairn folder (caches) and the folder where code packages are linked. */
  localRoot: string;
  codeDir: string;
  /** How this machine reaches S3, where it says so itself: wins over the run's settings. */
  s3: OwnS3Settings;
  log(line: string): void;
}

interface ClassQueue {
  name: string;
  need: Resources;
  worker: BullWorker;
}

interface Running {
  job: Job;
  token: string;
  cls: ClassQueue;
  abort: AbortController;
  channel: string;
  /** The lock was lost: another worker's stall check gave the job up. */
  lost?: boolean;
  /** Stopped by `kill()`: the job is failed as lost, for the orchestrator to run again at once. */
  forced?: boolean;
}

/** Queues are polled this often when no wake-up message came (a lost message costs at most this). */
const POLL_MS = 1000;
/** The pool's processes are replaced, between tasks, once they have imported this many code packages. */
const RECYCLE_AFTER_PACKAGES = 16;

const none = () => ({ stdout: null, stderr: null });

export class QueueWorker {
  private readonly id = randomUUID();
  private readonly keys;
  private readonly classes = new Map<string, ClassQueue>();
  private ordered: ClassQueue[] = [];
  private readonly refused = new Set<string>();
  private readonly running = new Map<string, Running>();
  private used: Resources = { cpu: 0, memory: 0, gpu: 0 };
  private pool: LocalPool;
  private readonly codeShas = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly idleWaiters: Array<() => void> = [];
  private pumping = false;
  private again = false;
  private stopping = false;
  private killed = false;
  private tokens = 0;
  private lastRedisError = 0;
  private closing: Promise<void> | undefined;
  private resolveStopped!: () => void;
  /** Settles once the worker has stopped and disconnected. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  /** Connects (rejecting with a clear error when Redis cannot be reached) and starts taking tasks. */
  static async start(options: QueueWorkerOptions): Promise<QueueWorker> {
    let worker: QueueWorker | undefined;
    const onError = (e: Error) => worker?.redisError(e);
    const client = await connectRedis(options.redisUrl, onError);
    const subscriber = client.duplicate();
    subscriber.on('error', onError);
    worker = new QueueWorker(options, client, subscriber);
    await worker.init();
    return worker;
  }

  private constructor(
    private readonly o: QueueWorkerOptions,
    private readonly client: Redis,
    private readonly subscriber: Redis,
  ) {
    this.keys = queueKeys(o.prefix);
    this.pool = this.newPool();
  }

  private newPool(): LocalPool {
    return new LocalPool({ maxWorkers: this.o.concurrency, onStray: (pid, text) => this.o.log(`[task process ${pid}] ${text.trimEnd()}`) });
  }

  private async init(): Promise<void> {
    this.subscriber.on('message', (channel: string, text: string) => (channel === this.keys.cancel ? this.onCancel(text) : this.onWake(text)));
    await this.subscriber.subscribe(this.keys.wake, this.keys.cancel);
    await this.advertise();
    await this.refreshClasses();
    const every = (ms: number, fn: () => Promise<void> | void) => {
      const t = setInterval(() => void Promise.resolve(fn()).catch((e: Error) => this.redisError(e)), ms);
      this.timers.push(t);
    };
    every(WORKER_AD_EVERY_MS, async () => {
      await this.advertise();
      await this.refreshClasses();
    });
    every(this.o.stallMs / 2, () => this.renewLocks());
    every(POLL_MS, () => this.pump());
    this.pool.warm();
    this.pump();
  }

  /** Stops taking tasks, lets the running ones finish, and disconnects. */
  stop(): Promise<void> {
    this.stopping = true;
    return (this.closing ??= this.whenIdle().then(() => this.close()));
  }

  /** Stops at once: running tasks are killed and given back as lost, to run again elsewhere. */
  kill(): Promise<void> {
    this.stopping = true;
    this.killed = true;
    for (const r of this.running.values()) this.giveBack(r);
    return (this.closing ??= this.whenIdle().then(() => this.close()));
  }

  private giveBack(r: Running): void {
    r.forced = true;
    r.abort.abort({ type: WORKER_LOST, message: `The worker ${this.o.name} was stopped.` });
  }

  get runningCount(): number {
    return this.running.size;
  }

  private whenIdle(): Promise<void> {
    return this.running.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.client.del(this.keys.worker(this.id)).catch(() => 0);
    for (const cls of this.classes.values()) await cls.worker.close(true).catch(() => {});
    await this.pool.shutdown('The worker stopped.');
    await closeRedis(this.subscriber);
    await closeRedis(this.client);
    this.resolveStopped();
  }

  private async advertise(): Promise<void> {
    const ad: WorkerAd = {
      name: this.o.name, host: hostname(), pid: process.pid, capacity: this.o.capacity, concurrency: this.o.concurrency, running: this.running.size,
    };
    await this.client.set(this.keys.worker(this.id), JSON.stringify(ad), 'EX', WORKER_AD_TTL_SECONDS);
  }

  /** Starts consuming the queues registered since the last look whose tasks fit this worker. */
  private async refreshClasses(): Promise<void> {
    const all = await this.client.hgetall(this.keys.classes);
    for (const [name, text] of Object.entries(all)) {
      if (this.classes.has(name) || this.refused.has(name) || this.stopping) continue;
      const need = JSON.parse(text) as Resources;
      if (!fits(need, this.o.capacity)) {
        this.refused.add(name);
        this.o.log(`Not taking tasks from ${name}: they need ${describeResources(need)}; this worker advertises ${describeResources(this.o.capacity)}.`);
        continue;
      }
      const worker = new BullWorker(name, null, {
        connection: this.client, prefix: this.o.prefix, autorun: false, name: this.o.name,
        lockDuration: this.o.stallMs, stalledInterval: this.o.stallMs,
        // A job whose worker died is failed, not re-run as the same attempt: the run retries it as a new one.
        maxStalledCount: 0,
      });
      worker.on('error', (e: Error) => this.redisError(e));
      void worker.startStalledCheckTimer().catch((e: Error) => this.redisError(e));
      this.classes.set(name, { name, need, worker });
      this.ordered = [...this.classes.values()].sort((a, b) => biggerFirst(a.need, b.need));
    }
    this.pump();
  }

  private onWake(name: string): void {
    if (!this.classes.has(name) && !this.refused.has(name)) void this.refreshClasses().catch((e: Error) => this.redisError(e));
    else this.pump();
  }

  private onCancel(jobId: string): void {
    this.running.get(jobId)?.abort.abort({ type: 'Cancelled', message: 'The run stopped this task.' });
  }

  private canTake(need: Resources): boolean {
    return !this.stopping && this.running.size < this.o.concurrency && fits(add(this.used, need), this.o.capacity);
  }

  private pump(): void {
    void this.fetch();
  }

  /** Takes jobs, one at a time and larger classes first, while the next one fits. */
  private async fetch(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        for (const cls of this.ordered) {
          while (this.canTake(cls.need)) {
            const token = `${cls.worker.id}:${this.tokens++}`;
            const job = (await cls.worker.getNextJob(token, { block: false })) as Job | undefined;
            if (!job) break;
            this.take(cls, job, token);
          }
        }
      } while (this.again && !this.stopping);
    } catch (e) {
      this.redisError(e as Error);
    } finally {
      this.pumping = false;
    }
  }

  private take(cls: ClassQueue, job: Job, token: string): void {
    const spec = job.data as TaskSpec;
    const r: Running = { job, token, cls, abort: new AbortController(), channel: this.keys.run(spec.flow, spec.runId) };
    this.running.set(job.id!, r);
    this.used = add(this.used, cls.need);
    // A fetch that was under way when the worker was killed.
    if (this.killed) this.giveBack(r);
    void this.execute(r).finally(() => {
      this.running.delete(job.id!);
      this.used = add(this.used, cls.need, -1);
      this.afterTask();
    });
  }

  private afterTask(): void {
    if (this.running.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      if (this.codeShas.size > RECYCLE_AFTER_PACKAGES && !this.stopping) {
        // Imported code packages stay in a process's memory: start afresh between tasks.
        const old = this.pool;
        this.pool = this.newPool();
        this.codeShas.clear();
        void old.shutdown();
      }
    }
    this.pump();
  }

  private async execute(r: Running): Promise<void> {
    const { job, token } = r;
    const spec = job.data as TaskSpec;
    try {
      if (job.deferredFailure) {
        // Its lock expired before (its worker died): the run has given this attempt up.
        await job.moveToFailed(new Error(job.deferredFailure), token, false);
        return;
      }
      if (!r.forced && ((await this.client.exists(this.keys.cancelled(job.id!))) > 0 || r.abort.signal.aborted)) {
        const cancelled: JobResult = { outcome: { ok: false, exception: { type: 'Cancelled', message: 'The run stopped this task before it started.' } }, logs: none(), pid: 0, worker: this.o.name };
        await job.moveToCompleted(cancelled, token, false);
        return;
      }
      const result = r.forced ? undefined : await this.run(spec, r);
      if (r.forced || !result) {
        await job.moveToFailed(new Error(`${WORKER_LOST_REASON}: The worker ${this.o.name} was stopped before the task finished.`), token, false);
        this.o.log(`${job.id}: stopped; given back to run again elsewhere.`);
        return;
      }
      if (r.lost) return;
      const value: JobResult = { ...result, worker: this.o.name };
      await job.moveToCompleted(value, token, false);
      await this.publish(r.channel, { type: 'done', job: job.id!, result: value });
      const o = result.outcome;
      this.o.log(`${job.id}: ${o.ok ? 'succeeded' : `failed: ${o.exception.type}: ${o.exception.message.split('\n')[0]}`}`);
    } catch (e) {
      this.o.log(`${job.id}: the result could not be reported (${(e as Error).message}).`);
    }
  }

  /** Runs the task in a process of the pool, with this machine's folders and the run's store. */
  private async run(spec: TaskSpec, r: Running): Promise<ExecutionResult> {
    const a = spec.store.artifacts;
    const unavailable = a.kind === 'local' ? this.localStoreProblem(a.root, spec.code.sha) : undefined;
    if (unavailable) return { outcome: { ok: false, exception: { type: 'StoreUnavailable', message: unavailable } }, logs: none(), pid: 0 };
    const artifacts = a.kind === 's3' ? { ...withOwnS3Settings(a, this.o.s3), cacheDir: join(this.o.localRoot, 'cache', 'blobs') } : a;
    const local: TaskSpec = { ...spec, codeDir: this.o.codeDir, store: { root: this.o.localRoot, artifacts } };
    this.codeShas.add(spec.code.sha);
    const jobId = r.job.id!;
    return this.pool.submit(
      local,
      {
        onStart: (pid) => {
          void this.publish(r.channel, { type: 'start', job: jobId, pid, worker: this.o.name });
          this.o.log(`${jobId}: started (pid ${pid})`);
        },
        onLog: (stream, lines, at) => void this.publish(r.channel, { type: 'log', job: jobId, stream, lines, at }),
      },
      r.abort.signal,
    );
  }

  /**
   * Why this worker cannot use the run's local artifact folder, if it cannot: the folder is missing
   * here, or a folder at that path is another one (it lacks the run's code package, which the
   * orchestrator stored before queueing any task).
   */
  private localStoreProblem(root: string, codeSha: string): string | undefined {
    const here = `this worker (${this.o.name} on ${hostname()})`;
    const shared = 'Workers on other machines need the same folder (a shared disk mounted at the same path) or a shared artifact store such as S3 (docs/scale-out.md).';
    if (!existsSync(root)) return `The run keeps its artifacts in the local folder ${root}, which ${here} does not have. ${shared}`;
    if (existsSync(new LocalArtifactStore(root).blobPath(codeSha))) return undefined;
    return (
      `The run keeps its artifacts in the local folder ${root}, but the folder ${here} sees at that path is not the run's: ` +
      `it lacks the run's code package (blob ${codeSha}), which the orchestrator stored there. ` +
      `Check that the worker mounts the orchestrator's folder itself, not a copy or another disk. ${shared}`
    );
  }

  private async publish(channel: string, message: RunMessage): Promise<void> {
    await this.client.publish(channel, JSON.stringify(message)).catch((e: Error) => this.redisError(e));
  }

  /** Renews this worker's locks; a job whose lock is gone is stopped (its attempt was given up). */
  private async renewLocks(): Promise<void> {
    const byClass = new Map<ClassQueue, Running[]>();
    for (const r of this.running.values()) if (!r.lost) byClass.set(r.cls, [...(byClass.get(r.cls) ?? []), r]);
    for (const [cls, list] of byClass) {
      const failed = await cls.worker.extendJobLocks(list.map((r) => r.job.id!), list.map((r) => r.token), this.o.stallMs);
      for (const id of failed) {
        const r = this.running.get(id);
        if (!r) continue;
        r.lost = true;
        r.abort.abort({ type: WORKER_LOST, message: `The worker ${this.o.name} lost its lock on this task.` });
        this.o.log(`${id}: lost its lock (the run gave the attempt up); stopped.`);
      }
    }
  }

  private redisError(e: Error): void {
    if (Date.now() - this.lastRedisError < 30_000) return;
    this.lastRedisError = Date.now();
    this.o.log(`Redis at ${redactUrl(this.o.redisUrl)}: ${e.message} (retrying)`);
  }
}
