/**
 * A card as one HTML file: the viewer bundle, its styles and the card document inlined, so that it
 * opens offline, anywhere, and keeps working when the store is gone. The chart renderer is inlined
 * only when the card holds a chart (it is most of the size).
 *
 * The page carries a strict Content-Security-Policy: only the inlined scripts run (allowed by
 * their hashes), nothing is fetched (no `connect-src`, images only from `data:`), no plugins, no
 * forms, no base URL. So even a value that slipped past the viewer's escaping could not run code.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CairnError } from '../errors.js';
import type { CardComponent, CardDocument } from './document.js';

export interface ViewerAssets {
  /** The viewer (`viewer.js`): renders a card document. */
  viewer: string;
  /** Its styles (`viewer.css`). */
  css: string;
  /** The chart renderer (`vega.js`): installs `window.cairnVega`; needed only by cards with charts. */
  vega: string;
}

/** Where the built viewer lives: next to this module in `dist/cards/`, or in `dist/cards/` from `src/cards/`. */
export function viewerAssetsDir(): string {
  const here = fileURLToPath(new URL('./', import.meta.url));
  if (existsSync(`${here}viewer.js`)) return here;
  return fileURLToPath(new URL('../../dist/cards/', import.meta.url));
}

let cached: ViewerAssets | undefined;

/** The viewer's files, read once per process. */
export function viewerAssets(): ViewerAssets {
  if (cached) return cached;
  const dir = viewerAssetsDir();
  const read = (name: string): string => {
    try {
      return readFileSync(`${dir}${name}`, 'utf8');
    } catch (e) {
      throw new CairnError('INTERNAL', `The card viewer's ${name} is missing from ${dir}: build cairn first (npm run build).`, { cause: e });
    }
  };
  cached = { viewer: read('viewer.js'), css: read('viewer.css'), vega: read('vega.js') };
  return cached;
}

/** Whether any component of the card (at any depth) is a chart. */
export function hasChart(components: readonly CardComponent[]): boolean {
  for (const c of components) {
    if (c?.type === 'vegaChart') return true;
    if (c?.type === 'section' && hasChart(c.components)) return true;
    if (c?.type === 'table' && c.rows.some((r) => r.some((cell) => typeof cell === 'object' && cell !== null && hasChart([cell])))) return true;
  }
  return false;
}

/** Script text that cannot end its `<script>` element early. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** The document as the text of a `<script type="application/json">` element. */
function inlineJson(doc: CardDocument): string {
  return JSON.stringify(doc).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface CardHtmlOptions {
  /**
   * For a card shown in a frame of another page (the web UI): the viewer also takes updated
   * documents that the parent window posts (`{ type: 'cairn-card', document }`) and reports its
   * height (see `viewer.ts`). Default false.
   */
  listen?: boolean;
  /** Inline the chart renderer even if this document has no chart (a live card may add one). */
  charts?: boolean;
}

/** The Content-Security-Policy of a card page whose scripts are `scripts` (inlined). */
export function cardPageCsp(scripts: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The card as a self-contained HTML page (see the module comment). */
export function cardFileHtml(doc: CardDocument, options: CardHtmlOptions = {}): string {
  const assets = viewerAssets();
  const scripts = [...(options.charts || hasChart(doc.components ?? []) ? [assets.vega] : []), assets.viewer].map(inlineScript);
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeText(cardPageCsp(scripts))}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeText(`${doc.title ?? doc.id} · cairn card`)}</title>`,
    `<style>${assets.css.replace(/<\/(style)/gi, '<\\/$1')}</style>`,
    '</head>',
    `<body${options.listen ? ' data-cairn-listen' : ''}>`,
    '<div id="cairn-card"></div>',
    `<script type="application/json" id="cairn-card-data">${inlineJson(doc)}</script>`,
    ...scripts.map((s) => `<script>${s}</script>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
