/**
 * Where the artifact stores keep a task attempt's output: one folder (key prefix) per attempt and
 * stream, `<attempt>.<stream>/`, holding append-only segments named by the byte range of the
 * stream of records they hold, `<start>-<end>.log` (15 digits each, so that names sort by offset).
 * A segment is written once and never changed; a reader chains them from offset 0, taking at each
 * offset the segment that reaches furthest (so a segment that covers several others, or a second
 * writer's copy of the same range, is read once) and stopping at a gap. See `log-format.ts` for
 * what a record is.
 */
import { CairnError } from '../errors.js';
import { checkAttempt } from './keys.js';
import { LOG_HEADER } from './log-format.js';
import type { LogStream, StoredLog } from './types.js';

export interface SegmentName {
  name: string;
  start: number;
  end: number;
}

const DIGITS = 15;
const MAX_OFFSET = 10 ** DIGITS - 1;
const SEGMENT = /^(\d{15})-(\d{15})\.log$/;

export function checkStream(stream: LogStream): LogStream {
  if (stream !== 'stdout' && stream !== 'stderr') {
    throw new CairnError('INVALID_ARGUMENT', `Invalid log stream ${JSON.stringify(stream)}: expected "stdout" or "stderr".`);
  }
  return stream;
}

/** `<attempt>.<stream>`: the folder of one attempt's stream. */
export function logFolder(attempt: number, stream: LogStream): string {
  return `${checkAttempt(attempt)}.${checkStream(stream)}`;
}

export function checkOffset(what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > MAX_OFFSET) {
    throw new CairnError('INVALID_ARGUMENT', `Invalid log ${what} ${String(n)}: expected a byte offset, a whole number from 0.`);
  }
  return n;
}

/** The file name of the segment holding bytes [start, start + length) of the stream. */
export function segmentName(start: number, length: number): string {
  const end = checkOffset('offset', start) + length;
  checkOffset('offset', end);
  return `${String(start).padStart(DIGITS, '0')}-${String(end).padStart(DIGITS, '0')}.log`;
}

/**
 * The segments that hold the stream from offset 0 without a gap, in order, from a listing of a
 * stream's folder (other names are ignored).
 */
export function chainSegments(names: Iterable<string>): SegmentName[] {
  const furthest = new Map<number, SegmentName>();
  for (const name of names) {
    const m = SEGMENT.exec(name);
    if (!m) continue;
    const seg = { name, start: Number(m[1]), end: Number(m[2]) };
    if (seg.end <= seg.start) continue;
    const known = furthest.get(seg.start);
    if (!known || known.end < seg.end) furthest.set(seg.start, seg);
  }
  const chain: SegmentName[] = [];
  for (let at = 0, seg = furthest.get(0); seg; seg = furthest.get(at)) {
    chain.push(seg);
    at = seg.end;
  }
  return chain;
}

/** The segments of a chain that hold bytes from `from` on. */
export function segmentsFrom(chain: readonly SegmentName[], from: number): SegmentName[] {
  return chain.filter((s) => s.end > from);
}

/** Joins the bytes of `segments` (in order, each read whole) and cuts them to start at `from`. */
export function joinFrom(segments: readonly SegmentName[], parts: readonly Uint8Array[], from: number): Uint8Array {
  if (segments.length === 0) return new Uint8Array(0);
  const all = Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  const skip = Math.max(0, from - segments[0]!.start);
  return all.subarray(skip);
}

/**
 * A log stored by an older version as one file: records after the header `cairn-log 1` (offsets
 * count from after it), or plain text without times.
 */
export function oldLog(file: Uint8Array, from: number): StoredLog {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const header = Buffer.byteLength(LOG_HEADER);
  if (buf.subarray(0, header).toString('utf8') !== LOG_HEADER) {
    return { format: 'text', bytes: buf.subarray(Math.min(from, buf.length)), start: Math.min(from, buf.length), end: buf.length };
  }
  const records = buf.subarray(header);
  const start = Math.min(from, records.length);
  return { format: 'records', bytes: records.subarray(start), start, end: records.length };
}
