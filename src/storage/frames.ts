/**
 * Data frames as artifacts: `apache-arrow` Tables (stored as Arrow IPC, encoding `arrow-ipc`) and
 * `nodejs-polars` DataFrames (their Arrow IPC, encoding `polars-ipc`). Both libraries are optional:
 * nothing is loaded until such a value is stored or read, and a user without them installs
 * nothing. Values are recognised by their shape (never by importing the library to ask).
 *
 * A frame blob starts with a small header that holds what a preview shows: the schema, the row
 * count and the first rows, with the sha1 of that header text, so that a preview reads only the
 * first bytes of a blob, verified, whatever its size:
 *
 *   bytes 0..3    "CFRM"
 *   byte  4       version (1)
 *   bytes 8..11   n: length of the JSON header, u32 little-endian
 *   bytes 12..51  sha1 (hex) of the JSON header
 *   bytes 52..    the JSON header: { kind, rows, columns: [{ name, type }], head: cells[][] }, padded
 *                 with spaces so that the IPC bytes start at a multiple of 64
 *   then          the IPC bytes
 *
 * apache-arrow is an ES module with a CommonJS twin; a Table from one is not a Table of the other,
 * so it is imported as the flow imports it (`import()`), ahead, at the places that can wait for it:
 * `prepareFrames` (before a task's step runs and before its artifacts are encoded, and before the
 * client decodes one). nodejs-polars is CommonJS only and is required when needed.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { CairnError } from '../errors.js';

/** A column and a cell as previews show them (the same shapes as `preview.ts`'s, which imports this module). */
export interface FrameColumn {
  name: string;
  type: string;
}
export type FrameCell = string | number | boolean | null;

export const ARROW_ENCODING = 'arrow-ipc';
export const POLARS_ENCODING = 'polars-ipc';
const MAGIC = [0x43, 0x46, 0x52, 0x4d]; // "CFRM"
const FIXED = 52;
/** Rows kept in the header for previews. */
export const HEAD_ROWS = 50;
/** The header never holds more than this (long cells are cut). */
export const FRAME_HEAD_BYTES = 256 * 1024;
const CELL_CHARS = 200;

export type FrameKind = 'arrow' | 'polars';

export interface FrameHeader {
  kind: FrameKind;
  rows: number;
  columns: FrameColumn[];
  head: FrameCell[][];
}

/* Minimal shapes of the libraries' APIs used here (their own types are not imported). */
interface ArrowTable {
  numRows: number;
  schema: { fields: Array<{ name: string; type: unknown }> };
  batches: unknown[];
  slice(begin: number, end: number): ArrowTable;
  toArray(): Array<{ toJSON(): Record<string, unknown> }>;
}
interface ArrowModule {
  Table: abstract new (...a: never[]) => unknown;
  tableToIPC(t: unknown, type: 'file' | 'stream'): Uint8Array;
  RecordBatchFileWriter: { writeAll(t: unknown): { finish(): unknown } };
  tableFromIPC(bytes: Uint8Array): unknown;
}
interface PolarsFrame {
  height: number;
  columns: string[];
  schema: Record<string, unknown>;
  writeIPC(): Buffer;
  head(n: number): PolarsFrame;
  toRecords(): Array<Record<string, unknown>>;
}
interface PolarsModule {
  readIPC(bytes: Buffer): unknown;
}

let arrow: ArrowModule | undefined;
let polars: PolarsModule | undefined;
const requireHere = createRequire(import.meta.url);

function missing(pkg: string, e: unknown): CairnError {
  return new CairnError(
    'STORE',
    `Cannot load ${pkg}, which this artifact needs: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}. ` +
      `Install it where cairnflow is installed (npm install ${pkg}).`,
    { cause: e },
  );
}

/** Whether a value looks like an apache-arrow Table (without loading the library). */
function looksLikeArrowTable(v: object): boolean {
  const t = v as Partial<ArrowTable>;
  return v.constructor?.name === 'Table' && typeof t.numRows === 'number' && Array.isArray(t.batches) && typeof t.schema === 'object';
}

/** Whether a value looks like a nodejs-polars DataFrame. */
function looksLikePolarsFrame(v: object): boolean {
  return Object.prototype.toString.call(v) === '[object DataFrame]' && typeof (v as Partial<PolarsFrame>).writeIPC === 'function';
}

/** The frame kind of a value, or undefined. */
export function frameKind(value: unknown): FrameKind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (looksLikeArrowTable(value)) return 'arrow';
  if (looksLikePolarsFrame(value)) return 'polars';
  return undefined;
}

/** Imports what these values or encodings will need (apache-arrow, as the flow imports it). */
export async function prepareFrames(values: readonly unknown[], encodings: readonly string[] = []): Promise<void> {
  const needArrow = encodings.includes(ARROW_ENCODING) || values.some((v) => frameKind(v) === 'arrow');
  if (needArrow && !arrow) {
    try {
      arrow = (await import('apache-arrow' as string)) as ArrowModule;
    } catch (e) {
      throw missing('apache-arrow', e);
    }
  }
}

function arrowModule(): ArrowModule {
  if (!arrow) {
    throw new CairnError('INTERNAL', 'apache-arrow was not imported before an Arrow table was stored or read (prepareFrames).');
  }
  return arrow;
}

function polarsModule(): PolarsModule {
  if (!polars) {
    try {
      polars = requireHere('nodejs-polars') as PolarsModule;
    } catch (e) {
      throw missing('nodejs-polars', e);
    }
  }
  return polars;
}

function cell(v: unknown): FrameCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return String(v);
  let text: string;
  if (typeof v === 'string') text = v;
  else if (v instanceof Date) text = v.toISOString();
  else {
    try {
      text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v);
    } catch {
      text = String(v);
    }
  }
  return text.length > CELL_CHARS ? `${text.slice(0, CELL_CHARS)}…` : text;
}

function typeName(t: unknown): string {
  return String(t).replace(/^DataType\((.*)\)$/, '$1');
}

/** A table preview of a frame: from its header (a stored blob's) or from the value itself. */
export function framePreview(header: FrameHeader, maxRows: number) {
  const rows = header.head.slice(0, Math.max(0, maxRows));
  return {
    kind: 'table' as const,
    type: frameTypeName(header.kind),
    columns: header.columns,
    rows,
    rowCount: header.rows,
    truncated: header.rows > rows.length,
  };
}

export function frameHeader(kind: FrameKind, value: unknown): FrameHeader {
  if (kind === 'arrow') {
    const t = value as ArrowTable;
    const columns = t.schema.fields.map((f) => ({ name: f.name, type: typeName(f.type) }));
    const head = t.slice(0, HEAD_ROWS).toArray().map((row) => {
      const r = row.toJSON();
      return columns.map((c) => cell(r[c.name]));
    });
    return { kind, rows: t.numRows, columns, head };
  }
  const df = value as PolarsFrame;
  const columns = df.columns.map((name) => ({ name, type: typeName(df.schema[name]) }));
  const head = df.head(HEAD_ROWS).toRecords().map((r) => columns.map((c) => cell(r[c.name])));
  return { kind, rows: df.height, columns, head };
}

function headerBytes(header: FrameHeader): Buffer {
  let head = header.head;
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Very wide rows: keep fewer of them rather than a large header.
  while (json.length > FRAME_HEAD_BYTES - FIXED && head.length > 0) {
    head = head.slice(0, Math.floor(head.length / 2));
    json = Buffer.from(JSON.stringify({ ...header, head }), 'utf8');
  }
  // Spaces after the JSON up to a multiple of 64 bytes: the IPC bytes then start aligned, and Arrow
  // reads its buffers in place (an unaligned buffer is copied).
  const padded = Math.ceil((FIXED + json.length) / 64) * 64 - FIXED;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const out = Buffer.alloc(FIXED + json.length);
  out.set(MAGIC, 0);
  out[4] = 1;
  out.writeUInt32LE(json.length, 8);
  out.write(createHash('sha1').update(json).digest('hex'), 12, 'latin1');
  json.copy(out, FIXED);
  return out;
}

/** The parts of a frame blob: the header and the IPC bytes. Throws `Error` with the library's reason. */
export function encodeFrame(kind: FrameKind, value: unknown): Uint8Array[] {
  let ipc: Uint8Array[];
  if (kind === 'arrow') {
    const mod = arrowModule();
    // Not `instanceof`: Arrow's Table says yes to a Table of another copy, whose IPC it then writes wrong.
    if (!Function.prototype[Symbol.hasInstance].call(mod.Table, value)) {
      throw new Error('the Table comes from another copy of apache-arrow than the one cairn imports; install one copy of apache-arrow beside cairnflow');
    }
    ipc = arrowChunks(mod, value);
  } else {
    ipc = [(value as PolarsFrame).writeIPC()];
  }
  return [headerBytes(frameHeader(kind, value)), ...ipc];
}

/**
 * The Arrow IPC file of a table, as the chunks the writer produced: views of the table's own
 * buffers and the writer's small metadata, so that storing a table copies none of its data
 * (`tableToIPC` joins them into one buffer, which costs more than writing them to disk). Falls back
 * to `tableToIPC` if the writer keeps its chunks elsewhere.
 */
function arrowChunks(mod: ArrowModule, table: unknown): Uint8Array[] {
  const writer = mod.RecordBatchFileWriter.writeAll(table);
  writer.finish();
  const values = (writer as { _sink?: { _values?: unknown } })._sink?._values;
  if (Array.isArray(values) && values.every((v) => v instanceof Uint8Array)) return values as Uint8Array[];
  return [mod.tableToIPC(table, 'file')];
}

function corrupt(why: string): CairnError {
  return new CairnError('CORRUPT_BLOB', `A data-frame blob is damaged: ${why}.`);
}

/** Reads and verifies the header at the start of a frame blob (the first `FRAME_HEAD_BYTES` are enough unless it has thousands of columns). */
export function readFrameHeader(bytes: Uint8Array): { header: FrameHeader; start: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < FIXED || !MAGIC.every((m, i) => b[i] === m)) throw corrupt('it does not start with a frame header');
  if (b[4] !== 1) throw new CairnError('STORE', `A data-frame blob has header version ${b[4]}: upgrade cairnflow to read it.`);
  const n = b.readUInt32LE(8);
  if (FIXED + n > b.length) throw corrupt('its header is cut short');
  const json = b.subarray(FIXED, FIXED + n);
  if (createHash('sha1').update(json).digest('hex') !== b.toString('latin1', 12, 52)) throw corrupt('its header does not match its checksum');
  return { header: JSON.parse(json.toString('utf8')) as FrameHeader, start: FIXED + n };
}

/** Decodes a whole frame blob into a Table or a DataFrame of the library that wrote it. */
export function decodeFrame(encoding: string, blob: Uint8Array): unknown {
  const { start } = readFrameHeader(blob);
  const ipc = blob.subarray(start);
  if (encoding === ARROW_ENCODING) return arrowModule().tableFromIPC(ipc);
  return polarsModule().readIPC(Buffer.from(ipc.buffer, ipc.byteOffset, ipc.byteLength));
}

/** The readable type of a frame, as artifact listings show it. */
export function frameTypeName(kind: FrameKind): string {
  return kind === 'arrow' ? 'arrow.Table' : 'polars.DataFrame';
}
