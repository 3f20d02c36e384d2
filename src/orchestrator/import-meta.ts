/**
 * A run executes a compiled copy of the flow (one module under `node_modules/.cache/cairn/`), so
 * `import.meta` would describe that copy. Each source file's `import.meta` is rewritten, while
 * compiling, to an object that describes the source file itself: `url`, `filename`, `dirname`, and
 * a `resolve` that resolves relative specifiers against the source file. A flow can then find the
 * files next to it (`new URL('./data.csv', import.meta.url)`).
 *
 * `import.meta` becomes `__cairnIM()`, which has the same length, so no line or column moves; the
 * function is appended at the end of the file (function declarations are hoisted, so it works
 * anywhere in the module).
 */
import { babelParse } from '../graph/babel.js';
import type * as t from '@babel/types';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

const CALL = '__cairnIM()';

function metaRanges(source: string, file: string): Array<[number, number]> {
  let ast: t.File;
  try {
    ast = babelParse(source, {
      sourceType: 'module',
      sourceFilename: file,
      errorRecovery: true,
      plugins: [
        ...(/\.[cm]?tsx?$/.test(file) ? (['typescript'] as const) : []),
        ...(/x$/.test(file) ? (['jsx'] as const) : []),
        ['decorators', { allowCallParenthesized: true }],
      ],
    });
  } catch {
    return []; // esbuild reports the syntax error itself, with its location
  }
  const ranges: Array<[number, number]> = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (typeof node !== 'object' || node === null || typeof (node as { type?: unknown }).type !== 'string') return;
    const n = node as t.Node;
    if (n.type === 'MetaProperty' && n.meta.name === 'import' && n.property.name === 'meta') {
      ranges.push([n.start ?? 0, n.end ?? 0]);
      return;
    }
    for (const [key, value] of Object.entries(n)) {
      if (key === 'loc' || key === 'leadingComments' || key === 'trailingComments' || key === 'innerComments' || key === 'extra') continue;
      if (typeof value === 'object' && value !== null) visit(value);
    }
  };
  visit(ast.program);
  return ranges;
}

/** The source with `import.meta` describing `file`, or undefined when it does not use `import.meta`. */
export function rewriteImportMeta(source: string, file: string): string | undefined {
  if (!source.includes('import.meta')) return undefined;
  const ranges = metaRanges(source, file).sort((a, b) => a[0] - b[0]);
  if (ranges.length === 0) return undefined;
  let out = '';
  let at = 0;
  for (const [from, to] of ranges) {
    out += source.slice(at, from) + CALL;
    at = to;
  }
  out += source.slice(at);
  const url = pathToFileURL(file).href;
  const meta =
    `{ url: ${JSON.stringify(url)}, filename: ${JSON.stringify(file)}, dirname: ${JSON.stringify(dirname(file))}, ` +
    `resolve: (s, p) => /^(\\.{0,2}\\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(s) ? new URL(s, ${JSON.stringify(url)}).href : import.meta.resolve(s, p) }`;
  return `${out}\n;function __cairnIM() { return (__cairnIM.m ??= Object.freeze(${meta})); }\n`;
}
