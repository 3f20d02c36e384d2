/**
 * Turning the values that components are given into card document JSON: any value into JSON
 * (`jsonOf`), and rows, records, columns or a data frame into a table (`tableOf`).
 */
import { types } from 'node:util';
import type { CardCell, CardComponent, JsonValue } from './document.js';

export interface JsonBudget {
  /** Values left to convert; past it, containers are cut. */
  nodes: number;
  truncated: boolean;
}

interface JsonOptions {
  /** Refuse what JSON cannot hold (a circular value, a function) instead of showing a note in its place. */
  strict: boolean;
  /** Names the value in messages (`VegaChart spec`). */
  what: string;
  budget?: JsonBudget;
}

/**
 * The JSON of a value: Dates become ISO text, bigints text, typed arrays, Sets and Maps arrays and
 * objects, `undefined` object entries are left out. Strictly (a chart's spec) a circular value or a
 * function is an error; otherwise it is shown as a note.
 */
export function jsonOf(value: unknown, o: JsonOptions): JsonValue {
  const seen = new Set<object>();
  const note = (what: string): JsonValue => {
    if (o.strict) throw new TypeError(`${o.what} holds ${what}, which JSON cannot hold.`);
    return `[${what}]`;
  };
  const walk = (v: unknown, depth: number): JsonValue => {
    if (o.budget && o.budget.nodes-- <= 0) {
      o.budget.truncated = true;
      return '…';
    }
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'bigint') return String(v);
    if (v === undefined) return null;
    if (typeof v === 'function' || typeof v === 'symbol') return note(typeof v === 'function' ? 'a function' : 'a symbol');
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (v instanceof Error) return { name: v.name, message: v.message };
    const obj = v as object;
    if (seen.has(obj)) return note('a circular reference');
    if (depth > 64) return note('a value nested too deeply');
    seen.add(obj);
    try {
      if (types.isTypedArray(obj)) return Array.from(obj as unknown as ArrayLike<number | bigint>, (x) => walk(x, depth + 1));
      if (Array.isArray(obj) || obj instanceof Set) return Array.from(obj as Iterable<unknown>, (x) => walk(x, depth + 1));
      if (obj instanceof Map) {
        const out: Record<string, JsonValue> = {};
        for (const [k, x] of obj) out[typeof k === 'string' ? k : String(walk(k, depth + 1))] = walk(x, depth + 1);
        return out;
      }
      const toJSON = (obj as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return walk(toJSON.call(obj), depth + 1);
      const out: Record<string, JsonValue> = {};
      for (const key of Object.keys(obj)) {
        const d = Object.getOwnPropertyDescriptor(obj, key);
        if (!d || !('value' in d) || d.value === undefined) continue;
        if (typeof d.value === 'function' && !o.strict) continue;
        out[key] = walk(d.value, depth + 1);
      }
      return out;
    } finally {
      seen.delete(obj);
    }
  };
  return walk(value, 0);
}

/** What `Table` takes: rows of cells, records, an object of columns, or a data frame. */
export type TableData = readonly (readonly unknown[])[] | readonly Record<string, unknown>[] | Record<string, ArrayLike<unknown>> | object;

export interface TableJson {
  headers: string[];
  rows: CardCell[][];
  rowCount: number;
  truncated: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

type Fn = (...a: unknown[]) => unknown;
const fn = (o: object, name: string): Fn | undefined => {
  const f = (o as Record<string, unknown>)[name];
  return typeof f === 'function' ? (f as Fn).bind(o) : undefined;
};

/** Rows (and headers) of a data frame, by the shape of the libraries people use; undefined if it is not one. */
function frameRows(data: object): { headers: string[]; rows: unknown[][] } | { records: unknown[] } | undefined {
  const d = data as Record<string, unknown>;
  // danfo.js: df.columns (names) and df.values (rows).
  if (Array.isArray(d['columns']) && Array.isArray(d['values'])) {
    return { headers: (d['columns'] as unknown[]).map(String), rows: (d['values'] as unknown[]).map((r) => (Array.isArray(r) ? r : [r])) };
  }
  // Arquero: t.columnNames() and t.objects().
  const names = fn(data, 'columnNames');
  const objects = fn(data, 'objects');
  if (names && objects) return { records: objects() as unknown[] };
  // Apache Arrow: table.toArray() gives row proxies with toJSON().
  const toArray = fn(data, 'toArray');
  if (toArray && (d['schema'] !== undefined || d['numRows'] !== undefined)) {
    return { records: Array.from(toArray() as ArrayLike<unknown>, (r) => (typeof (r as { toJSON?: unknown })?.toJSON === 'function' ? (r as { toJSON(): unknown }).toJSON() : r)) };
  }
  return undefined;
}

/**
 * The table of `data` (see `TableData`), at most `maxRows` rows. `component` renders a cell that
 * is a component (undefined for other values); other cells become JSON primitives or their text.
 */
export function tableOf(data: TableData, headers: string[] | undefined, maxRows: number, component: (v: unknown) => CardComponent | undefined): TableJson {
  const cell = (v: unknown): CardCell => {
    const c = component(v);
    if (c) return c;
    if (v === null || v === undefined) return null;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'bigint') return String(v);
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    const j = jsonOf(v, { strict: false, what: 'a table cell', budget: { nodes: 200, truncated: false } });
    return typeof j === 'string' ? j : JSON.stringify(j);
  };
  let names: string[] = headers ? [...headers] : [];
  let rows: unknown[][];
  let records: unknown[] | undefined;
  if (Array.isArray(data)) {
    if (data.length > 0 && data.every(isRecord)) records = data;
    else if (data.every((r) => Array.isArray(r))) rows = data as unknown[][];
    else throw new TypeError('Table: give rows (arrays of cells), an array of objects, an object of columns or a data frame; this array mixes rows and other values.');
  } else if (isRecord(data) && !frameRows(data)) {
    const cols = Object.entries(data);
    const lengths = new Set(cols.map(([, c]) => (Array.isArray(c) || types.isTypedArray(c) ? (c as ArrayLike<unknown>).length : -1)));
    if (cols.length === 0 || lengths.has(-1) || lengths.size !== 1) {
      throw new TypeError('Table: an object must hold columns: arrays of the same length, like { x: [1, 2], y: [3, 4] }.');
    }
    if (!headers) names = cols.map(([k]) => k);
    const n = [...lengths][0]!;
    const arrays = cols.map(([, c]) => c as ArrayLike<unknown>);
    rows = Array.from({ length: Math.min(n, maxRows) }, (_, i) => arrays.map((a) => a[i]));
    return { headers: names, rows: rows.map((r) => r.map(cell)), rowCount: n, truncated: n > maxRows };
  } else if (typeof data === 'object' && data !== null) {
    const frame = frameRows(data);
    if (!frame) throw new TypeError('Table: this object is not a table. Give rows, an array of objects, an object of columns, or a data frame (danfo.js, Arquero, Apache Arrow).');
    if ('records' in frame) records = frame.records;
    else {
      if (!headers) names = frame.headers;
      rows = frame.rows;
    }
  } else {
    throw new TypeError(`Table: give rows, an array of objects, an object of columns or a data frame; got ${data === null ? 'null' : typeof data}.`);
  }
  if (records) {
    if (!headers) {
      const keys = new Set<string>();
      for (const r of records.slice(0, maxRows)) for (const k of Object.keys(r as object)) keys.add(k);
      names = [...keys];
    }
    rows = records.map((r) => names.map((k) => (r as Record<string, unknown>)[k]));
  }
  const all = rows!;
  return { headers: names, rows: all.slice(0, maxRows).map((r) => r.map(cell)), rowCount: all.length, truncated: all.length > maxRows };
}
