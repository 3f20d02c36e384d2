/**
 * How a task's captured output is stored: one record per line printed, with the time (epoch
 * milliseconds) at which the line began, appended as the task prints:
 *
 *   1795746083847 shard 0: alpha has 5 letters
 *   1795746083850+a line that goes on in the next record (or the last output, without a newline)
 *
 * A space after the time ends the line ("\n" was printed); a "+" says the line continues in the
 * next record, or, for the last record, that the output ended without a newline. A line longer
 * than `RECORD_TEXT_MAX` characters is cut into several records, so that neither the writer nor
 * the store ever holds more than one record of a line at once. The text is exactly what was printed.
 *
 * Records are stored in segments that are appended and never changed (see the stores); the byte
 * offset of a record in the stream of records is what readers pass to read only what is new.
 * Output stored by older versions is one file: the header `cairn-log 1`, then records (read the
 * same way); a file without the header is read as plain text without times.
 */
export const LOG_HEADER = 'cairn-log 1\n';

/** A line is cut into records of at most this many characters. */
export const RECORD_TEXT_MAX = 64 * 1024;
/** The console shows at most this many characters of a line (`cairn logs` and the client, all of it). */
export const CONSOLE_LINE_MAX = 16 * 1024;

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

/** Records decoded from a byte offset: the complete lines, and the line still open at the end. */
export interface DecodedRecords extends DecodedLog {
  /** The last line, not (yet) ended by a newline; also counted in `lines` and `text`. */
  partial: LogLine | undefined;
  /** Byte offset (in the stream of records) where the partial line begins, or the end when there is none. */
  next: number;
}

/** A line as the console gets it: cut at `CONSOLE_LINE_MAX` characters, saying how much was left out. */
function forConsole(text: string, length: number): string {
  if (length <= CONSOLE_LINE_MAX) return text;
  return `${text} [... ${length - CONSOLE_LINE_MAX} more characters: \`cairn logs\` shows the whole line]`;
}

/** Where to cut `s` at index `n` without splitting a surrogate pair. */
export function cutAt(s: string, n: number): number {
  const c = s.charCodeAt(n - 1);
  return c >= 0xd800 && c <= 0xdbff ? n - 1 : n;
}

/**
 * Turns what one stream of a task prints into records, as it is printed. Completed records wait in
 * `take()` for the store; the line being printed stays open, and `take({ open: true })` hands out
 * what it has so far as a record that the next one continues.
 */
export class LogRecorder {
  #pending: string[] = [];
  #pendingChars = 0;
  /** The line being printed: when it began, what of it is not in a record yet, its length, and its start for the console. */
  #open: { at: number; text: string; length: number; console: string } | undefined;
  #lines = 0;
  #any = false;
  #takenOfOpen = 0;

  /** Characters waiting in records not taken yet (a measure for flushing). */
  get pendingChars(): number {
    return this.#pendingChars + (this.#open?.text.length ?? 0);
  }

  /** Lines completed so far. */
  get lineCount(): number {
    return this.#lines;
  }

  /** How many characters of the line being printed the last `take()` handed out (0 when no line is open). */
  get takenOfOpenLine(): number {
    return this.#takenOfOpen;
  }

  /** Anything was printed. */
  get empty(): boolean {
    return !this.#any;
  }

  /** The line being printed, as the console would show it; undefined when the last line ended. */
  get partial(): string | undefined {
    return this.#open ? forConsole(this.#open.console, this.#open.length) : undefined;
  }

  /** Adds a chunk printed at `at`; returns the lines it completed, as the console shows them. */
  write(chunk: string, at: number): string[] {
    if (chunk === '') return [];
    this.#any = true;
    const done: string[] = [];
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf('\n', from);
      const end = nl === -1 ? chunk.length : nl;
      this.#add(chunk, from, end, at);
      if (nl === -1) break;
      const open = this.#open!;
      this.#record(`${open.at} ${open.text}\n`);
      done.push(forConsole(open.console, open.length));
      this.#open = undefined;
      this.#lines++;
      from = nl + 1;
    }
    return done;
  }

  /** Adds `chunk[from, end)` (no newline in it) to the open line, cutting it into records as it grows. */
  #add(chunk: string, from: number, end: number, at: number): void {
    const open = (this.#open ??= { at, text: '', length: 0, console: '' });
    if (open.console.length < CONSOLE_LINE_MAX) open.console += chunk.slice(from, Math.min(end, from + CONSOLE_LINE_MAX - open.console.length));
    open.length += end - from;
    while (from < end) {
      const room = RECORD_TEXT_MAX - open.text.length;
      if (end - from <= room) {
        open.text += chunk.slice(from, end);
        return;
      }
      const upTo = cutAt(chunk, from + room);
      if (upTo > from) {
        open.text += chunk.slice(from, upTo);
        from = upTo;
      }
      this.#record(`${open.at}+${open.text}\n`);
      open.text = '';
    }
  }

  #record(r: string): void {
    this.#pending.push(r);
    this.#pendingChars += r.length;
  }

  /**
   * The records completed since the last take, as text; with `open`, also what the line being
   * printed has so far (as a record the next one continues). Empty when there is nothing.
   */
  take(options: { open?: boolean } = {}): string {
    if (options.open && this.#open && this.#open.text !== '') {
      this.#record(`${this.#open.at}+${this.#open.text}\n`);
      this.#open.text = '';
    }
    const out = this.#pending.join('');
    this.#pending = [];
    this.#pendingChars = 0;
    this.#takenOfOpen = this.#open ? this.#open.length - this.#open.text.length : 0;
    return out;
  }
}

const ZERO = 0x30;
const NINE = 0x39;
const SPACE = 0x20;
const PLUS = 0x2b;
const NEWLINE = 0x0a;

/**
 * Decodes records that start at byte offset `start` of their stream (from a record boundary). A
 * line that is not a record (damaged data) is kept as a line without a time.
 */
export function decodeRecords(bytes: Uint8Array, start = 0): DecodedRecords {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: LogLine[] = [];
  const text: string[] = [];
  /** The line being joined from '+' records: when it began, its parts, and the offset of its first record. */
  let open: { at: number | undefined; parts: string[]; offset: number } | undefined;
  let pos = 0;
  while (pos < buf.length) {
    let nl = buf.indexOf(NEWLINE, pos);
    if (nl === -1) nl = buf.length;
    let digits = pos;
    while (digits < nl && digits - pos < 15 && buf[digits]! >= ZERO && buf[digits]! <= NINE) digits++;
    const marker = digits < nl ? buf[digits] : undefined;
    if (digits === pos || (marker !== SPACE && marker !== PLUS)) {
      // Not a record: keep the text rather than lose it.
      const raw = buf.toString('utf8', pos, nl);
      if (open) {
        lines.push({ at: open.at, text: open.parts.join('') });
        open = undefined;
      }
      lines.push({ at: undefined, text: raw });
      text.push(`${raw}\n`);
      pos = nl + 1;
      continue;
    }
    const at = Number(buf.toString('latin1', pos, digits));
    const part = buf.toString('utf8', digits + 1, nl);
    open ??= { at, parts: [], offset: start + pos };
    open.parts.push(part);
    text.push(part);
    if (marker === SPACE) {
      text.push('\n');
      lines.push({ at: open.at, text: open.parts.join('') });
      open = undefined;
    }
    pos = nl + 1;
  }
  let partial: LogLine | undefined;
  let next = start + buf.length;
  if (open) {
    partial = { at: open.at, text: open.parts.join('') };
    lines.push(partial);
    next = open.offset;
  }
  return { text: text.join(''), lines, partial, next };
}

/** Reads stored output that is one buffer: records, a file of the older format, or plain text. */
export function decodeLog(bytes: Uint8Array | undefined, format: 'records' | 'text' = 'records'): DecodedLog {
  if (!bytes || bytes.byteLength === 0) return { text: '', lines: [] };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'text') {
    const s = buf.toString('utf8');
    if (!s.startsWith(LOG_HEADER)) return { text: s, lines: plainLines(s) };
    return decodeRecords(buf.subarray(Buffer.byteLength(LOG_HEADER)));
  }
  const { text, lines } = decodeRecords(buf);
  return { text, lines };
}

function plainLines(s: string): LogLine[] {
  const parts = s.split('\n');
  if (parts.at(-1) === '') parts.pop();
  return parts.map((text) => ({ at: undefined, text }));
}
