import type { TaskKey } from '../core/types.js';
import type { TaskLogs } from '../runtime/protocol.js';
import { LogWriter } from '../storage/log-format.js';
import type { ArtifactStore, LogStream } from '../storage/types.js';

/** What a running attempt printed, as the console heard it (up to a limit per stream). */
export class HeardOutput {
  private static readonly LIMIT = 8 * 1024 * 1024;
  private readonly writers: Partial<Record<LogStream, { log: LogWriter; bytes: number; full: boolean }>> = {};

  add(stream: LogStream, lines: string[], at: number): void {
    const w = (this.writers[stream] ??= { log: new LogWriter(), bytes: 0, full: false });
    if (w.full) return;
    const text = `${lines.join('\n')}\n`;
    w.bytes += text.length;
    if (w.bytes > HeardOutput.LIMIT) {
      w.full = true;
      w.log.write('[output beyond 8 MB not kept for a task that was stopped]\n', at);
    } else {
      w.log.write(text, at);
    }
  }

  async store(artifacts: ArtifactStore, key: TaskKey, attempt: number): Promise<TaskLogs> {
    const logs: TaskLogs = { stdout: null, stderr: null };
    for (const stream of ['stdout', 'stderr'] as const) {
      const w = this.writers[stream];
      if (w && !w.log.empty) logs[stream] = await artifacts.putLog(key, attempt, stream, w.log.encode());
    }
    return logs;
  }
}

