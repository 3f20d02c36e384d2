/**
 * How `cairn diff` prints a `RunDiff`: the differences only (a line per step, then the tasks and
 * artifacts that changed), with `~` changed, `+` added (only in the second run), `-` removed (only
 * in the first). Names and values are printed escaped, so a value cannot forge lines or reach the
 * terminal as control characters.
 */
import type { ArtifactDiff, ColumnDiff, Delta, NumberStatsDiff, ParameterDiff, RunDiff, StepDiff, TaskDiff, ValueDiff } from '../../client/index.js';
import { formatSize, safe } from './values.js';

const MARK = { same: ' ', changed: '~', added: '+', removed: '-' } as const;
const VALUE_CHARS = 80;


/** A value as one short line of JSON. */
function valueText(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS)}…` : text;
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function durations(d: { a?: number; b?: number }): string {
  return `${seconds(d.a)} -> ${seconds(d.b)}`;
}

function num(n: number): string {
  if (Number.isInteger(n)) return String(n);
  const abs = Math.abs(n);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? n.toExponential(3) : String(Number(n.toPrecision(6)));
}

function signed(n: number): string {
  return n >= 0 ? `+${num(n)}` : num(n);
}

function deltaText(name: string, d: Delta | undefined): string | undefined {
  if (!d) return undefined;
  return d.delta === 0 ? `${name} ${num(d.a)}` : `${name} ${num(d.a)} -> ${num(d.b)} (${signed(d.delta)})`;
}

function statsText(s: NumberStatsDiff): string[] {
  return [deltaText('min', s.min), deltaText('max', s.max), deltaText('mean', s.mean)].filter((x): x is string => x !== undefined);
}

function lengthText(what: string, n: { a: number; b: number }): string {
  return n.a === n.b ? `${n.a} ${what}` : `${n.a} -> ${n.b} ${what}`;
}

function columnText(c: ColumnDiff): string {
  const type = c.type.a === c.type.b || c.type.b === undefined ? (c.type.a ?? '') : c.type.a === undefined ? c.type.b : `${c.type.a} -> ${c.type.b}`;
  const parts = [`${c.status === 'unknown' ? '?' : MARK[c.status]} ${safe(c.name)} (${safe(type)})`];
  if (c.changed !== undefined && c.changed > 0) parts.push(`${plural(c.changed, 'row')} changed`);
  parts.push(...statsText(c));
  return parts.join(', ');
}

/** The lines under an artifact that say how its values differ. */
export function detailLines(d: ValueDiff): string[] {
  if (d.kind === 'json') {
    const lines = d.changes.map((c) => {
      const path = safe(c.path) || '(value)';
      if (c.status === 'added') return `${path}: added ${valueText(c.b)}`;
      if (c.status === 'removed') return `${path}: removed ${valueText(c.a)}`;
      return `${path}: ${valueText(c.a)} -> ${valueText(c.b)}`;
    });
    if (d.truncated) lines.push('... more changes not listed');
    return lines;
  }
  if (d.kind === 'numbers') {
    const parts = [lengthText('elements', d.length)];
    if (d.changed !== undefined) parts.push(`${d.changed} changed`);
    if (d.maxAbsDelta !== undefined && d.changed) parts.push(`largest change ${num(d.maxAbsDelta)}`);
    return [[...parts, ...statsText(d)].join(', ')];
  }
  const head = [lengthText('rows', d.rows)];
  if (d.changedRows !== undefined) head.push(`${d.changedRows} changed`);
  const cols = d.columns.filter((c) => c.status !== 'same');
  return [head.join(', '), ...cols.map(columnText)];
}

function sideText(a: ArtifactDiff): string {
  if (a.status === 'added') return `${safe(a.b!.type)}, ${formatSize(a.b!.size)}`;
  if (a.status === 'removed') return `${safe(a.a!.type)}, ${formatSize(a.a!.size)}`;
  const type = a.a!.type === a.b!.type ? safe(a.a!.type) : `${safe(a.a!.type)} -> ${safe(a.b!.type)}`;
  return `${type}, ${formatSize(a.a!.size)} -> ${formatSize(a.b!.size)}`;
}

function artifactLines(a: ArtifactDiff, indent: string): string[] {
  const lines = [`${indent}${MARK[a.status]} ${safe(a.name)} (${sideText(a)})`];
  if (a.detail) lines.push(...detailLines(a.detail).map((l) => `${indent}    ${l}`));
  else if (a.note) lines.push(`${indent}    ${safe(a.note)}`);
  return lines;
}

function taskLines(t: TaskDiff): string[] {
  const where = t.place ? `[${t.place}] ` : '';
  const ids = t.status === 'added' ? `only in the second run: ${t.task.b}` : t.status === 'removed' ? `only in the first run: ${t.task.a}` : `${t.task.a} -> ${t.task.b}`;
  const state = t.state.a !== t.state.b && t.state.a && t.state.b ? ` (${t.state.a} -> ${t.state.b})` : '';
  const lines = [`    ${MARK[t.status]} ${where}${safe(ids)}${state}`];
  if (t.status === 'changed') for (const a of t.artifacts.filter((x) => x.status !== 'same')) lines.push(...artifactLines(a, '        '));
  return lines;
}

function stepLines(s: StepDiff): string[] {
  const changed = s.tasks.filter((t) => t.status !== 'same').length;
  const what = s.status === 'added' ? 'only in the second run' : s.status === 'removed' ? 'only in the first run' : s.status;
  const count = s.status === 'changed' && s.tasks.length > 1 ? `, ${changed} of ${s.tasks.length} tasks differ` : '';
  const lines = [`  ${MARK[s.status]} ${safe(s.step)} (${what}${count}; ${durations(s.durationMs)})`];
  if (s.status !== 'changed') return lines;
  if (s.tasks.length === 1 && s.tasks[0]!.status === 'changed' && s.tasks[0]!.state.a === s.tasks[0]!.state.b) {
    for (const a of s.tasks[0]!.artifacts.filter((x) => x.status !== 'same')) lines.push(...artifactLines(a, '    '));
    return lines;
  }
  for (const t of s.tasks.filter((x) => x.status !== 'same')) lines.push(...taskLines(t));
  return lines;
}

function parameterLine(p: ParameterDiff): string {
  const name = safe(p.name);
  if (p.status === 'added') return `  + ${name}: ${valueText(p.b)}`;
  if (p.status === 'removed') return `  - ${name}: ${valueText(p.a)}`;
  if (p.status === 'same') return `    ${name}: ${valueText(p.a)}`;
  return `  ~ ${name}: ${valueText(p.a)} -> ${valueText(p.b)}`;
}

/** The whole text of `cairn diff`. */
export function diffText(d: RunDiff): string {
  const lines = [`Comparing ${d.a} with ${d.b}`];
  if (d.parameters.length) lines.push('', 'Parameters:', ...d.parameters.map(parameterLine));
  lines.push('', 'Steps (durations first run -> second run):');
  for (const s of d.steps) lines.push(...stepLines(s));
  lines.push('', summary(d));
  return `${lines.join('\n')}\n`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summary(d: RunDiff): string {
  if (d.equal) return 'The runs are equal: same parameters, same tasks, same artifacts.';
  const params = d.parameters.filter((p) => p.status !== 'same').length;
  const steps = d.steps.filter((s) => s.status !== 'same').length;
  const artifacts = d.steps.reduce((n, s) => n + s.tasks.reduce((m, t) => m + t.artifacts.filter((a) => a.status !== 'same').length, 0), 0);
  const parts = [params && plural(params, 'parameter'), steps && plural(steps, 'step'), artifacts && plural(artifacts, 'artifact')].filter(Boolean);
  return `The runs differ: ${parts.join(', ')}.`;
}
