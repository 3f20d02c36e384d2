/**
 * ANSI colours in task output, as plain data: a line is split into spans of text, each with the
 * colours and weights that the SGR codes before it chose (`ESC[31m`, `ESC[1;38;5;208m`,
 * `ESC[38;2;R;G;Bm`...). Every other escape sequence (cursor moves, erasing, titles, hyperlinks)
 * is dropped. The text of a span is only ever rendered as text; colours are class names for the 16
 * standard colours and `rgb()` values built from numbers for the others.
 */

export interface AnsiStyle {
  /** `c0`–`c15` (a class), or an `rgb(r, g, b)` value. */
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
  strike?: boolean;
}

export interface AnsiSpan {
  text: string;
  style: AnsiStyle;
}

// CSI (ESC [ params final), OSC (ESC ] ... BEL or ESC \), and two-character escapes.
const ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

/** The xterm 256-colour palette beyond the first 16: a 6×6×6 cube, then 24 greys. */
function color256(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n < 16) return `c${n}`;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return `rgb(${v}, ${v}, ${v})`;
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return `rgb(${level(Math.floor(i / 36))}, ${level(Math.floor(i / 6) % 6)}, ${level(i % 6)})`;
}

function byte(v: number | undefined): number | undefined {
  return v !== undefined && Number.isInteger(v) && v >= 0 && v <= 255 ? v : undefined;
}

/** Applies the SGR parameters `codes` to `style` (a new object). */
function applySgr(style: AnsiStyle, codes: number[]): AnsiStyle {
  const s: AnsiStyle = { ...style };
  if (codes.length === 0) codes = [0];
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) for (const k of Object.keys(s)) delete s[k as keyof AnsiStyle];
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 9) s.strike = true;
    else if (c === 22) (delete s.bold, delete s.dim);
    else if (c === 23) delete s.italic;
    else if (c === 24) delete s.underline;
    else if (c === 27) delete s.inverse;
    else if (c === 29) delete s.strike;
    else if (c >= 30 && c <= 37) s.fg = `c${c - 30}`;
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = `c${c - 40}`;
    else if (c === 49) delete s.bg;
    else if (c >= 90 && c <= 97) s.fg = `c${c - 90 + 8}`;
    else if (c >= 100 && c <= 107) s.bg = `c${c - 100 + 8}`;
    else if (c === 38 || c === 48) {
      const key = c === 38 ? 'fg' : 'bg';
      let value: string | undefined;
      if (codes[i + 1] === 5) {
        value = color256(codes[i + 2] ?? -1);
        i += 2;
      } else if (codes[i + 1] === 2) {
        const [r, g, b] = [byte(codes[i + 2]), byte(codes[i + 3]), byte(codes[i + 4])];
        if (r !== undefined && g !== undefined && b !== undefined) value = `rgb(${r}, ${g}, ${b})`;
        i += 4;
      }
      if (value) s[key] = value;
    }
  }
  return s;
}

/**
 * Splits one line into styled spans, starting from `style` (what the previous line left on), and
 * returns the style that the line leaves on for the next one.
 */
export function parseAnsi(line: string, style: AnsiStyle = {}): { spans: AnsiSpan[]; style: AnsiStyle } {
  const spans: AnsiSpan[] = [];
  let current = style;
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    const prev = spans.at(-1);
    if (prev && prev.style === current) prev.text += text;
    else spans.push({ text, style: current });
  };
  for (const m of line.matchAll(ESCAPES)) {
    push(line.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === 'm' && !m[1]!.startsWith('?')) {
      current = applySgr(current, m[1] === '' ? [] : m[1]!.split(/[;:]/).map((x) => (x === '' ? 0 : Number(x))));
    }
  }
  push(line.slice(last));
  // Other control characters (a lone ESC already went above) are shown as nothing, except tabs.
  for (const s of spans) s.text = s.text.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return { spans: spans.filter((s) => s.text !== ''), style: current };
}

/** The line without its escape sequences: what search matches and what is copied. */
export function stripAnsi(line: string): string {
  return line.replace(ESCAPES, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}
