/**
 * The card components a step adds to its cards (`current.card.append(new Markdown('# Hi'))`).
 * Each is a small class whose `render()` gives the component's JSON in the card document
 * (`document.ts`), which the one viewer draws. Components keep what they are given and render when
 * the card is written, so a component changed after it was appended (`ProgressBar.update()`) shows
 * its latest state on the next `current.card.refresh()` and in the final card.
 *
 * Nothing here produces HTML: strings are shown as text, Markdown is sanitised by the viewer.
 */
import type { CardRenderable } from '../authoring/card-access.js';
import { previewValue, type PreviewOptions } from '../storage/preview.js';
import type { CardComponent, ImageMime, JsonValue, ValueBoxTheme } from './document.js';
import { heatmapPng } from './png.js';
import { jsonOf, tableOf, type TableData } from './component-data.js';

type Of<T extends CardComponent['type']> = Extract<CardComponent, { type: T }>;

/** The base of every component: anything with `render()` may be appended to a card. */
export abstract class CardComponentBase implements CardRenderable {
  abstract render(): CardComponent;
}

/** Markdown text (GitHub flavoured), rendered and sanitised by the viewer: no scripts, no event handlers. */
export class Markdown extends CardComponentBase {
  constructor(private text: string) {
    super();
  }
  update(text: string): this {
    this.text = text;
    return this;
  }
  render(): Of<'markdown'> {
    return { type: 'markdown', text: String(this.text) };
  }
}

export interface TableOptions {
  /** Column names, for rows given as arrays (default: none shown for arrays; the keys for objects). */
  headers?: string[];
  title?: string;
  /** Rows kept in the card (default 1000); the rest are counted and noted. */
  maxRows?: number;
}

/**
 * A table, from rows (arrays of cells; a cell may be another component), an array of objects (the
 * keys are the columns), an object of equally long column arrays, or a data frame (anything with
 * `columns` and `values`, like danfo.js; `columnNames()` and `objects()`, like Arquero; or
 * `toArray()` of rows, like Apache Arrow).
 */
export class Table extends CardComponentBase {
  private data: TableData;
  constructor(data: TableData, private readonly options: TableOptions = {}) {
    super();
    this.data = data;
  }
  /** A table of a data frame (the same as `new Table(frame)`). */
  static fromDataFrame(frame: object, options: TableOptions = {}): Table {
    return new Table(frame as TableData, options);
  }
  update(data: TableData): this {
    this.data = data;
    return this;
  }
  render(): Of<'table'> {
    const t = tableOf(this.data, this.options.headers, this.options.maxRows ?? 1000, (v) => (isRenderable(v) ? (v.render() as CardComponent) : undefined));
    return { type: 'table', headers: t.headers, rows: t.rows, ...(this.options.title ? { title: this.options.title } : {}), ...(t.truncated ? { rowCount: t.rowCount, truncated: true } : {}) };
  }
}

function isRenderable(v: unknown): v is CardRenderable {
  return typeof v === 'object' && v !== null && typeof (v as { render?: unknown }).render === 'function';
}

export interface ImageOptions {
  label?: string;
  /** For a heatmap: values per row (default: the square root of the length, rounded up; or the last dimension of `shape`). */
  width?: number;
  /** For a heatmap: the values shown darkest and brightest (default: the values' own range). */
  min?: number;
  max?: number;
}

const SVG_START = /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!doctype svg[^>]*>\s*)?<svg[\s/>]/i;

function bytesMime(bytes: Uint8Array): ImageMime | undefined {
  const b = bytes;
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return 'image/gif';
  if (SVG_START.test(Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, 1024)).toString('utf8'))) return 'image/svg+xml';
  return undefined;
}

/**
 * An image: PNG, JPEG, GIF or SVG bytes (a Buffer, Uint8Array or ArrayBuffer; SVG also as a
 * string), or a typed array of numbers drawn as a heatmap (one cell per value, viridis colours).
 * SVG is shown through `<img>`, where its scripts do not run.
 */
export class Image extends CardComponentBase {
  constructor(private readonly src: Uint8Array | ArrayBuffer | string | ArrayLike<number>, private readonly options: ImageOptions = {}) {
    super();
  }
  /** The heatmap of a grid of numbers given row by row (`width` values per row). */
  static heatmap(values: ArrayLike<number | bigint>, options: ImageOptions = {}): Image {
    return new Image(values as ArrayLike<number>, options);
  }
  render(): Of<'image'> {
    const label = this.options.label !== undefined ? { label: this.options.label } : {};
    const src = this.src;
    if (typeof src === 'string') {
      if (!SVG_START.test(src)) throw new TypeError('Image: a string must be SVG markup (starting with <svg>); pass PNG or JPEG images as bytes.');
      return { type: 'image', mime: 'image/svg+xml', base64: Buffer.from(src).toString('base64'), ...label };
    }
    const isBlob = src instanceof ArrayBuffer || Buffer.isBuffer(src) || (src instanceof Uint8Array && Object.getPrototypeOf(src) === Uint8Array.prototype);
    if (isBlob) {
      const bytes = src instanceof ArrayBuffer ? new Uint8Array(src) : (src as Uint8Array);
      const mime = bytesMime(bytes);
      if (!mime) {
        throw new TypeError('Image: these bytes are not a PNG, JPEG, GIF or SVG image. To draw numbers as a heatmap, pass a typed array such as Float64Array, or use Image.heatmap(values, { width }).');
      }
      return { type: 'image', mime, base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), ...label };
    }
    const values = src as ArrayLike<number>;
    if (typeof values.length !== 'number' || values.length === 0) throw new TypeError('Image: give image bytes, SVG text, or a non-empty array of numbers for a heatmap.');
    const shape = (src as { shape?: unknown }).shape;
    const width = this.options.width ?? (Array.isArray(shape) && typeof shape.at(-1) === 'number' ? (shape.at(-1) as number) : Math.ceil(Math.sqrt(values.length)));
    if (!Number.isInteger(width) || width < 1) throw new TypeError(`Image: width must be a whole number of at least 1; got ${JSON.stringify(width)}.`);
    const heat = heatmapPng(values, width, { ...(this.options.min !== undefined ? { min: this.options.min } : {}), ...(this.options.max !== undefined ? { max: this.options.max } : {}) });
    const height = Math.ceil(values.length / width);
    return {
      type: 'image',
      mime: 'image/png',
      base64: heat.png.toString('base64'),
      width,
      height,
      pixelated: true,
      label: this.options.label ?? `${width}×${height}, ${formatRange(heat.min)} to ${formatRange(heat.max)}`,
    };
  }
}

function formatRange(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}

/** A Vega-Lite (or Vega) chart, drawn by the bundled renderer; data is inlined in the spec. */
export class VegaChart extends CardComponentBase {
  constructor(private spec: object, private readonly options: { showControls?: boolean } = {}) {
    super();
  }
  update(spec: object): this {
    this.spec = spec;
    return this;
  }
  render(): Of<'vegaChart'> {
    const spec = jsonOf(this.spec, { strict: true, what: 'VegaChart spec' });
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new TypeError('VegaChart: the spec must be an object (a Vega-Lite specification).');
    return { type: 'vegaChart', spec, ...(this.options.showControls ? { showControls: true } : {}) };
  }
}

export interface ProgressBarOptions {
  max: number;
  value?: number;
  label?: string;
  unit?: string;
  details?: string;
}

/** A progress bar; `update(value)` and `current.card.refresh()` move it while the task runs. */
export class ProgressBar extends CardComponentBase {
  private o: ProgressBarOptions;
  constructor(options: ProgressBarOptions) {
    super();
    this.o = { ...options };
  }
  update(value: number, details?: string): this {
    this.o.value = value;
    if (details !== undefined) this.o.details = details;
    return this;
  }
  get value(): number {
    return this.o.value ?? 0;
  }
  render(): Of<'progressBar'> {
    const { max, value = 0, label, unit, details } = this.o;
    if (typeof max !== 'number' || !Number.isFinite(max) || max <= 0) throw new TypeError(`ProgressBar: max must be a positive number; got ${JSON.stringify(max)}.`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`ProgressBar: value must be a number; got ${JSON.stringify(value)}.`);
    return { type: 'progressBar', value, max, ...(label !== undefined ? { label } : {}), ...(unit !== undefined ? { unit } : {}), ...(details !== undefined ? { details } : {}) };
  }
}

export interface ValueBoxOptions {
  title: string;
  value: string | number;
  subtitle?: string;
  theme?: ValueBoxTheme;
  /** A change to show under the value, like `{ text: '+2%', direction: 'up' }`. */
  change?: { text: string; direction: 'up' | 'down' | 'none' };
}

/** One headline number or word, with a title; consecutive value boxes sit side by side. */
export class ValueBox extends CardComponentBase {
  private o: ValueBoxOptions;
  constructor(options: ValueBoxOptions) {
    super();
    this.o = { ...options };
  }
  update(changes: Partial<ValueBoxOptions>): this {
    this.o = { ...this.o, ...changes };
    return this;
  }
  render(): Of<'valueBox'> {
    const { title, value, subtitle, theme, change } = this.o;
    if (typeof value !== 'number' && typeof value !== 'string') throw new TypeError(`ValueBox: value must be a number or a string; got ${typeof value}.`);
    if (theme !== undefined && !['default', 'success', 'warning', 'danger'].includes(theme)) {
      throw new TypeError(`ValueBox: theme must be 'default', 'success', 'warning' or 'danger'; got ${JSON.stringify(theme)}.`);
    }
    return {
      type: 'valueBox',
      title: String(title),
      value,
      ...(subtitle !== undefined ? { subtitle: String(subtitle) } : {}),
      ...(theme ? { theme } : {}),
      ...(change ? { change: { text: String(change.text), direction: change.direction } } : {}),
    };
  }
}

/** Any JSON-like value as a collapsible tree (Dates, Maps, Sets, typed arrays and bigints are shown as JSON). */
export class JSONViewer extends CardComponentBase {
  constructor(private data: unknown, private readonly options: { collapsed?: boolean; maxHeight?: number } = {}) {
    super();
  }
  update(data: unknown): this {
    this.data = data;
    return this;
  }
  render(): Of<'json'> {
    const budget = { nodes: 5000, truncated: false };
    const data: JsonValue = jsonOf(this.data, { strict: false, what: 'JSONViewer data', budget });
    return {
      type: 'json',
      data,
      ...(this.options.collapsed ? { collapsed: true } : {}),
      ...(this.options.maxHeight ? { maxHeight: this.options.maxHeight } : {}),
      ...(budget.truncated ? { truncated: true } : {}),
    };
  }
}

/** A preview of any value, as the artifact listings show it: a table, a plot of numbers, an image, a tree. */
export class Artifact extends CardComponentBase {
  constructor(private readonly value: unknown, private readonly options: { name?: string; preview?: PreviewOptions } = {}) {
    super();
  }
  render(): Of<'artifact'> {
    return { type: 'artifact', ...(this.options.name !== undefined ? { name: this.options.name } : {}), preview: previewValue(this.value, this.options.preview) };
  }
}

/** Source code, highlighted (`language`: `typescript`, `python`, `json`, `sql`, `bash`, ...). */
export class Code extends CardComponentBase {
  constructor(private readonly code: string, private readonly options: { language?: string; title?: string; firstLine?: number } = {}) {
    super();
  }
  render(): Of<'code'> {
    const { language, title, firstLine } = this.options;
    return { type: 'code', code: String(this.code), ...(language ? { language } : {}), ...(title ? { title } : {}), ...(firstLine ? { firstLine } : {}) };
  }
}

/** An error: its type, message and stack (from an `Error`, or a message). */
export class ErrorComponent extends CardComponentBase {
  constructor(private readonly error: unknown, private readonly options: { title?: string } = {}) {
    super();
  }
  render(): Of<'error'> {
    const e = this.error;
    const title = this.options.title !== undefined ? { title: this.options.title } : {};
    if (e instanceof globalThis.Error) {
      return { type: 'error', errorType: e.name || 'Error', message: e.message, ...(e.stack ? { stack: e.stack } : {}), ...title };
    }
    return { type: 'error', errorType: 'Error', message: typeof e === 'string' ? e : String(jsonOf(e, { strict: false, what: 'Error' })), ...title };
  }
}

/** The render of a component, or, when it fails, an error component saying which one and why. */
export function renderComponent(c: unknown): { component: CardComponent; error?: globalThis.Error } {
  try {
    if (!isRenderable(c)) {
      throw new TypeError(`a card component must be one of cairn's components (Markdown, Table, ...) or have a render() method; got ${describe(c)}.`);
    }
    const out = c.render() as CardComponent;
    if (typeof out !== 'object' || out === null || typeof out.type !== 'string') throw new TypeError(`render() of ${describe(c)} did not return a card component (an object with a type).`);
    return { component: out };
  } catch (e) {
    const error = e instanceof globalThis.Error ? e : new globalThis.Error(String(e));
    return {
      component: { type: 'error', title: `This ${describe(c)} could not be drawn`, errorType: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) },
      error,
    };
  }
}

function describe(c: unknown): string {
  if (c === null) return 'null';
  if (typeof c === 'object') return (Object.getPrototypeOf(c) as { constructor?: { name?: string } } | null)?.constructor?.name || 'object';
  return typeof c;
}
