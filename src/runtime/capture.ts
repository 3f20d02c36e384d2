/**
 * Captures what a task prints. The worker's stdout and stderr writes are routed to the running
 * task: complete lines are forwarded as they come (for the console) and the whole text is kept
 * (for `logs` and the client).
 */
type Stream = 'stdout' | 'stderr';
type Forward = (stream: Stream, lines: string[]) => void;

export class OutputCapture {
  private readonly text: Record<Stream, string[]> = { stdout: [], stderr: [] };
  private readonly partial: Record<Stream, string> = { stdout: '', stderr: '' };

  constructor(private readonly forward: Forward) {}

  write(stream: Stream, chunk: string): void {
    this.text[stream].push(chunk);
    const joined = this.partial[stream] + chunk;
    const parts = joined.split('\n');
    this.partial[stream] = parts.pop() ?? '';
    if (parts.length) this.forward(stream, parts);
  }

  /** Flushes an unterminated last line and returns everything printed on `stream`. */
  finish(): Record<Stream, string> {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s]) {
        this.forward(s, [this.partial[s]]);
        this.partial[s] = '';
      }
    }
    return { stdout: this.text.stdout.join(''), stderr: this.text.stderr.join('') };
  }
}

let active: OutputCapture | undefined;

/** Routes process.stdout / process.stderr writes to the active capture, once per process. */
export function installCapture(): void {
  for (const stream of ['stdout', 'stderr'] as const) {
    const target = process[stream];
    const original = target.write.bind(target);
    target.write = ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
      if (!active) return original(chunk as string, encoding as BufferEncoding, cb as () => void);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      active.write(stream, text);
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof target.write;
  }
}

export function setActiveCapture(capture: OutputCapture | undefined): void {
  active = capture;
}
