/**
 * Previews of artifact values: plain JSON that says what a value is and shows a bounded part of it,
 * for every place that shows artifacts to people (`cairn dump`, the web UI, cards). A preview never
 * holds more than its limits allow, whatever the size of the value, and never runs code of the value
 * (no getters are called: own data properties only).
 *
 * The kinds, chosen from the value:
 * - `value`: a primitive, a Date, a RegExp, an Error (its text);
 * - `text`: a string, cut at `maxString` characters;
 * - `numbers`: a typed array or an array of numbers: length, min / max / mean, and an evenly spaced
 *   sample for a small plot;
 * - `table`: an array of plain objects that share their keys (rows), or an object of equally long
 *   arrays (columns), cut at `maxRows`;
 * - `image`: PNG, JPEG or GIF bytes (a Buffer, Uint8Array or ArrayBuffer), as base64;
 * - `bytes`: other binary data: its length and first bytes;
 * - `tree`: anything else (objects, arrays, Map, Set), as a tree cut at `maxDepth` and `maxItems`.
 * Serializers may offer their own preview (data frames: a `table` read from the stored bytes).
 */
import { types } from 'node:util';
import { valueTypeName } from './value-check.js';
import { frameHeader, frameKind, framePreview, frameTypeName } from './frames.js';

export interface PreviewOptions {
  /** Rows of a table (default 50). */
  maxRows?: number;
  /** Entries shown per object, array, Map or Set of a tree (default 100). */
  maxItems?: number;
  /** Levels of a tree (default 6). */
  maxDepth?: number;
  /** Characters of a string (default 2000). */
  maxString?: number;
  /** Points of a `numbers` sample (default 200). */
  samplePoints?: number;
  /** Largest image shown, in bytes (default 4 MiB). */
  maxImageBytes?: number;
}

export interface PreviewColumn {
  name: string;
  /** A readable type of the column's values: `number`, `string`, `Float64`, ... */
  type: string;
}

/** One node of a `tree` preview. */
export type TreeNode =
  | { kind: 'leaf'; type: string; text: string }
  | {
      kind: 'object' | 'array' | 'map' | 'set';
      /** The class or container name: `Object`, `Array`, `Map`, `Point`... */
      type: string;
      /** How many entries the container has in all. */
      size: number;
      /** The entries shown: key (index, property name or the Map key's text) and value. */
      entries: Array<[string, TreeNode]>;
      /** Shown as `...` because the tree is cut at this depth. */
      cut?: boolean;
    };

/** A `tree` node that holds entries. */
export type TreeContainer = Exclude<TreeNode, { kind: 'leaf' }>;

export type ArtifactPreview =
  | { kind: 'value'; type: string; text: string }
  | { kind: 'text'; type: 'string'; text: string; length: number; truncated: boolean }
  | {
      kind: 'numbers';
      type: string;
      length: number;
      /** Over every finite element; absent for an empty array. */
      stats?: { min: number; max: number; mean: number; nonFinite: number };
      /** Evenly spaced elements (all of them when the array is short), for a plot. */
      sample: number[];
      /** Indices of the sample's elements. */
      sampleIndex: number[];
      /** The shape, when the value records one (a tensor). */
      shape?: number[];
    }
  | { kind: 'table'; type: string; columns: PreviewColumn[]; rows: TableCell[][]; rowCount: number; truncated: boolean }
  | { kind: 'image'; type: string; mime: 'image/png' | 'image/jpeg' | 'image/gif'; base64: string; length: number }
  | { kind: 'bytes'; type: string; length: number; head: string }
  | { kind: 'tree'; type: string; root: TreeNode; truncated: boolean }
  /** The value was not loaded, or could not be: why (too large, an integrity error, a missing serializer...). */
  | { kind: 'unavailable'; type: string; reason: string; code?: string };

/** A table cell: a JSON primitive, or the text of anything else. */
export type TableCell = string | number | boolean | null;

const DEFAULTS: Required<PreviewOptions> = {
  maxRows: 50,
  maxItems: 100,
  maxDepth: 6,
  maxString: 2000,
  samplePoints: 200,
  maxImageBytes: 4 * 1024 * 1024,
};

function resolved(options: PreviewOptions | undefined): Required<PreviewOptions> {
  return { ...DEFAULTS, ...options };
}

/** The readable type of a value, as artifact listings show it (`Buffer` for a Buffer). */
export function previewTypeName(value: unknown): string {
  if (Buffer.isBuffer(value)) return 'Buffer';
  const frame = frameKind(value);
  if (frame) return frameTypeName(frame);
  return valueTypeName(value);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The text of a leaf value (never a container). */
function leafText(value: unknown, maxString: number): string {
  if (typeof value === 'string') return JSON.stringify(cut(value, maxString));
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Error) return cut(`${value.name}: ${value.message}`, maxString);
  return String(value);
}

function isLeaf(value: unknown): boolean {
  return (
    value === null ||
    (typeof value !== 'object' && typeof value !== 'function') ||
    typeof value === 'function' ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error
  );
}

type NumericArray = ArrayLike<number> | ArrayLike<bigint>;

function numericView(value: unknown): NumericArray | undefined {
  if (types.isTypedArray(value) && !(value instanceof Uint8Array && isBinaryBlob(value))) return value as unknown as NumericArray;
  if (Array.isArray(value) && value.length > 0 && value.length === countNumbers(value)) return value as number[];
  return undefined;
}

function countNumbers(a: unknown[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (typeof a[i] === 'number') n++;
  return n;
}

/** A Buffer or a plain Uint8Array is shown as bytes (or an image), not as a series of numbers. */
function isBinaryBlob(value: Uint8Array): boolean {
  return Buffer.isBuffer(value) || Object.getPrototypeOf(value) === Uint8Array.prototype;
}

function numbersPreview(type: string, a: NumericArray, o: Required<PreviewOptions>): ArtifactPreview {
  const length = a.length;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  for (let i = 0; i < length; i++) {
    const v = Number(a[i]);
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    finite++;
  }
  const points = Math.min(length, Math.max(1, o.samplePoints));
  const sample: number[] = [];
  const sampleIndex: number[] = [];
  for (let k = 0; k < points && length > 0; k++) {
    const i = points === 1 ? 0 : Math.round((k * (length - 1)) / (points - 1));
    sampleIndex.push(i);
    sample.push(Number(a[i]));
  }
  return {
    kind: 'numbers',
    type,
    length,
    ...(length > 0 ? { stats: finite > 0 ? { min, max, mean: sum / finite, nonFinite: length - finite } : { min: NaN, max: NaN, mean: NaN, nonFinite: length } } : {}),
    sample,
    sampleIndex,
  };
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const GIF = [0x47, 0x49, 0x46, 0x38];

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** The image type of some bytes, by their first bytes; undefined when they are not an image cairn shows. */
export function imageMime(bytes: Uint8Array): 'image/png' | 'image/jpeg' | 'image/gif' | undefined {
  if (startsWith(bytes, PNG)) return 'image/png';
  if (startsWith(bytes, JPEG)) return 'image/jpeg';
  if (startsWith(bytes, GIF)) return 'image/gif';
  return undefined;
}

function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array && isBinaryBlob(value)) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

function binaryPreview(type: string, bytes: Uint8Array, o: Required<PreviewOptions>): ArtifactPreview {
  const mime = imageMime(bytes);
  if (mime && bytes.byteLength <= o.maxImageBytes) {
    return { kind: 'image', type, mime, base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), length: bytes.byteLength };
  }
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 32)).toString('hex');
  return { kind: 'bytes', type, length: bytes.byteLength, head };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Own enumerable data properties (accessors are skipped: a preview never runs a getter). */
function dataEntries(obj: object): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const key of Object.keys(obj)) {
    const d = Object.getOwnPropertyDescriptor(obj, key);
    if (d && 'value' in d) out.push([key, d.value]);
  }
  return out;
}

function cellOf(v: unknown, maxString: number): TableCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return cut(v, maxString);
  if (isLeaf(v)) return leafText(v, maxString);
  try {
    return cut(JSON.stringify(v) ?? String(v), Math.min(maxString, 200));
  } catch {
    return `[${previewTypeName(v)}]`;
  }
}

function columnType(values: unknown[]): string {
  const kinds = new Set(values.filter((v) => v !== null && v !== undefined).map((v) => (typeof v === 'object' ? previewTypeName(v) : typeof v)));
  return kinds.size === 1 ? [...kinds][0]! : kinds.size === 0 ? 'null' : 'mixed';
}

/** Rows: an array of plain objects whose keys are mostly the same (at most 64 distinct keys). */
function rowsTable(type: string, rows: unknown[], o: Required<PreviewOptions>): ArtifactPreview | undefined {
  if (rows.length === 0 || !rows.every(isPlainObject)) return undefined;
  const keys = new Map<string, number>();
  const head = rows.slice(0, o.maxRows) as Record<string, unknown>[];
  for (const r of head) for (const [k] of dataEntries(r)) keys.set(k, (keys.get(k) ?? 0) + 1);
  if (keys.size === 0 || keys.size > 64) return undefined;
  const names = [...keys.keys()];
  const table = head.map((r) => names.map((k) => cellOf(Object.hasOwn(r, k) ? r[k] : undefined, o.maxString)));
  const columns = names.map((name) => ({ name, type: columnType(head.map((r) => r[name])) }));
  return { kind: 'table', type, columns, rows: table, rowCount: rows.length, truncated: rows.length > head.length };
}

/** Columns: a plain object of arrays (or typed arrays) of the same length, like a data frame's columns. */
function columnsTable(type: string, obj: Record<string, unknown>, o: Required<PreviewOptions>): ArtifactPreview | undefined {
  const entries = dataEntries(obj);
  if (entries.length === 0 || entries.length > 64) return undefined;
  let length = -1;
  for (const [, v] of entries) {
    if (!Array.isArray(v) && !types.isTypedArray(v)) return undefined;
    const n = (v as ArrayLike<unknown>).length;
    if (length >= 0 && n !== length) return undefined;
    length = n;
  }
  if (length <= 0) return undefined;
  const shown = Math.min(length, o.maxRows);
  const cols = entries.map(([, v]) => v as ArrayLike<unknown>);
  const rows: TableCell[][] = [];
  for (let i = 0; i < shown; i++) rows.push(cols.map((c) => cellOf(typeof c[i] === 'bigint' ? String(c[i]) : c[i], o.maxString)));
  const columns = entries.map(([name, v]) => ({
    name,
    type: types.isTypedArray(v) ? previewTypeName(v).replace(/Array$/, '') : columnType((v as unknown[]).slice(0, shown)),
  }));
  return { kind: 'table', type, columns, rows, rowCount: length, truncated: length > shown };
}

interface TreeBudget {
  /** Nodes left to show in all, so that a wide and deep value stays small. */
  nodes: number;
  truncated: boolean;
}

function treeOf(value: unknown, depth: number, o: Required<PreviewOptions>, budget: TreeBudget, seen: Set<object>): TreeNode {
  budget.nodes--;
  if (isLeaf(value)) return { kind: 'leaf', type: previewTypeName(value), text: leafText(value, o.maxString) };
  const obj = value as object;
  const type = previewTypeName(obj);
  if (seen.has(obj)) return { kind: 'leaf', type, text: '[Circular]' };
  if (types.isTypedArray(obj) || obj instanceof ArrayBuffer || obj instanceof DataView) {
    const len = obj instanceof ArrayBuffer ? obj.byteLength : (obj as ArrayLike<unknown> & { byteLength: number }).byteLength;
    const n = types.isTypedArray(obj) ? `${(obj as unknown as ArrayLike<unknown>).length} items` : `${len} bytes`;
    return { kind: 'leaf', type, text: `${type}(${n})` };
  }
  let kind: 'object' | 'array' | 'map' | 'set';
  let all: Iterable<[string, unknown]>;
  let size: number;
  if (Array.isArray(obj)) {
    kind = 'array';
    size = obj.length;
    all = (function* () {
      for (let i = 0; i < obj.length; i++) yield [String(i), obj[i]] as [string, unknown];
    })();
  } else if (obj instanceof Map) {
    kind = 'map';
    size = obj.size;
    all = (function* () {
      for (const [k, v] of obj) yield [isLeaf(k) ? leafText(k, 200) : `[${previewTypeName(k)}]`, v] as [string, unknown];
    })();
  } else if (obj instanceof Set) {
    kind = 'set';
    size = obj.size;
    all = (function* () {
      let i = 0;
      for (const v of obj) yield [String(i++), v] as [string, unknown];
    })();
  } else {
    kind = 'object';
    const entries = dataEntries(obj);
    size = entries.length;
    all = entries;
  }
  if (depth >= o.maxDepth) {
    if (size > 0) budget.truncated = true;
    return { kind, type, size, entries: [], ...(size > 0 ? { cut: true } : {}) };
  }
  seen.add(obj);
  const entries: Array<[string, TreeNode]> = [];
  for (const [k, v] of all) {
    if (entries.length >= o.maxItems || budget.nodes <= 0) {
      budget.truncated = true;
      break;
    }
    entries.push([k, treeOf(v, depth + 1, o, budget, seen)]);
  }
  seen.delete(obj);
  return { kind, type, size, entries };
}

/** A bounded, JSON-able preview of a value (see the module comment for the kinds). */
export function previewValue(value: unknown, options?: PreviewOptions): ArtifactPreview {
  const o = resolved(options);
  const type = previewTypeName(value);
  if (typeof value === 'string') {
    return { kind: 'text', type: 'string', text: cut(value, o.maxString), length: value.length, truncated: value.length > o.maxString };
  }
  if (isLeaf(value)) return { kind: 'value', type, text: leafText(value, o.maxString) };
  const frame = frameKind(value);
  if (frame) {
    try {
      return framePreview(frameHeader(frame, value), o.maxRows);
    } catch (e) {
      return { kind: 'unavailable', type, reason: `the ${type} could not be read: ${(e as Error).message}` };
    }
  }
  const bytes = bytesOf(value);
  if (bytes) return binaryPreview(type, bytes, o);
  const numbers = numericView(value);
  if (numbers) return numbersPreview(type, numbers, o);
  if (Array.isArray(value)) {
    const table = rowsTable(type, value, o);
    if (table) return table;
  } else if (isPlainObject(value)) {
    const table = columnsTable(type, value, o);
    if (table) return table;
  }
  const budget: TreeBudget = { nodes: o.maxItems * 20, truncated: false };
  const root = treeOf(value, 0, o, budget, new Set());
  return { kind: 'tree', type, root, truncated: budget.truncated };
}
