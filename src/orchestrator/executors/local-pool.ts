/**
 * Runs tasks on a pool of reusable local worker processes. Never more than `maxWorkers` tasks at
 * once; the pool grows only while the queue would take longer to drain than a new process takes
 * to start, and, when tasks keep the CPU busy, no further than the machine's cores: a thousand
 * tiny tasks use a couple of processes and ten slow, waiting ones use ten.
 */
import type { ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { FromWorker, TaskSpec, ToWorker } from '../../runtime/protocol.js';
import type { TaskException } from '../../core/types.js';
import type { ExecutionResult, Executor, TaskEvents } from './types.js';
import { openArtifactStore } from '../../storage/config.js';
import type { ArtifactStore } from '../../storage/types.js';
import { HeardTail } from './heard-tail.js';
import { endStoppedCards } from '../../cards/stopped.js';
import { takeEarlyWorker, WorkerProcess } from './worker-process.js';

const cores = availableParallelism();

interface Job {
  spec: TaskSpec;
  events: TaskEvents;
  resolve(r: ExecutionResult): void;
  startedAt?: number;
  /** What the task printed that its worker has not confirmed stored. */
  heard: HeardTail;
}

/** What a worker wrote outside any task's capture while running one (V8's out-of-memory report), up to this much. */
const STRAY_KEEP = 64 * 1024;

interface Worker {
  proc: ChildProcess;
  pid: number;
  ready: boolean;
  job?: Job;
  forkedAt: number;
  /** Killed by us; gone as soon as its exit is seen, and never given another task. */
  killed?: boolean;
  /** The end of what the process wrote to its stdout and stderr itself while its task ran (kept while `collect`). */
  stray: string;
  collect: boolean;
  /** Resolves once the process's stderr has ended (everything it wrote has been read). */
  drained: Promise<void>;
}

function failure(message: string, type = 'WorkerDied'): ExecutionResult['outcome'] {
  return { ok: false, exception: { type, message } };
}

export interface LocalPoolOptions {
  maxWorkers: number;
  /** The environment of the worker processes (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where a worker's writes that no task captured go (default: process.stderr). */
  onStray?(pid: number, text: string): void;
}

export class LocalPool implements Executor {
  private readonly workers = new Set<Worker>();
  private readonly queue: Job[] = [];
  private spawning = 0;
  /** Per step: moving averages of a task's wall time and of the share of it its worker was busy. */
  private readonly stats = new Map<string, { taskMs: number; busyShare: number }>();
  private spawnMs = 150;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private growScheduled = false;
  private backlog = 0;
  private readonly stores = new Map<string, Promise<ArtifactStore>>();
  /** Attempts of killed workers whose output is being stored. */
  private readonly ending = new Set<Promise<void>>();

  constructor(private readonly options: LocalPoolOptions) {}

  setBacklog(count: number): void {
    this.backlog = count;
  }

  /** Starts the first process, or adopts the one the CLI forked before loading anything. */
  warm(): void {
    if (this.workers.size === 0 && this.spawning === 0) this.spawn(takeEarlyWorker(this.options.env));
  }

  submit(spec: TaskSpec, events: TaskEvents, signal?: AbortSignal): Promise<ExecutionResult> {
    return new Promise((resolve) => {
      if (this.closed) return resolve({ outcome: failure('The worker pool is shut down.', 'Cancelled'), logs: none(), pid: 0 });
      const job: Job = { spec, events, resolve, heard: new HeardTail() };
      this.queue.push(job);
      signal?.addEventListener('abort', () => this.abort(job, signal.reason as TaskException), { once: true });
      this.pump();
    });
  }

  /** Stops one job: a queued one is dropped, a running one's process is killed. */
  private abort(job: Job, reason: TaskException): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      return job.resolve({ outcome: { ok: false, exception: reason }, logs: none(), pid: 0 });
    }
    for (const w of this.workers) {
      if (w.job !== job) continue;
      w.job = undefined;
      w.killed = true;
      w.proc.kill('SIGKILL');
      this.endKilled(job, w, { ok: false, exception: reason });
    }
  }

  /**
   * Ends the attempt of a job whose worker was killed or died: what it printed that was not stored
   * yet, and what ended it, are added to its stored output first.
   */
  private endKilled(job: Job, w: Worker, outcome: ExecutionResult['outcome']): void {
    const done = (async () => {
      await Promise.race([w.drained, new Promise((r) => setTimeout(r, 250))]);
      const stray = w.stray;
      w.stray = '';
      w.collect = false;
      let failure = outcome.ok ? '' : `${stray}${stray && !stray.endsWith('\n') ? '\n' : ''}${outcome.exception.type}: ${outcome.exception.message}`;
      const store = await this.storeFor(job.spec).catch(() => undefined);
      // The worker could not draw its cards after the step: they end with why it stopped.
      if (store && job.spec.cards && !outcome.ok) {
        for (const p of await endStoppedCards(store, job.spec, job.spec.attempt, job.spec.cards.specs, outcome.exception)) failure += `\ncairn: ${p}`;
      }
      const logs = await job.heard.store(store, job.spec, job.spec.attempt, failure);
      job.resolve({ outcome, logs, pid: w.pid });
    })();
    this.ending.add(done);
    void done.finally(() => this.ending.delete(done));
  }

  /** The artifact store of a task, opened once per store (to store what a killed task printed). */
  private storeFor(spec: TaskSpec): Promise<ArtifactStore> {
    const key = JSON.stringify(spec.store);
    let store = this.stores.get(key);
    if (!store) {
      store = openArtifactStore(spec.store);
      this.stores.set(key, store);
      store.catch(() => this.stores.delete(key));
    }
    return store;
  }

  cancelPending(reason: string): void {
    for (const job of this.queue.splice(0)) job.resolve({ outcome: failure(reason, 'Cancelled'), logs: none(), pid: 0 });
  }

  async shutdown(reason = 'The run was stopped.'): Promise<void> {
    this.closed = true;
    this.cancelPending(reason);
    if (this.timer) clearInterval(this.timer);
    const exits: Promise<unknown>[] = [];
    for (const w of this.workers) {
      exits.push(new Promise((r) => (w.proc.exitCode !== null || w.proc.signalCode !== null ? r(null) : w.proc.once('exit', r))));
      if (w.job) {
        const job = w.job;
        w.job = undefined;
        w.killed = true;
        w.proc.kill('SIGKILL');
        this.endKilled(job, w, failure(reason, 'Killed'));
      } else {
        w.proc.disconnect?.();
        w.proc.kill('SIGTERM');
      }
    }
    await Promise.all(exits);
    await Promise.all([...this.ending]);
    this.workers.clear();
    for (const store of this.stores.values()) await store.then((s) => s.close?.(), () => undefined);
    this.stores.clear();
  }

  private pump(): void {
    for (const w of this.workers) {
      if (this.queue.length === 0) break;
      if (w.ready && !w.job && !w.killed) this.start(w, this.queue.shift()!);
    }
    // Judged once the current burst of submissions is queued and finished tasks are heard.
    if (!this.growScheduled && this.queue.length > 0) {
      this.growScheduled = true;
      setImmediate(() => {
        this.growScheduled = false;
        this.grow();
      });
    }
    if (this.queue.length > 0 && !this.timer) {
      this.timer = setInterval(() => this.grow(), 50);
      this.timer.unref();
    } else if (this.queue.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Starts processes while the queue would take longer to drain than a process takes to start,
   * judged by what tasks of the step at the head of the queue took so far; while those tasks keep
   * the CPU busy, no more processes than cores.
   */
  private grow(): void {
    const total = this.workers.size;
    if (this.closed || this.queue.length === 0 || total >= this.options.maxWorkers) return;
    const now = Date.now();
    const stat = this.stats.get(this.queue[0]!.spec.step);
    let estimate = stat?.taskMs ?? 0;
    let busy = 0;
    for (const w of this.workers) {
      if (w.job || !w.ready) busy++;
      // A task running for longer than a process takes to start says the step is slow; a younger
      // one says nothing yet (the orchestrator may just not have heard that it finished).
      const running = w.job?.startedAt === undefined ? 0 : now - w.job.startedAt;
      if (running > this.spawnMs) estimate = Math.max(estimate, running);
    }
    const waiting = this.queue.length + this.backlog;
    const wanted = Math.ceil(((waiting + busy) * estimate) / this.spawnMs);
    const cap = stat && stat.busyShare > 0.5 ? Math.min(this.options.maxWorkers, cores) : this.options.maxWorkers;
    const target = Math.min(cap, Math.max(1, wanted), waiting + busy);
    for (let n = total; n < target; n++) this.spawn();
  }

  private spawn(forked = new WorkerProcess(this.options.env)): void {
    const { proc, pid, forkedAt, drained } = forked;
    const w: Worker = { proc, pid, ready: false, forkedAt, stray: '', collect: false, drained };
    this.workers.add(w);
    this.spawning++;
    forked.attach({
      output: (chunk) => {
        const text = chunk.toString('utf8');
        if (w.collect) w.stray = (w.stray + text).slice(-STRAY_KEEP);
        (this.options.onStray ?? defaultStray)(w.pid, text);
      },
      message: (m) => this.onMessage(w, m as FromWorker),
      exit: (code, signal) => this.onExit(w, code, signal),
    });
  }

  private start(w: Worker, job: Job): void {
    w.job = job;
    w.stray = '';
    w.collect = true;
    job.startedAt = Date.now();
    job.events.onStart(w.pid);
    const message: ToWorker = { type: 'run', spec: job.spec };
    w.proc.send(message);
  }

  private onMessage(w: Worker, m: FromWorker): void {
    if (m.type === 'ready') {
      w.ready = true;
      this.spawning--;
      const took = Date.now() - w.forkedAt;
      this.spawnMs = this.spawnMs * 0.5 + took * 0.5;
      this.pump();
    } else if (m.type === 'log') {
      w.job?.heard.add(m.stream, m.lines, m.at, m.seq);
      w.job?.events.onLog(m.stream, m.lines, m.at);
    } else if (m.type === 'stored') {
      w.job?.heard.stored(m.stream, m);
    } else if (m.type === 'done') {
      const job = w.job;
      w.job = undefined;
      w.collect = false;
      if (!job) return;
      const took = m.usage.wallMs;
      const share = took > 0 ? Math.min(1, m.usage.busyMs / took) : 1;
      const stat = this.stats.get(job.spec.step);
      if (stat) {
        stat.taskMs = stat.taskMs * 0.8 + took * 0.2;
        stat.busyShare = stat.busyShare * 0.8 + share * 0.2;
      } else {
        this.stats.set(job.spec.step, { taskMs: took, busyShare: share });
      }
      job.resolve({ outcome: m.outcome, logs: m.logs, pid: w.pid });
      // After the job's own callbacks, so that its end is reported before the next task starts.
      queueMicrotask(() => this.pump());
    }
  }

  private onExit(w: Worker, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(w);
    if (!w.ready) this.spawning--;
    const job = w.job;
    w.job = undefined;
    if (job) {
      const how = signal ? `was killed by signal ${signal}` : `exited with code ${code}`;
      const died = `The worker process (pid ${w.pid}) running this task ${how} before the task finished`;
      // Read the rest of what the process wrote before saying why it died: V8 says so on stderr.
      void Promise.race([w.drained, new Promise((r) => setTimeout(r, 250))]).then(() => {
        const fatal = /FATAL ERROR: ([^\n]*)/.exec(w.stray)?.[1]?.trim();
        const outcome = fatal
          ? failure([`${died}: ${fatal}.`, outOfMemoryHint(fatal)].filter(Boolean).join(' '), /out of memory/i.test(fatal) ? 'OutOfMemory' : 'WorkerDied')
          : failure(`${died}.`);
        this.endKilled(job, w, outcome);
      });
    }
    if (!this.closed) this.pump();
  }
}

function outOfMemoryHint(fatal: string): string {
  if (!/out of memory/i.test(fatal)) return '';
  return 'The task used more memory than Node allows a process: give it more (NODE_OPTIONS=--max-old-space-size=MB in the environment of the run), or make the step hold less at once.';
}

function none() {
  return { stdout: null, stderr: null };
}

function defaultStray(pid: number, text: string): void {
  process.stderr.write(text.replace(/^(?=.)/gm, `[worker pid ${pid}] `));
}
