/**
 * How `dump` prints artifact values: readable, bounded, and large values summarised; names and
 * messages escaped, so that stored text cannot forge lines or reach the terminal as control
 * characters.
 */
import { inspect } from 'node:util';

/** Values whose stored size is above this many bytes are summarised (`dump --max-value-size`). */
export const DEFAULT_MAX_VALUE_SIZE = 1000;

/** A byte count for people: `812 B`, `1.5 kB`, `8.0 MB`, `1.2 GB` (powers of 1000). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** What `dump` shows instead of a large value: `<Float64Array, 8.0 MB>`. */
export function summarize(type: string, size: number): string {
  return `<${type}, ${formatSize(size)}>`;
}

/** A value as text: `util.inspect` without colours, nested up to 6 levels, long lists cut. */
export function renderValue(value: unknown): string {
  return inspect(value, { colors: false, depth: 6, maxArrayLength: 100, maxStringLength: 10_000, breakLength: 100 });
}

/** Text with control characters (newlines, escape sequences) written as JSON escapes. */
export function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f]/.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** `name: value`, with the lines of a value that spans several lines indented under the name. */
export function artifactLine(name: string, rendered: string): string {
  return `${safe(name)}: ${rendered.split('\n').join('\n  ')}`;
}

/** A table preview as text: `<arrow.Table, 3 rows x 2 columns, 1.2 kB>`, the schema, and the first rows in aligned columns. */
export function renderTable(
  p: { type: string; columns: Array<{ name: string; type: string }>; rows: Array<Array<string | number | boolean | null>>; rowCount: number },
  size: number,
): string {
  const head = `<${p.type}, ${p.rowCount} row${p.rowCount === 1 ? '' : 's'} x ${p.columns.length} column${p.columns.length === 1 ? '' : 's'}, ${formatSize(size)}>`;
  const schema = `schema: ${p.columns.map((c) => `${c.name}: ${c.type}`).join(', ')}`;
  if (p.rows.length === 0) return `${head}\n${schema}`;
  const text = (v: unknown) => (v === null ? 'null' : typeof v === 'string' ? v : String(v));
  const cells = [p.columns.map((c) => c.name), ...p.rows.map((r) => r.map(text))];
  const widths = p.columns.map((_, i) => Math.min(40, Math.max(...cells.map((r) => (r[i] ?? '').length))));
  const line = (r: string[]) => r.map((c, i) => (c.length > widths[i]! ? `${c.slice(0, widths[i]! - 1)}…` : c.padEnd(widths[i]!))).join(' | ').trimEnd();
  const more = p.rowCount > p.rows.length ? [`... ${p.rowCount - p.rows.length} more rows`] : [];
  return [head, schema, `first ${p.rows.length} row${p.rows.length === 1 ? '' : 's'}:`, ...cells.map(line), ...more].join('\n');
}
