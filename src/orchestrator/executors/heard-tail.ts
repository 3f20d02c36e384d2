/**
 * What a running attempt printed that its worker has not confirmed as stored yet, as the executor
 * heard it. A worker stores its output within a fraction of a second and says so (`stored`), so
 * this holds little; when the worker is killed (a time-out, a crash, out of memory, a stopped
 * run), the rest is appended to the attempt's stored output, with what went wrong at the end of
 * its stderr, so that `cairn logs` shows the task's last lines and why it ended.
 */
import type { TaskKey } from '../../core/types.js';
import type { TaskLogs } from '../../runtime/protocol.js';
import { LogRecorder } from '../../storage/log-format.js';
import type { ArtifactStore, LogStream } from '../../storage/types.js';

/** Lines kept per stream while the worker has not confirmed them stored. */
const LIMIT_CHARS = 8 * 1024 * 1024;

interface Heard {
  /** Lines not confirmed stored: their number among the stream's lines, when they were printed, and the text. */
  lines: Array<{ seq: number; at: number; text: string }>;
  chars: number;
  full: boolean;
  /** The worker's confirmation: lines up to this number (and `partial` characters of the next) and bytes up to `end` are stored at `location`. */
  storedLines: number;
  partial: number;
  end: number;
  location: string | null;
}

const fresh = (): Heard => ({ lines: [], chars: 0, full: false, storedLines: 0, partial: 0, end: 0, location: null });

export class HeardTail {
  private readonly streams: Record<LogStream, Heard> = { stdout: fresh(), stderr: fresh() };

  /** Lines heard for the console (`seq` undefined: a note of cairn's own, never stored). */
  add(stream: LogStream, lines: string[], at: number, seq: number | undefined): void {
    if (seq === undefined) return;
    const h = this.streams[stream];
    if (h.full) return;
    lines.forEach((text, i) => {
      h.lines.push({ seq: seq + i, at, text });
      h.chars += text.length + 1;
    });
    if (h.chars > LIMIT_CHARS) h.full = true;
  }

  stored(stream: LogStream, { lines, partial, end, location }: { lines: number; partial: number; end: number; location: string }): void {
    const h = this.streams[stream];
    if (end < h.end) return;
    h.storedLines = lines;
    h.partial = partial;
    h.end = end;
    h.location = location;
    const keep = h.lines.findIndex((l) => l.seq >= lines);
    const dropped = keep === -1 ? h.lines.splice(0) : h.lines.splice(0, keep);
    for (const l of dropped) h.chars -= l.text.length + 1;
  }

  /**
   * Appends to the attempt's stored output what the worker did not store, and `failure` (what ended
   * the attempt) at the end of its stderr; resolves to where each stream is. Best effort: the
   * attempt has failed already, and a store that refuses this write loses only these lines.
   */
  async store(store: ArtifactStore | undefined, task: TaskKey, attempt: number, failure: string): Promise<TaskLogs> {
    const logs: TaskLogs = { stdout: this.streams.stdout.location, stderr: this.streams.stderr.location };
    if (!store) return logs;
    for (const stream of ['stdout', 'stderr'] as const) {
      const h = this.streams[stream];
      const recorder = new LogRecorder();
      for (const l of h.lines) {
        // The line the worker was printing is partly stored already: add what it lacks.
        if (l.seq >= h.storedLines) recorder.write(`${l.seq === h.storedLines ? l.text.slice(h.partial) : l.text}\n`, l.at);
      }
      if (h.full) recorder.write('[more output was printed here, which was not stored before the task was stopped]\n', Date.now());
      if (stream === 'stderr' && failure) recorder.write(`${failure}\n`, Date.now());
      const text = recorder.take({ open: true });
      if (text === '') continue;
      try {
        logs[stream] = await store.appendLog(task, attempt, stream, { start: h.end, bytes: Buffer.from(text, 'utf8') });
      } catch {
        // The attempt's failure is recorded in the metadata either way.
      }
    }
    return logs;
  }
}
