/**
 * Captures what a task prints. The worker's stdout and stderr writes are routed to the running
 * task: each stream goes to the store as it is printed (`StreamLog`: a printed line is readable
 * within `flushMs`, and the worker holds at most a segment of it), and complete lines go to the
 * console in batches.
 *
 * The console gets lines as they come when the task prints a little, and in batches every `sendMs`
 * when it prints a lot. When the console falls behind by more than `MAX_UNSENT` characters, lines
 * are left out of the console (never out of the store), and a note says how many.
 */
import { StringDecoder } from 'node:string_decoder';
import type { TaskKey } from '../core/types.js';
import type { ArtifactStore, LogStream } from '../storage/types.js';
import type { TaskLogs } from './protocol.js';
import { cutAt } from '../storage/log-format.js';
import { StreamLog } from './stream-log.js';

type Stream = LogStream;
const STREAMS = ['stdout', 'stderr'] as const;

/** Records are written to the store at the latest when this much is waiting. */
const SEGMENT_CHARS = 1024 * 1024;
/** A batch for the console is sent at the latest when it holds this much. */
const BATCH_CHARS = 64 * 1024;
/** Console lines sent but not yet taken by the orchestrator, beyond which lines are left out. */
const MAX_UNSENT = 4 * 1024 * 1024;

export interface CaptureEvents {
  /**
   * Complete lines for the console, printed from `at`. `seq` is the number (from 0) of the first of
   * them among the stream's lines; undefined for a note of cairn's own. Call `sent` once they left.
   */
  lines(stream: Stream, lines: string[], at: number, seq: number | undefined, sent: () => void): void;
  /**
   * Everything up to line number `lines` (and the first `partial` characters of the line after it)
   * and byte `end` of the stream is in the store, at `location`.
   */
  stored(stream: Stream, stored: { lines: number; partial: number; end: number; location: string }): void;
}

export interface CaptureOptions {
  /** How long a printed line may wait before it is stored (default 200 ms). */
  flushMs?: number;
  /** How long a line may wait before it goes to the console (default 50 ms). */
  sendMs?: number;
}

interface Batch {
  lines: string[];
  chars: number;
  at: number;
  seq: number;
}

export class OutputCapture {
  private readonly logs: Record<Stream, StreamLog>;
  /** Bytes written as buffers are decoded across writes: a character may be split between two. */
  private readonly decoders: Record<Stream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly batches: Partial<Record<Stream, Batch>> = {};
  private readonly left: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private unsent = 0;
  private lastFlush = 0;
  private lastSend = 0;
  private readonly flushMs: number;
  private readonly sendMs: number;
  private readonly timer: NodeJS.Timeout;

  constructor(store: ArtifactStore | undefined, task: TaskKey, attempt: number, private readonly events: CaptureEvents, options: CaptureOptions = {}) {
    this.flushMs = options.flushMs ?? 200;
    this.sendMs = options.sendMs ?? 50;
    const log = (s: Stream) =>
      new StreamLog(store, task, attempt, s, (lines, partial, end) => {
        const location = this.logs[s].location;
        if (location) events.stored(s, { lines, partial, end, location });
      });
    this.logs = { stdout: log('stdout'), stderr: log('stderr') };
    this.timer = setInterval(() => this.tick(), Math.min(this.sendMs, this.flushMs));
    this.timer.unref();
  }

  /**
   * Adds what was written: text, or bytes (also text in another encoding, as `stream.write` takes
   * it). A large write is taken a segment at a time, each stored before the next is read, so that
   * the capture never holds more than a segment of it besides the caller's own chunk.
   */
  write(stream: Stream, chunk: string | Uint8Array, encoding?: BufferEncoding): void {
    const decoder = this.decoders[stream];
    if (typeof chunk === 'string' && (!encoding || /^utf-?8$/i.test(encoding))) {
      this.add(stream, decoder.end(), true);
      for (let from = 0; from < chunk.length; ) {
        const to = chunk.length - from <= SEGMENT_CHARS ? chunk.length : cutAt(chunk, from + SEGMENT_CHARS);
        this.add(stream, chunk.slice(from, to), true);
        from = to;
      }
      return;
    }
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let from = 0; from < bytes.byteLength; from += SEGMENT_CHARS) this.add(stream, decoder.write(bytes.subarray(from, from + SEGMENT_CHARS)), true);
  }

  /** Adds text to the stored stream only (not to the console), on a line of its own: the error of a failed task. */
  record(stream: Stream, text: string): void {
    const recorder = this.logs[stream].recorder;
    const partial = recorder.partial;
    // A line the task left open ends here; the console still gets it.
    if (partial !== undefined) this.queue(stream, [partial], Date.now(), recorder.lineCount);
    this.add(stream, `${partial !== undefined ? '\n' : ''}${text}${text.endsWith('\n') ? '' : '\n'}`, false);
  }

  private add(stream: Stream, text: string, show: boolean): void {
    if (text === '') return;
    const now = Date.now();
    const log = this.logs[stream];
    const lines = log.recorder.write(text, now);
    if (show && lines.length > 0) this.queue(stream, lines, now, log.recorder.lineCount - lines.length);
    if (now - this.lastSend >= this.sendMs) this.send();
    // A task that prints now and then has each line stored at once; one that prints a lot, every flushMs.
    if (now - this.lastFlush >= this.flushMs) this.flush(true);
    else if (log.recorder.pendingChars >= SEGMENT_CHARS) log.flush(false);
  }

  private queue(stream: Stream, lines: string[], at: number, seq: number): void {
    let batch = this.batches[stream];
    const chars = lines.reduce((n, l) => n + l.length + 1, 0);
    if (this.unsent + (batch?.chars ?? 0) + chars > MAX_UNSENT) {
      this.left[stream] += lines.length;
      return;
    }
    if (batch && batch.seq + batch.lines.length !== seq) {
      this.sendBatch(stream);
      batch = undefined;
    }
    batch ??= this.batches[stream] = { lines: [], chars: 0, at, seq };
    batch.lines.push(...lines);
    batch.chars += chars;
    if (batch.chars >= BATCH_CHARS) this.sendBatch(stream);
  }

  private send(): void {
    for (const s of STREAMS) this.sendBatch(s);
    this.lastSend = Date.now();
  }

  private sendBatch(stream: Stream): void {
    if (this.left[stream] > 0 && this.unsent < MAX_UNSENT / 2) {
      const n = this.left[stream];
      this.left[stream] = 0;
      const note = `[${n} line${n === 1 ? '' : 's'} not shown here: the task printed faster than the console could show; \`cairn logs\` has every line]`;
      this.post(stream, [note], Date.now(), undefined, note.length);
    }
    const batch = this.batches[stream];
    if (!batch) return;
    this.batches[stream] = undefined;
    this.post(stream, batch.lines, batch.at, batch.seq, batch.chars);
  }

  private post(stream: Stream, lines: string[], at: number, seq: number | undefined, chars: number): void {
    this.unsent += chars;
    this.events.lines(stream, lines, at, seq, () => (this.unsent -= chars));
  }

  /** Stores what waits; the next line printed within `flushMs` of this (when there was something) waits for the timer. */
  private flush(open: boolean): void {
    let any = false;
    for (const s of STREAMS) any = this.logs[s].flush(open) || any;
    if (any) this.lastFlush = Date.now();
  }

  private tick(): void {
    const now = Date.now();
    if (now - this.lastSend >= this.sendMs) this.send();
    if (now - this.lastFlush >= this.flushMs) this.flush(true);
  }

  /** Stores what is waiting now (for a process that is about to exit). Synchronous where the store is. */
  flushNow(): void {
    this.send();
    this.flush(true);
  }

  /**
   * Ends the capture: sends the last lines (an unterminated last line too) to the console, stores
   * everything, and resolves to where each stream was stored (null for a stream with no output).
   * Rejects when the store could not take the output.
   */
  async finish(): Promise<TaskLogs> {
    clearInterval(this.timer);
    for (const s of STREAMS) {
      const log = this.logs[s];
      const tail = this.decoders[s].end();
      if (tail) log.recorder.write(tail, Date.now());
      const partial = log.recorder.partial;
      if (partial !== undefined) this.queue(s, [partial], Date.now(), log.recorder.lineCount);
    }
    this.send();
    const [stdout, stderr] = await Promise.all([this.logs.stdout.finish(), this.logs.stderr.finish()]);
    return { stdout, stderr };
  }
}

let active: OutputCapture | undefined;

/**
 * Write callbacks wait here for one microtask that calls them all: a step printing in a tight loop
 * would otherwise queue a microtask (a closure) per line until the loop ends.
 */
let callbacks: Array<() => void> = [];
function callLater(cb: () => void): void {
  callbacks.push(cb);
  if (callbacks.length === 1) {
    queueMicrotask(() => {
      const due = callbacks;
      callbacks = [];
      for (const f of due) f();
    });
  }
}

/** Routes process.stdout / process.stderr writes to the active capture, once per process. */
export function installCapture(): void {
  for (const stream of STREAMS) {
    const target = process[stream];
    const original = target.write.bind(target);
    target.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      if (!active) return original(chunk as string, encoding as BufferEncoding, cb as () => void);
      active.write(stream, chunk as string | Uint8Array, typeof encoding === 'string' ? (encoding as BufferEncoding) : undefined);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') callLater(done as () => void);
      return true;
    }) as typeof target.write;
  }
}

export function setActiveCapture(capture: OutputCapture | undefined): void {
  active = capture;
}

export function activeCapture(): OutputCapture | undefined {
  return active;
}
