/**
 * The progress view's frame: a header, then one line per step in graph order with its counts, a
 * bar and its elapsed time, every line cut to fit the terminal's width. Pure: state in, lines out.
 */

/** What is known about the tasks of one step. */
export interface StepProgress {
  name: string;
  /** Tasks announced so far (a foreach announces its splits as it runs). */
  planned: number;
  running: number;
  /** Failed attempts waiting for their retry or fallback. */
  retrying: number;
  done: number;
  /** Tasks reused instead of run: cloned by resume, or step-cache hits (`cached` of them). */
  cloned: number;
  cached: number;
  failed: number;
  /** Tasks killed because another task failed or the run was interrupted. */
  killed: number;
  /** When its first task started (or was cloned), and when its latest one ended. */
  firstStart?: number;
  lastEnd?: number;
}

export type FrameStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

export interface FrameInput {
  /** `Flow/runId`. */
  title: string;
  status: FrameStatus;
  elapsedMs: number;
  /** In graph order. */
  steps: readonly StepProgress[];
  now: number;
  columns: number;
  /** Most lines the frame may take; steps that do not fit are summed up in one line. */
  maxLines?: number;
  color: boolean;
}

type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow';
interface Segment {
  text: string;
  style?: Style;
}

const SGR: Record<Style, [string, string]> = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  green: ['\x1b[32m', '\x1b[39m'],
  red: ['\x1b[31m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
};

const NAME_WIDTH = 24;

export function newStepProgress(name: string): StepProgress {
  return { name, planned: 0, running: 0, retrying: 0, done: 0, cloned: 0, cached: 0, failed: 0, killed: 0 };
}

/** `0.4s`, `12s`, `4m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Tasks that ended for good. */
function ended(s: StepProgress): number {
  return s.done + s.cloned + s.failed + s.killed;
}

function stepElapsed(s: StepProgress, input: FrameInput): string {
  if (s.firstStart === undefined) return '';
  const open = input.status === 'running' && ended(s) < s.planned;
  return formatDuration((open ? input.now : (s.lastEnd ?? input.now)) - s.firstStart);
}

/** Cells of the bar: complete, failed, running, the rest. */
function bar(s: StepProgress, width: number): Segment[] {
  if (width <= 0) return [];
  const total = Math.max(s.planned, 1);
  const complete = Math.floor((width * (s.done + s.cloned)) / total);
  const bad = s.failed + s.killed > 0 ? Math.max(1, Math.floor((width * (s.failed + s.killed)) / total)) : 0;
  const failedCells = Math.min(bad, width - complete);
  const busy = s.running > 0 ? Math.max(1, Math.round((width * s.running) / total)) : 0;
  const runningCells = Math.min(busy, width - complete - failedCells);
  return [
    { text: '█'.repeat(complete), style: 'green' },
    { text: 'X'.repeat(failedCells), style: 'red' },
    { text: '▒'.repeat(runningCells), style: 'yellow' },
    { text: '░'.repeat(width - complete - failedCells - runningCells), style: 'dim' },
  ];
}

function details(s: StepProgress, final: boolean): Segment[] {
  const parts: Segment[] = [];
  if (s.running) parts.push({ text: `${s.running} running`, style: 'yellow' });
  if (s.retrying) parts.push({ text: `${s.retrying} retrying`, style: 'yellow' });
  if (s.failed) parts.push({ text: `${s.failed} failed`, style: 'red' });
  if (s.killed) parts.push({ text: `${s.killed} killed`, style: 'red' });
  if (s.cached) parts.push({ text: `${s.cached} cache ${s.cached === 1 ? 'hit' : 'hits'}`, style: 'green' });
  if (s.cloned > s.cached) parts.push({ text: `${s.cloned - s.cached} cloned`, style: 'dim' });
  if (final && s.planned === 0) parts.push({ text: 'not run', style: 'dim' });
  return parts.flatMap((p, i) => (i === 0 ? [p] : [{ text: ', ' }, p]));
}

function counts(s: StepProgress): string {
  return s.planned === 0 ? '-' : `${s.done + s.cloned}/${s.planned}`;
}

function barWidth(columns: number): number {
  if (columns >= 100) return 30;
  if (columns >= 72) return 20;
  if (columns >= 50) return 10;
  return 0;
}

function header(input: FrameInput): Segment[] {
  const planned = input.steps.reduce((n, s) => n + s.planned, 0);
  const complete = input.steps.reduce((n, s) => n + s.done + s.cloned, 0);
  const time = formatDuration(input.elapsedMs);
  const status: Segment =
    input.status === 'running'
      ? { text: `running ${time}`, style: 'yellow' }
      : input.status === 'succeeded'
        ? { text: `succeeded in ${time}`, style: 'green' }
        : { text: `${input.status} after ${time}`, style: 'red' };
  return [{ text: input.title, style: 'bold' }, { text: '  ' }, status, { text: `  ${complete}/${planned} tasks done` }];
}

/** The steps to show when not all fit: busy and failed ones first, then the rest, in graph order. */
function pick(steps: readonly StepProgress[], room: number): Set<StepProgress> {
  const rank = (s: StepProgress): number => (s.running + s.retrying > 0 || (s.firstStart !== undefined && ended(s) < s.planned) ? 0 : s.failed + s.killed > 0 ? 1 : 2);
  const order = steps.map((s, i) => ({ s, i })).sort((a, b) => rank(a.s) - rank(b.s) || a.i - b.i);
  return new Set(order.slice(0, room).map((o) => o.s));
}

/** The frame's lines, each narrower than `columns` (ANSI colours included when `color`). */
export function renderFrame(input: FrameInput): string[] {
  const final = input.status !== 'running';
  const width = Math.max(1, input.columns - 1);
  let steps = input.steps;
  let hidden: StepProgress[] = [];
  if (input.maxLines !== undefined && steps.length + 1 > input.maxLines) {
    const shown = pick(steps, Math.max(0, input.maxLines - 2));
    hidden = steps.filter((s) => !shown.has(s));
    steps = steps.filter((s) => shown.has(s));
  }
  const nameWidth = Math.min(NAME_WIDTH, Math.max(8, Math.floor(input.columns / 4)), Math.max(0, ...input.steps.map((s) => s.name.length)));
  const countWidth = Math.max(0, ...input.steps.map((s) => counts(s).length));
  const bw = barWidth(input.columns);
  const lines = [header(input)];
  for (const s of steps) {
    const name = s.name.length > nameWidth ? `${s.name.slice(0, nameWidth - 1)}…` : s.name.padEnd(nameWidth);
    const extra = details(s, final);
    const elapsed = stepElapsed(s, input);
    lines.push([
      { text: `  ${name}  ` },
      ...bar(s, bw),
      { text: `${bw ? '  ' : ''}${counts(s).padStart(countWidth)}` },
      ...(elapsed || extra.length ? [{ text: '  ' }, { text: elapsed.padStart(6), style: 'dim' as const }] : []),
      ...(extra.length ? [{ text: '  ' }, ...extra] : []),
    ]);
  }
  if (hidden.length) {
    const complete = hidden.filter((s) => s.planned > 0 && ended(s) === s.planned).length;
    const waiting = hidden.filter((s) => s.firstStart === undefined).length;
    lines.push([{ text: `  … ${hidden.length} more steps (${complete} complete, ${waiting} not started)`, style: 'dim' }]);
  }
  return lines.map((l) => paint(fit(l, width), input.color));
}

/** Cuts segments to `width` characters, ending with `…` when something was cut. */
export function fit(segments: Segment[], width: number): Segment[] {
  const total = segments.reduce((n, s) => n + [...s.text].length, 0);
  if (total <= width) return segments;
  const out: Segment[] = [];
  let left = width - 1;
  for (const s of segments) {
    const chars = [...s.text];
    if (chars.length <= left) {
      out.push(s);
      left -= chars.length;
      continue;
    }
    out.push({ ...s, text: chars.slice(0, left).join('') });
    break;
  }
  out.push({ text: '…' });
  return out;
}

function paint(segments: Segment[], color: boolean): string {
  return segments.map((s) => (color && s.style && s.text ? `${SGR[s.style][0]}${s.text}${SGR[s.style][1]}` : s.text)).join('');
}
