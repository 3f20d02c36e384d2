/**
 * How two values of an artifact differ, for `diffRuns`: a structured diff of JSON-like values, a
 * summary of two series of numbers or two tables. Pure, bounded output whatever the size of the
 * values; values of other kinds (class instances, data frames) get no detail here and are
 * compared through their previews (`diffPreviews`).
 */
import { isDeepStrictEqual, types } from 'node:util';
import type { ArtifactPreview } from '../../storage/preview.js';
import { previewTypeName } from '../../storage/preview.js';
import type { ColumnDiff, Delta, JsonChange, JsonDiff, NumberStatsDiff, NumbersDiff, TableDiff, ValueDiff } from './types.js';

export interface ValueDiffLimits {
  /** Most changes a JSON diff lists. */
  maxChanges: number;
  /** Characters of a string shown in a change. */
  maxString: number;
}

export const DEFAULT_VALUE_DIFF_LIMITS: ValueDiffLimits = { maxChanges: 50, maxString: 200 };

/** Levels a JSON diff descends; below, a differing part is one change. */
const MAX_DEPTH = 32;
/** Entries of a container shown in a change's `a` / `b`, and levels. */
const SHOWN_ITEMS = 20;
const SHOWN_DEPTH = 3;
const MAX_COLUMNS = 64;

/** How two loaded values differ; undefined when they are not of a kind compared here. */
export function diffValues(a: unknown, b: unknown, limits: ValueDiffLimits = DEFAULT_VALUE_DIFF_LIMITS): ValueDiff | undefined {
  const na = numericSeries(a);
  const nb = numericSeries(b);
  if (na && nb) return numbersDiff(previewTypeName(a), previewTypeName(b), na, nb);
  const ta = tableOf(a);
  const tb = tableOf(b);
  if (ta && tb) return tableDiff(ta, tb);
  if (isJsonLike(a) && isJsonLike(b)) return jsonDiff(a, b, limits);
  return undefined;
}

/** What two previews say about how their values differ: series of numbers and tables only. */
export function diffPreviews(a: ArtifactPreview, b: ArtifactPreview): ValueDiff | undefined {
  if (a.kind === 'numbers' && b.kind === 'numbers') {
    return {
      kind: 'numbers',
      type: { a: a.type, b: b.type },
      length: { a: a.length, b: b.length },
      ...statsDiff(a.stats && finiteStats(a.stats), b.stats && finiteStats(b.stats)),
    };
  }
  if (a.kind === 'table' && b.kind === 'table') {
    const typesA = new Map(a.columns.map((c) => [c.name, c.type]));
    const typesB = new Map(b.columns.map((c) => [c.name, c.type]));
    const columns: ColumnDiff[] = unionKeys([...typesA.keys()], [...typesB.keys()]).map((name) => {
      const ta = typesA.get(name);
      const tb = typesB.get(name);
      const status = ta === undefined ? 'added' : tb === undefined ? 'removed' : ta !== tb ? 'changed' : 'unknown';
      return { name, status, type: { ...(ta !== undefined ? { a: ta } : {}), ...(tb !== undefined ? { b: tb } : {}) } };
    });
    return { kind: 'table', type: { a: a.type, b: b.type }, rows: { a: a.rowCount, b: b.rowCount }, columns };
  }
  return undefined;
}

// --- numbers -------------------------------------------------------------------------------

type Series = ArrayLike<number | bigint>;

function numericSeries(v: unknown): Series | undefined {
  if (types.isTypedArray(v)) return v as unknown as Series;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'number')) return v as number[];
  return undefined;
}

interface Stats {
  min: number;
  max: number;
  mean: number;
}

function statsOf(s: ArrayLike<unknown>): Stats | undefined {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const x = s[i];
    if (typeof x !== 'number' && typeof x !== 'bigint') return undefined;
    const v = Number(x);
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  return n > 0 ? { min, max, mean: sum / n } : undefined;
}

function finiteStats(s: { min: number; max: number; mean: number }): Stats | undefined {
  return Number.isFinite(s.min) && Number.isFinite(s.max) && Number.isFinite(s.mean) ? s : undefined;
}

function delta(a: number, b: number): Delta {
  return { a, b, delta: b - a };
}

function statsDiff(a: Stats | undefined, b: Stats | undefined): NumberStatsDiff {
  if (!a || !b) return {};
  return { min: delta(a.min, b.min), max: delta(a.max, b.max), mean: delta(a.mean, b.mean) };
}

function sameNumber(x: number | bigint, y: number | bigint): boolean {
  if (typeof x === 'bigint' || typeof y === 'bigint') return x === y;
  return x === y || (Number.isNaN(x) && Number.isNaN(y));
}

function numbersDiff(typeA: string, typeB: string, a: Series, b: Series): NumbersDiff {
  const common = Math.min(a.length, b.length);
  let changed = 0;
  let maxAbsDelta = 0;
  for (let i = 0; i < common; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (sameNumber(x, y)) continue;
    changed++;
    const d = Math.abs(Number(y) - Number(x));
    if (d > maxAbsDelta) maxAbsDelta = d;
  }
  return {
    kind: 'numbers',
    type: { a: typeA, b: typeB },
    length: { a: a.length, b: b.length },
    changed,
    maxAbsDelta,
    ...statsDiff(statsOf(a), statsOf(b)),
  };
}

// --- tables --------------------------------------------------------------------------------

interface Table {
  type: string;
  rows: number;
  columns: Map<string, ArrayLike<unknown>>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Own enumerable data properties (a getter is never called). */
function dataEntries(obj: object): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const key of Object.keys(obj)) {
    const d = Object.getOwnPropertyDescriptor(obj, key);
    if (d && 'value' in d) out.push([key, d.value]);
  }
  return out;
}

/** An array of plain objects (rows), or a plain object of equally long arrays (columns): as previews see tables. */
function tableOf(v: unknown): Table | undefined {
  const type = previewTypeName(v);
  if (Array.isArray(v)) {
    if (v.length === 0 || !v.every(isPlainObject)) return undefined;
    const names = new Set<string>();
    for (const row of v as Record<string, unknown>[]) {
      for (const [k] of dataEntries(row)) names.add(k);
      if (names.size > MAX_COLUMNS) return undefined;
    }
    if (names.size === 0) return undefined;
    const columns = new Map<string, unknown[]>();
    for (const name of names) columns.set(name, (v as Record<string, unknown>[]).map((r) => (Object.hasOwn(r, name) ? r[name] : undefined)));
    return { type, rows: v.length, columns };
  }
  if (!isPlainObject(v)) return undefined;
  const entries = dataEntries(v);
  if (entries.length === 0 || entries.length > MAX_COLUMNS) return undefined;
  let rows = -1;
  for (const [, col] of entries) {
    if (!Array.isArray(col) && !types.isTypedArray(col)) return undefined;
    const n = (col as ArrayLike<unknown>).length;
    if (rows >= 0 && n !== rows) return undefined;
    rows = n;
  }
  if (rows <= 0) return undefined;
  return { type, rows, columns: new Map(entries as Array<[string, ArrayLike<unknown>]>) };
}

function columnType(col: ArrayLike<unknown>): string {
  if (types.isTypedArray(col)) return previewTypeName(col).replace(/Array$/, '');
  const kinds = new Set<string>();
  for (let i = 0; i < col.length; i++) {
    const v = col[i];
    if (v !== null && v !== undefined) kinds.add(typeof v === 'object' ? previewTypeName(v) : typeof v);
  }
  return kinds.size === 1 ? [...kinds][0]! : kinds.size === 0 ? 'null' : 'mixed';
}

function sameCell(x: unknown, y: unknown): boolean {
  if ((typeof x === 'number' || typeof x === 'bigint') && (typeof y === 'number' || typeof y === 'bigint')) return sameNumber(x, y);
  return isDeepStrictEqual(x, y);
}

function tableDiff(a: Table, b: Table): TableDiff {
  const common = Math.min(a.rows, b.rows);
  const rowChanged = new Uint8Array(common);
  const columns: ColumnDiff[] = unionKeys([...a.columns.keys()], [...b.columns.keys()]).map((name) => {
    const ca = a.columns.get(name);
    const cb = b.columns.get(name);
    if (!ca) return { name, status: 'added', type: { b: columnType(cb!) } };
    if (!cb) return { name, status: 'removed', type: { a: columnType(ca) } };
    let changed = 0;
    for (let i = 0; i < common; i++) {
      if (sameCell(ca[i], cb[i])) continue;
      changed++;
      rowChanged[i] = 1;
    }
    const type = { a: columnType(ca), b: columnType(cb) };
    const status = changed > 0 || a.rows !== b.rows || type.a !== type.b ? 'changed' : 'same';
    return { name, status, type, changed, ...statsDiff(statsOf(ca), statsOf(cb)) };
  });
  const changedRows = rowChanged.reduce((n, x) => n + x, 0);
  return { kind: 'table', type: { a: a.type, b: b.type }, rows: { a: a.rows, b: b.rows }, changedRows, columns };
}

// --- JSON-like values ------------------------------------------------------------------------

const LEAF_PROTOS = new Set<unknown>([Date.prototype, RegExp.prototype]);

/** Primitives, Dates, RegExps, plain objects, arrays, Maps and Sets: what a structured diff walks. */
function isJsonLike(v: unknown): boolean {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return true;
  if (typeof v === 'function') return false;
  if (Array.isArray(v) || v instanceof Map || v instanceof Set) return true;
  return isPlainObject(v) || LEAF_PROTOS.has(Object.getPrototypeOf(v));
}

function kindOf(v: unknown): 'array' | 'map' | 'set' | 'object' | 'leaf' {
  if (Array.isArray(v)) return 'array';
  if (v instanceof Map) return 'map';
  if (v instanceof Set) return 'set';
  if (isPlainObject(v)) return 'object';
  return 'leaf';
}

function unionKeys<K>(a: readonly K[], b: readonly K[]): K[] {
  const inA = new Set(a);
  return [...a, ...b.filter((k) => !inA.has(k))];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function propertyPath(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function mapKeyText(k: unknown): string {
  if (typeof k === 'string') return JSON.stringify(k);
  if (typeof k === 'bigint') return `${k}n`;
  if (k === null || typeof k !== 'object') return String(k);
  return `[${previewTypeName(k)}]`;
}

class JsonWalk {
  readonly changes: JsonChange[] = [];
  truncated = false;
  constructor(private readonly limits: ValueDiffLimits) {}

  private add(change: JsonChange): void {
    if (this.changes.length >= this.limits.maxChanges) {
      this.truncated = true;
      return;
    }
    this.changes.push(change);
  }

  private full(): boolean {
    if (this.changes.length < this.limits.maxChanges) return false;
    this.truncated = true;
    return true;
  }

  changed(path: string, a: unknown, b: unknown): void {
    this.add({ path, status: 'changed', a: shown(a, this.limits), b: shown(b, this.limits) });
  }

  added(path: string, b: unknown): void {
    this.add({ path, status: 'added', b: shown(b, this.limits) });
  }

  removed(path: string, a: unknown): void {
    this.add({ path, status: 'removed', a: shown(a, this.limits) });
  }

  walk(a: unknown, b: unknown, path: string, depth: number): void {
    if (this.full()) return;
    const kind = kindOf(a);
    if (kind !== kindOf(b) || kind === 'leaf' || depth >= MAX_DEPTH) {
      if (!sameCell(a, b)) this.changed(path, a, b);
      return;
    }
    if (kind === 'array') return this.walkArray(a as unknown[], b as unknown[], path, depth);
    if (kind === 'object') return this.walkObject(a as Record<string, unknown>, b as Record<string, unknown>, path, depth);
    if (kind === 'map') return this.walkMap(a as Map<unknown, unknown>, b as Map<unknown, unknown>, path, depth);
    return this.walkSet(a as Set<unknown>, b as Set<unknown>, path);
  }

  private walkArray(a: unknown[], b: unknown[], path: string, depth: number): void {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common && !this.full(); i++) this.walk(a[i], b[i], `${path}[${i}]`, depth + 1);
    for (let i = common; i < a.length && !this.full(); i++) this.removed(`${path}[${i}]`, a[i]);
    for (let i = common; i < b.length && !this.full(); i++) this.added(`${path}[${i}]`, b[i]);
  }

  private walkObject(a: Record<string, unknown>, b: Record<string, unknown>, path: string, depth: number): void {
    const ea = new Map(dataEntries(a));
    const eb = new Map(dataEntries(b));
    for (const key of unionKeys([...ea.keys()], [...eb.keys()])) {
      if (this.full()) return;
      const p = propertyPath(path, key);
      if (!eb.has(key)) this.removed(p, ea.get(key));
      else if (!ea.has(key)) this.added(p, eb.get(key));
      else this.walk(ea.get(key), eb.get(key), p, depth + 1);
    }
  }

  private walkMap(a: Map<unknown, unknown>, b: Map<unknown, unknown>, path: string, depth: number): void {
    for (const key of unionKeys([...a.keys()], [...b.keys()])) {
      if (this.full()) return;
      const p = `${path}[${mapKeyText(key)}]`;
      if (!b.has(key)) this.removed(p, a.get(key));
      else if (!a.has(key)) this.added(p, b.get(key));
      else this.walk(a.get(key), b.get(key), p, depth + 1);
    }
  }

  /** Sets are compared by membership (objects in them by identity, so only as a whole). */
  private walkSet(a: Set<unknown>, b: Set<unknown>, path: string): void {
    const objects = [...a, ...b].some((v) => typeof v === 'object' && v !== null);
    if (objects) {
      if (!isDeepStrictEqual(a, b)) this.changed(path, a, b);
      return;
    }
    for (const v of a) if (!b.has(v)) this.removed(`${path}{}`, v);
    for (const v of b) if (!a.has(v)) this.added(`${path}{}`, v);
  }
}

function jsonDiff(a: unknown, b: unknown, limits: ValueDiffLimits): JsonDiff {
  const walk = new JsonWalk(limits);
  walk.walk(a, b, '', 0);
  return { kind: 'json', changes: walk.changes, truncated: walk.truncated };
}

/**
 * A value as JSON for a change's `a` / `b`: strings cut, containers cut to a few entries and
 * levels; what JSON cannot hold (undefined, NaN, bigints, Dates, typed arrays...) as its text.
 */
export function shown(v: unknown, limits: Pick<ValueDiffLimits, 'maxString'>, depth = 0): unknown {
  if (typeof v === 'string') return v.length > limits.maxString ? `${v.slice(0, limits.maxString)}…` : v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'bigint') return `${v}n`;
  if (v === undefined) return 'undefined';
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'function') return `[function ${v.name || 'anonymous'}]`;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  const type = previewTypeName(v);
  if (types.isTypedArray(v)) return `${type}(${(v as unknown as ArrayLike<unknown>).length} items)`;
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength} bytes)`;
  const kind = kindOf(v);
  if (kind === 'leaf') return `[${type}]`;
  if (depth >= SHOWN_DEPTH) return kind === 'array' ? `[Array(${(v as unknown[]).length})]` : `[${type}]`;
  const entries: Array<[string, unknown]> =
    kind === 'array'
      ? (v as unknown[]).slice(0, SHOWN_ITEMS).map((x, i) => [String(i), x])
      : kind === 'map'
        ? [...(v as Map<unknown, unknown>)].slice(0, SHOWN_ITEMS).map(([k, x]) => [typeof k === 'string' ? k : mapKeyText(k), x])
        : kind === 'set'
          ? [...(v as Set<unknown>)].slice(0, SHOWN_ITEMS).map((x, i) => [String(i), x])
          : dataEntries(v as object).slice(0, SHOWN_ITEMS);
  const total = kind === 'array' ? (v as unknown[]).length : kind === 'object' ? Object.keys(v as object).length : (v as Map<unknown, unknown>).size;
  if (kind === 'array' || kind === 'set') {
    const out = entries.map(([, x]) => shown(x, limits, depth + 1));
    if (total > SHOWN_ITEMS) out.push(`… ${total - SHOWN_ITEMS} more`);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries) out[k] = shown(x, limits, depth + 1);
  if (total > SHOWN_ITEMS) out['…'] = `${total - SHOWN_ITEMS} more`;
  return out;
}
