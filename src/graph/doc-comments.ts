/** Doc comments of flow classes and step methods, read from the comment list of the parsed file. */
import type * as t from '@babel/types';

/** Removes the common leading indentation of the lines after the first, like Metaflow's docstrings. */
function dedent(lines: string[]): string[] {
  const indents = lines
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => /^[\t ]*/.exec(l)?.[0].length ?? 0);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l, i) => (i === 0 ? l.trim() : l.slice(cut).trimEnd()));
}

function trimBlankLines(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]?.trim() === '') start++;
  while (end > start && lines[end - 1]?.trim() === '') end--;
  return lines.slice(start, end);
}

function cleanBlock(value: string): string {
  const isJsDoc = value.startsWith('*');
  const lines = (isJsDoc ? value.slice(1) : value).split(/\r?\n/);
  const stripped = isJsDoc ? lines.map((l) => l.replace(/^[\t ]*\*(?: |$)?/, '')) : lines;
  return trimBlankLines(dedent(stripped)).join('\n');
}

function cleanLines(comments: t.Comment[]): string {
  return trimBlankLines(comments.map((c) => c.value.replace(/^ /, '').trimEnd())).join('\n');
}

function isJsDoc(c: t.Comment): boolean {
  return c.type === 'CommentBlock' && c.value.startsWith('*') && !c.value.startsWith('**');
}

export interface DocRange {
  /** Source offsets to search between. */
  from: number;
  to: number;
  /** Line where the documented declaration starts (decorators included). */
  anchorLine: number;
  /** Ranges to ignore (decorator arguments). */
  skip?: ReadonlyArray<readonly [number, number]>;
}

/**
 * The doc comment of a declaration: the last JSDoc block in the range, otherwise a run of line
 * comments ending on the line just above the declaration. Other block comments are not docs.
 */
export function docBetween(comments: readonly t.Comment[], range: DocRange): string | undefined {
  const skip = range.skip ?? [];
  const inside = comments.filter((c) => {
    const start = c.start ?? -1;
    const end = c.end ?? Number.POSITIVE_INFINITY;
    return start >= range.from && end <= range.to && !skip.some(([s, e]) => start >= s && end <= e);
  });
  const jsDoc = inside.filter(isJsDoc).at(-1);
  if (jsDoc !== undefined) return nonEmpty(cleanBlock(jsDoc.value));
  const last = inside.at(-1);
  if (last === undefined || last.type !== 'CommentLine') return undefined;
  if ((last.loc?.end.line ?? -1) < range.anchorLine - 1) return undefined;
  const run: t.Comment[] = [last];
  for (let i = inside.length - 2; i >= 0; i--) {
    const c = inside[i];
    const next = run[0];
    if (c === undefined || next === undefined || c.type !== 'CommentLine') break;
    if ((c.loc?.start.line ?? -1) !== (next.loc?.start.line ?? -2) - 1) break;
    run.unshift(c);
  }
  return nonEmpty(cleanLines(run));
}

function nonEmpty(s: string): string | undefined {
  return s === '' ? undefined : s;
}
