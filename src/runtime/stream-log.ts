/**
 * One stream (stdout or stderr) of one task attempt, on its way to the store: what is printed
 * becomes records (`LogRecorder`), and records go to the store as append-only segments, in order,
 * synchronously when the store can (the local folder) and otherwise one write at a time. A write
 * that fails is tried again before anything after it, so the stored stream never has a gap; the
 * error is reported when the task ends. Memory stays bounded: what waits for the store is at most
 * what was printed since the last write (and, while the store refuses writes, up to `MAX_QUEUED`).
 */
import type { TaskKey } from '../core/types.js';
import { LogRecorder } from '../storage/log-format.js';
import type { ArtifactStore, LogStream } from '../storage/types.js';

/** Records kept for a store that refuses them; beyond this, output is dropped (and the task fails at its end). */
const MAX_QUEUED = 64 * 1024 * 1024;

interface Pending {
  start: number;
  bytes: Buffer;
  /** Lines completed by the end of this segment, and the characters of the next line it holds. */
  lines: number;
  partial: number;
}

export class StreamLog {
  readonly recorder = new LogRecorder();
  /** Where the stream is stored, once a segment was written. */
  location: string | null = null;
  private offset = 0;
  private readonly queue: Pending[] = [];
  private queued = 0;
  private writing = false;
  private idle: Promise<void> = Promise.resolve();
  private error: unknown;
  private dropped = false;

  constructor(
    private readonly store: ArtifactStore | undefined,
    private readonly task: TaskKey,
    private readonly attempt: number,
    private readonly stream: LogStream,
    /** Everything up to line `lines` (and `partial` characters of the next) and byte `end` is stored. */
    private readonly onStored: (lines: number, partial: number, end: number) => void = () => undefined,
  ) {}

  /** Sends what was recorded to the store; with `open`, also the line being printed so far. Says whether there was anything. */
  flush(open: boolean): boolean {
    const text = this.recorder.take({ open });
    if (text !== '' && this.store) {
      if (this.queued > MAX_QUEUED) {
        this.dropped = true;
      } else {
        const bytes = Buffer.from(text, 'utf8');
        this.queue.push({ start: this.offset, bytes, lines: this.recorder.lineCount, partial: this.recorder.takenOfOpenLine });
        this.offset += bytes.byteLength;
        this.queued += bytes.byteLength;
      }
    }
    this.drain();
    return text !== '';
  }

  private drain(): void {
    const store = this.store;
    if (!store || this.queue.length === 0 || this.writing) return;
    if (store.appendLogSync) {
      while (this.queue.length > 0) {
        const seg = this.queue[0]!;
        try {
          this.location = store.appendLogSync(this.task, this.attempt, this.stream, seg);
        } catch (e) {
          this.error = e;
          return;
        }
        this.written(seg);
      }
      return;
    }
    this.writing = true;
    this.idle = (async () => {
      while (this.queue.length > 0) {
        const seg = this.queue[0]!;
        try {
          this.location = await store.appendLog(this.task, this.attempt, this.stream, seg);
        } catch (e) {
          this.error = e;
          break;
        }
        this.written(seg);
      }
      this.writing = false;
    })();
  }

  private written(seg: Pending): void {
    this.queue.shift();
    this.queued -= seg.bytes.byteLength;
    this.error = undefined;
    this.onStored(seg.lines, seg.partial, seg.start + seg.bytes.byteLength);
  }

  /**
   * Stores everything (the last line too), trying a failed write once more; resolves to where the
   * stream is (null when nothing was printed on it), or rejects with the store's error.
   */
  async finish(): Promise<string | null> {
    this.flush(true);
    await this.idle;
    if (this.queue.length > 0) {
      this.drain();
      await this.idle;
    }
    if (this.queue.length > 0) throw this.error;
    if (this.dropped) throw this.error ?? new Error(`the ${this.stream} of the task could not all be stored`);
    return this.recorder.empty ? null : this.location;
  }
}
