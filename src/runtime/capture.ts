/**
 * Captures what a task prints. The worker's stdout and stderr writes are routed to the running
 * task: complete lines are forwarded as they come (for the console) and everything is kept, each
 * line with the time it began (for `logs` and the client). `LogSaver` writes it to the store while
 * the task runs and once when it ends.
 */
import { StringDecoder } from 'node:string_decoder';
import type { TaskKey } from '../core/types.js';
import { LogWriter } from '../storage/log-format.js';
import type { ArtifactStore } from '../storage/types.js';
import type { TaskLogs } from './protocol.js';

type Stream = 'stdout' | 'stderr';
type Forward = (stream: Stream, lines: string[]) => void;
const STREAMS = ['stdout', 'stderr'] as const;

export class OutputCapture {
  private readonly logs: Record<Stream, LogWriter> = { stdout: new LogWriter(), stderr: new LogWriter() };
  /** Bytes written as buffers are decoded across writes: a character may be split between two. */
  private readonly decoders: Record<Stream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(private readonly forward: Forward) {}

  /** Adds what was written: text, or bytes (also text in another encoding, as `stream.write` takes it). */
  write(stream: Stream, chunk: string | Uint8Array, encoding?: BufferEncoding): void {
    const text =
      typeof chunk === 'string' && (!encoding || /^utf-?8$/i.test(encoding))
        ? this.decoders[stream].end() + chunk
        : this.decoders[stream].write(typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const lines = this.logs[stream].write(text, Date.now());
    if (lines.length) this.forward(stream, lines);
  }

  /** Grows whenever something is printed. */
  get version(): number {
    return this.logs.stdout.version + this.logs.stderr.version;
  }

  /** The stored form of each stream's output so far; undefined for a stream with none. */
  snapshot(): Record<Stream, Uint8Array | undefined> {
    const out = (s: Stream) => (this.logs[s].empty ? undefined : this.logs[s].encode());
    return { stdout: out('stdout'), stderr: out('stderr') };
  }

  /** Forwards an unterminated last line and returns the stored form of everything printed. */
  finish(): Record<Stream, Uint8Array | undefined> {
    for (const s of STREAMS) {
      this.logs[s].write(this.decoders[s].end(), Date.now());
      const partial = this.logs[s].partial;
      if (partial) this.forward(s, [partial]);
    }
    return this.snapshot();
  }
}

/**
 * Saves a running task's output to the store every `intervalMs` when something new was printed (so
 * that `cairn logs` shows it while the task runs), and all of it when the task ends. Each save
 * replaces the stored log atomically; saves never overlap, so the final one is the last.
 */
export class LogSaver {
  private saved = 0;
  private pending: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly capture: OutputCapture,
    private readonly store: ArtifactStore,
    private readonly task: TaskKey,
    private readonly attempt: number,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => {
      if (this.capture.version === this.saved) return;
      // A failed save while running is not the task's failure; the final save reports its own.
      this.pending = this.pending.then(() => this.save(this.capture.snapshot())).catch(() => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the periodic saves and saves everything; resolves to where each stream was stored. */
  async finish(): Promise<TaskLogs> {
    clearInterval(this.timer);
    const text = this.capture.finish();
    await this.pending;
    return this.save(text);
  }

  private async save(text: Record<Stream, Uint8Array | undefined>): Promise<TaskLogs> {
    const version = this.capture.version;
    const logs: TaskLogs = { stdout: null, stderr: null };
    for (const s of STREAMS) {
      const bytes = text[s];
      if (bytes) logs[s] = await this.store.putLog(this.task, this.attempt, s, bytes);
    }
    this.saved = version;
    return logs;
  }
}

let active: OutputCapture | undefined;

/** Routes process.stdout / process.stderr writes to the active capture, once per process. */
export function installCapture(): void {
  for (const stream of STREAMS) {
    const target = process[stream];
    const original = target.write.bind(target);
    target.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      if (!active) return original(chunk as string, encoding as BufferEncoding, cb as () => void);
      active.write(stream, chunk as string | Uint8Array, typeof encoding === 'string' ? (encoding as BufferEncoding) : undefined);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof target.write;
  }
}

export function setActiveCapture(capture: OutputCapture | undefined): void {
  active = capture;
}
