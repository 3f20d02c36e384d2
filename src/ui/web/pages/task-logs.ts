/**
 * A task attempt's stdout and stderr: ANSI colours as styled text spans, search, download, and a
 * live tail while the attempt runs (the log route read from the last offset, every half second).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import { formatNumber, formatTime } from '../../../cards/web/format.js';
import type { TaskLogResponse } from '../../api/task-types.js';
import { parseAnsi, stripAnsi, type AnsiSpan, type AnsiStyle } from '../ansi.js';
import { getJson } from '../data.js';

type Stream = 'stdout' | 'stderr';
const POLL_MS = 500;
/** Lines drawn at first (the last ones); more are drawn on request, so that a long output opens fast. */
const DRAWN = 1000;

interface Line {
  n: number;
  at: number | null;
  plain: string;
  spans: AnsiSpan[];
}

interface LogState {
  lines: Line[];
  partial: Line | null;
  /** The style the last complete line left on (for the next one). */
  style: AnsiStyle;
  /** Lines left out of the answers (only in the download). */
  skipped: number;
  /** Complete lines printed so far, skipped ones included. */
  count: number;
  finished: boolean;
  error: string | undefined;
}

const EMPTY: LogState = { lines: [], partial: null, style: {}, skipped: 0, count: 0, finished: false, error: undefined };

function lineOf(n: number, at: number | null, text: string, style: AnsiStyle): { line: Line; style: AnsiStyle } {
  const parsed = parseAnsi(text, style);
  return { line: { n, at, plain: stripAnsi(text), spans: parsed.spans }, style: parsed.style };
}

/** Appends an answer to what was read so far. */
function appended(prev: LogState, r: TaskLogResponse): LogState {
  let style = prev.style;
  const lines = prev.lines.slice();
  let n = prev.count + r.skipped + 1;
  for (const l of r.lines) {
    const got = lineOf(n++, l.at, l.text, style);
    lines.push(got.line);
    style = got.style;
  }
  const partial = r.partial ? lineOf(n, r.partial.at, r.partial.text, style).line : null;
  return { lines, partial, style, skipped: prev.skipped + r.skipped, count: n - 1, finished: r.finished, error: undefined };
}

function spanClass(s: AnsiStyle): string {
  const c: string[] = [];
  const fg = s.inverse ? s.bg ?? 'inv-fg' : s.fg;
  const bg = s.inverse ? s.fg ?? 'inv-bg' : s.bg;
  if (fg?.startsWith('c') || fg === 'inv-fg') c.push(`fg-${fg}`);
  if (bg?.startsWith('c') || bg === 'inv-bg') c.push(`bg-${bg}`);
  if (s.bold) c.push('a-bold');
  if (s.dim) c.push('a-dim');
  if (s.italic) c.push('a-italic');
  if (s.underline) c.push('a-under');
  if (s.strike) c.push('a-strike');
  return c.join(' ');
}

function spanStyle(s: AnsiStyle): Record<string, string> | undefined {
  const fg = s.inverse ? s.bg : s.fg;
  const bg = s.inverse ? s.fg : s.bg;
  const out: Record<string, string> = {};
  if (fg?.startsWith('rgb')) out.color = fg;
  if (bg?.startsWith('rgb')) out.backgroundColor = bg;
  return Object.keys(out).length ? out : undefined;
}

/** The text of a span, with each match of `needle` marked. */
function marked(text: string, needle: string): Array<string | VNode> {
  if (!needle) return [text];
  const out: Array<string | VNode> = [];
  const lower = text.toLowerCase();
  let i = 0;
  for (let j = lower.indexOf(needle); j >= 0; j = lower.indexOf(needle, i)) {
    if (j > i) out.push(text.slice(i, j));
    out.push(html`<mark>${text.slice(j, j + needle.length)}</mark>`);
    i = j + needle.length;
  }
  if (i < text.length) out.push(text.slice(i));
  return out;
}

function LogLine({ line, needle, partial }: { line: Line; needle: string; partial?: boolean }): VNode {
  return html`<div class=${partial ? 'log-line partial' : 'log-line'} data-n=${line.n}>
    <span class="log-n" title=${line.at === null ? '' : formatTime(line.at)}>${line.n}</span>
    <span class="log-text">${line.spans.map((s) => html`<span class=${spanClass(s.style)} style=${spanStyle(s.style)}>${marked(s.text, needle)}</span>`)}</span>
  </div>`;
}

function useLog(url: string, attempt: number): LogState {
  const [state, setState] = useState<LogState>(EMPTY);
  useEffect(() => {
    let next = 0;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ctl = new AbortController();
    setState(EMPTY);
    const read = async (): Promise<void> => {
      try {
        const r = await getJson<TaskLogResponse>(`${url}?attempt=${attempt}&from=${next}`, ctl.signal);
        if (stopped) return;
        next = r.next;
        setState((prev) => appended(prev, r));
        if (!r.finished) timer = setTimeout(read, POLL_MS);
      } catch (e) {
        if (stopped || (e as Error).name === 'AbortError') return;
        setState((prev) => ({ ...prev, error: (e as Error).message }));
        timer = setTimeout(read, POLL_MS * 4);
      }
    };
    void read();
    return () => {
      stopped = true;
      ctl.abort();
      clearTimeout(timer);
    };
  }, [url, attempt]);
  return state;
}

function LogView({ url, attempt, stream, needle }: { url: string; attempt: number; stream: Stream; needle: string }): VNode {
  const log = useLog(url, attempt);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const [drawn, setDrawn] = useState(DRAWN);
  const matching = useMemo(() => (needle ? log.lines.filter((l) => l.plain.toLowerCase().includes(needle)) : log.lines), [log.lines, needle]);
  const shown = matching.length > drawn ? matching.slice(-drawn) : matching;
  const hidden = matching.length - shown.length;
  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [shown, log.partial]);
  const onScroll = () => {
    const el = box.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
  };
  const total = log.lines.length + (log.partial ? 1 : 0);
  const live = !log.finished;
  return html`<div class="log" data-stream=${stream}>
    <div class="log-status">
      ${live ? html`<span class="live-pill"><span class="pulse"></span>following</span>` : null}
      <span class="muted small">${needle ? `${formatNumber(matching.length)} of ${formatNumber(log.lines.length)} lines match` : `${formatNumber(log.count + (log.partial ? 1 : 0))} lines`}</span>
      ${log.skipped > 0 ? html`<span class="muted small">(${formatNumber(log.skipped)} not shown here are in the download)</span>` : null}
      ${log.error ? html`<span class="bad small">${log.error}</span>` : null}
    </div>
    <div class="log-box" ref=${box} onScroll=${onScroll}>
      ${hidden > 0
        ? html`<button type="button" class="log-more" onClick=${() => setDrawn(drawn + 4 * DRAWN)}>Show ${formatNumber(Math.min(hidden, 4 * DRAWN))} earlier line${hidden === 1 ? '' : 's'} (${formatNumber(hidden)} not drawn)</button>`
        : null}
      ${total === 0 ? html`<div class="log-empty">${live ? 'Nothing printed yet.' : `Nothing was printed on ${stream}.`}</div>` : null}
      ${shown.map((l) => html`<${LogLine} key=${l.n} line=${l} needle=${needle} />`)}
      ${log.partial && (!needle || log.partial.plain.toLowerCase().includes(needle)) ? html`<${LogLine} line=${log.partial} needle=${needle} partial=${true} />` : null}
    </div>
  </div>`;
}

export function LogPanel({ base, attempt }: { base: string; attempt: number }): VNode {
  const [stream, setStream] = useState<Stream>('stdout');
  const [search, setSearch] = useState('');
  const url = `${base}/logs/${stream}`;
  const needle = search.trim().toLowerCase();
  return html`<section class="panel logs">
    <h2>Output</h2>
    <div class="log-bar">
      <div class="seg" role="tablist">
        ${(['stdout', 'stderr'] as const).map((s) => html`<button type="button" role="tab" aria-selected=${s === stream} class=${s === stream ? 'btn on' : 'btn'} onClick=${() => setStream(s)}>${s}</button>`)}
      </div>
      <input type="search" class="log-search" placeholder="Search the output" aria-label="Search the output" value=${search} onInput=${(e: Event) => setSearch((e.target as HTMLInputElement).value)} />
      <a class="btn" href=${`${url}/download?attempt=${attempt}`} download>Download ${stream}</a>
    </div>
    <${LogView} key=${`${stream}/${attempt}`} url=${url} attempt=${attempt} stream=${stream} needle=${needle} />
  </section>`;
}
