/**
 * How a task's captured output is stored: a header line, then one record per line printed, with the
 * time (epoch milliseconds) at which the line began:
 *
 *   cairn-log 1
 *   1795746083847 shard 0: alpha has 5 letters
 *   1795746083850+an unterminated last line
 *
 * A space after the time marks a line that ended with "\n"; a "+" marks the last line of output that
 * did not end with a newline. The text is exactly what was printed. Output stored without the header
 * is read as plain text, without times.
 */
export const LOG_HEADER = 'cairn-log 1\n';

export interface LogLine {
  /** When the line began (epoch ms); undefined for output stored as plain text. */
  at: number | undefined;
  /** The line, without its newline. */
  text: string;
}

export interface DecodedLog {
  /** Everything printed, as printed. */
  text: string;
  lines: LogLine[];
}

/** Accumulates the output of one stream of a task, in its stored form. */
export class LogWriter {
  #records = '';
  #open: { at: number; text: string } | undefined;
  #version = 0;

  /** Grows with every write: a writer that saved version v has nothing new to save while it is v. */
  get version(): number {
    return this.#version;
  }

  get empty(): boolean {
    return this.#records === '' && this.#open === undefined;
  }

  /** The unterminated last line, if any. */
  get partial(): string | undefined {
    return this.#open?.text;
  }

  /** Adds a chunk printed at `at` and returns the lines it completed. */
  write(chunk: string, at: number): string[] {
    if (chunk === '') return [];
    this.#version++;
    const done: string[] = [];
    let from = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
      const line = (this.#open?.text ?? '') + chunk.slice(from, nl);
      this.#records += `${this.#open?.at ?? at} ${line}\n`;
      this.#open = undefined;
      done.push(line);
      from = nl + 1;
    }
    if (from < chunk.length) {
      this.#open ??= { at, text: '' };
      this.#open.text += chunk.slice(from);
    }
    return done;
  }

  /** The stored form of everything written so far. */
  encode(): Uint8Array {
    const open = this.#open ? `${this.#open.at}+${this.#open.text}\n` : '';
    return Buffer.from(LOG_HEADER + this.#records + open, 'utf8');
  }
}

const RECORD = /^(\d{1,15})([ +])/;

/** Reads stored output back: its text as printed and its lines with their times. */
export function decodeLog(bytes: Uint8Array | undefined): DecodedLog {
  if (!bytes || bytes.byteLength === 0) return { text: '', lines: [] };
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (!s.startsWith(LOG_HEADER)) return { text: s, lines: plainLines(s) };
  const records = s.slice(LOG_HEADER.length).split('\n');
  if (records.at(-1) === '') records.pop();
  let text = '';
  const lines: LogLine[] = [];
  for (const record of records) {
    const m = RECORD.exec(record);
    if (!m) {
      // Not a record: keep the text rather than lose it.
      lines.push({ at: undefined, text: record });
      text += `${record}\n`;
      continue;
    }
    const line = record.slice(m[0].length);
    lines.push({ at: Number(m[1]), text: line });
    text += m[2] === ' ' ? `${line}\n` : line;
  }
  return { text, lines };
}

function plainLines(s: string): LogLine[] {
  const parts = s.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((text) => ({ at: undefined, text }));
}
