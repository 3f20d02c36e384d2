/**
 * Forking a local worker process, and the early worker: `cairn run` forks its first worker before
 * it has loaded anything else, so that the worker's start-up overlaps loading the CLI and the flow.
 *
 * This module imports nothing but Node's own modules: the CLI's entry loads it first.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workerFile = fileURLToPath(new URL('../../runtime/worker.js', import.meta.url));

export interface WorkerEvents {
  message(m: unknown): void;
  output(chunk: Buffer): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

/**
 * A forked worker process. What it says and writes before `attach` is kept and handed to the
 * handlers when they attach, so that a process forked early loses nothing.
 */
export class WorkerProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly forkedAt = Date.now();
  /** Resolves once the process's stderr has ended (everything it wrote has been read). */
  readonly drained: Promise<void>;
  private handlers: WorkerEvents | undefined;
  private held: Array<(h: WorkerEvents) => void> = [];

  constructor(env?: NodeJS.ProcessEnv) {
    this.proc = fork(workerFile, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      ...(env ? { env } : {}),
      serialization: 'json',
    });
    this.pid = this.proc.pid ?? 0;
    const stderr = this.proc.stderr;
    this.drained = stderr ? new Promise<void>((r) => stderr.once('close', () => r())) : Promise.resolve();
    const output = (chunk: Buffer) => this.emit((h) => h.output(chunk));
    this.proc.stdout?.on('data', output);
    stderr?.on('data', output);
    this.proc.on('message', (m) => this.emit((h) => h.message(m)));
    this.proc.on('exit', (code, signal) => this.emit((h) => h.exit(code, signal)));
    this.proc.on('error', () => {});
  }

  private emit(event: (h: WorkerEvents) => void): void {
    if (this.handlers) event(this.handlers);
    else this.held.push(event);
  }

  attach(handlers: WorkerEvents): void {
    this.handlers = handlers;
    const held = this.held;
    this.held = [];
    for (const event of held) event(handlers);
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }
}

let early: WorkerProcess | undefined;

/** Forks the first worker of a run now, for the local pool of this process to adopt. */
export function forkEarlyWorker(): void {
  early ??= new WorkerProcess();
  // Never keeps the CLI alive by itself, and never outlives it: a CLI that ends without adopting
  // it (a bad flag, a flow that fails to load, the queue executor) takes it along.
  early.proc.unref();
  early.proc.channel?.unref();
  for (const s of [early.proc.stdout, early.proc.stderr]) (s as unknown as { unref?(): void } | null)?.unref?.();
  process.once('exit', dropEarlyWorker);
}

/** The early worker, once: the pool that takes it owns it. */
export function takeEarlyWorker(env?: NodeJS.ProcessEnv): WorkerProcess | undefined {
  const w = early;
  early = undefined;
  if (!w) return undefined;
  // A pool whose processes get another environment than the CLI's own cannot use it.
  if ((env && env !== process.env) || w.exited) {
    w.proc.kill('SIGKILL');
    return undefined;
  }
  w.proc.ref();
  w.proc.channel?.ref();
  for (const s of [w.proc.stdout, w.proc.stderr]) (s as unknown as { ref?(): void } | null)?.ref?.();
  return w;
}

/** Stops the early worker if nothing took it (the run uses another executor, or never started). */
export function dropEarlyWorker(): void {
  early?.proc.kill('SIGKILL');
  early = undefined;
}
