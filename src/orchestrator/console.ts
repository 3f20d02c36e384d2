/** The run's console output, in Metaflow's shape: one timestamped line per event. */
function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function timestamp(at: number = Date.now()): string {
  const d = new Date(at);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** A run-level line: `<timestamp> <text>`. */
export function formatLine(text: string, at?: number): string {
  return `${timestamp(at)} ${text}`;
}

/** A line about a task: `<timestamp> [<prefix>] <text>`. */
export function formatTaskLine(prefix: string, text: string, at?: number): string {
  return `${timestamp(at)} [${prefix}] ${text}`;
}

export interface ConsoleSink {
  /** A line without a timestamp (the banner before a run starts). */
  plain(text: string): void;
  line(text: string, at?: number): void;
  taskLine(prefix: string, text: string, stream?: 'stdout' | 'stderr', at?: number): void;
  flush(): void;
}

/**
 * Buffers lines and writes them in batches (a 10,000-task run prints 20,000+ lines), flushing on
 * the next turn of the event loop and at exit.
 */
export class BufferedConsole implements ConsoleSink {
  /** Pending text, in the order it was printed, as runs of one stream. */
  private pending: Array<{ stream: 'stdout' | 'stderr'; text: string[] }> = [];
  private scheduled = false;

  constructor(
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  plain(text: string): void {
    this.push('stdout', `${text}\n`);
  }

  line(text: string, at?: number): void {
    this.push('stdout', `${formatLine(text, at)}\n`);
  }

  taskLine(prefix: string, text: string, stream: 'stdout' | 'stderr' = 'stdout', at?: number): void {
    this.push(stream, `${formatTaskLine(prefix, text, at)}\n`);
  }

  private push(stream: 'stdout' | 'stderr', text: string): void {
    const last = this.pending[this.pending.length - 1];
    if (last?.stream === stream) last.text.push(text);
    else this.pending.push({ stream, text: [text] });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (const run of this.pending.splice(0)) (run.stream === 'stdout' ? this.stdout : this.stderr).write(run.text.join(''));
  }
}
