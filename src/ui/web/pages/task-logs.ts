/**
 * A task attempt's stdout and stderr: ANSI colours as styled text spans, search, download, and a
 * live tail while the attempt runs (the output's event stream, `…/logs/events`: lines as they are
 * stored, going on from the last offsets read when it reconnects).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import { formatNumber, formatTime } from '../../../cards/web/format.js';
import type { TaskLogEvent } from '../../api/task-types.js';
import { parseAnsi, stripAnsi, type AnsiSpan, type AnsiStyle } from '../ansi.js';

type Stream = 'stdout' | 'stderr';
/** How long to wait before opening the stream again when the browser gave up on it. */
const RETRY_MS = 2000;
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

/** Appends an event's lines to what was read so far. */
function appended(prev: LogState, r: TaskLogEvent): LogState {
  let style = prev.style;
  const lines = prev.lines.slice();
  let n = prev.count + r.skipped + 1;
  for (const l of r.lines) {
    const got = lineOf(n++, l.at, l.text, style);
    lines.push(got.line);
    style = got.style;
  }
  const partial = r.partial ? lineOf(n, r.partial.at, r.partial.text, style).line : null;
  return { lines, partial, style, skipped: prev.skipped + r.skipped, count: n - 1, finished: false, error: undefined };
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

/** Follows one stream of an attempt's output; `onEnd` is called once the attempt is over and all of it was read. */
function useLog(base: string, stream: Stream, attempt: number, onEnd?: () => void): LogState {
  const [state, setState] = useState<LogState>(EMPTY);
  const ended = useRef(onEnd);
  ended.current = onEnd;
  useEffect(() => {
    let from = '0.0';
    let es: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState(EMPTY);
    const open = (): void => {
      es = new EventSource(`${base}/logs/events?stream=${stream}&attempt=${attempt}&from=${from}`);
      es.addEventListener('lines', (e) => {
        const m = e as MessageEvent<string>;
        if (m.lastEventId) from = m.lastEventId;
        setState((prev) => appended(prev, JSON.parse(m.data) as TaskLogEvent));
      });
      es.addEventListener('end', () => {
        es?.close();
        setState((prev) => ({ ...prev, finished: true, error: undefined }));
        ended.current?.();
      });
      es.addEventListener('error', () => {
        // The browser reconnects by itself (sending the last event id) unless it gave up: then open a new stream from there.
        if (es?.readyState !== EventSource.CLOSED) return setState((prev) => (prev.error ? prev : { ...prev, error: 'The output stream was interrupted: reconnecting…' }));
        setState((prev) => ({ ...prev, error: 'The output stream could not be read: trying again…' }));
        timer = setTimeout(open, RETRY_MS);
      });
    };
    open();
    return () => {
      es?.close();
      clearTimeout(timer);
    };
  }, [base, stream, attempt]);
  return state;
}

function LogView({ base, attempt, stream, needle, onEnd }: { base: string; attempt: number; stream: Stream; needle: string; onEnd?: () => void }): VNode {
  const log = useLog(base, stream, attempt, onEnd);
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

/** `onEnd`: called when the shown attempt is over (its output stream ended). */
export function LogPanel({ base, attempt, onEnd }: { base: string; attempt: number; onEnd?: () => void }): VNode {
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
    <${LogView} key=${`${stream}/${attempt}`} base=${base} attempt=${attempt} stream=${stream} needle=${needle} onEnd=${onEnd} />
  </section>`;
}
