/** Artifact previews (`ArtifactPreview`, as `previewValue` makes them) and the default card's artifact list. */
import type { ArtifactItem, CardComponent } from '../document.js';
import type { ArtifactPreview } from '../../storage/preview.js';
import { html, type VNode } from './h.js';
import { formatBytes, formatNumber } from './format.js';
import { PreviewTable } from './table.js';
import { PreviewTree } from './json-tree.js';

type Numbers = Extract<ArtifactPreview, { kind: 'numbers' }>;

function Sparkline({ p }: { p: Numbers }): VNode | null {
  const values = p.sample.filter((v) => Number.isFinite(v));
  if (values.length < 2) return null;
  const w = 320;
  const h = 56;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const last = Math.max(1, p.sample.length - 1);
  const points = p.sample
    .map((v, i) => (Number.isFinite(v) ? `${((i / last) * w).toFixed(1)},${(h - 4 - ((v - min) / span) * (h - 8)).toFixed(1)}` : ''))
    .filter(Boolean)
    .join(' ');
  return html`<svg class="cc-spark" viewBox=${`0 0 ${w} ${h}`} preserveAspectRatio="none" role="img" aria-label="plot of the values">
    <polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke" />
  </svg>`;
}

function NumbersView({ p }: { p: Numbers }): VNode {
  const s = p.stats;
  return html`<div class="cc-numbers">
    <div class="cc-stats">
      <span><b>length</b> ${formatNumber(p.length)}</span>
      ${p.shape ? html`<span><b>shape</b> ${p.shape.join(' × ')}</span>` : null}
      ${s ? html`<span><b>min</b> ${formatNumber(s.min)}</span><span><b>max</b> ${formatNumber(s.max)}</span><span><b>mean</b> ${formatNumber(s.mean)}</span>` : null}
      ${s && s.nonFinite > 0 ? html`<span><b>non-finite</b> ${formatNumber(s.nonFinite)}</span>` : null}
    </div>
    <${Sparkline} p=${p} />
  </div>`;
}

/** One preview, drawn to fit its kind. */
export function Preview({ p }: { p: ArtifactPreview | undefined }): VNode {
  if (!p) return html`<div class="cc-note">No preview.</div>`;
  switch (p.kind) {
    case 'value':
      return html`<code class="cc-value">${p.text}</code>`;
    case 'text':
      return html`<div><pre class="cc-text">${p.text}</pre>${p.truncated ? html`<div class="cc-note">Showing ${formatNumber(p.text.endsWith('…') ? p.text.length - 1 : p.text.length)} of ${formatNumber(p.length)} characters.</div>` : null}</div>`;
    case 'numbers':
      return html`<${NumbersView} p=${p} />`;
    case 'table':
      return html`<${PreviewTable} columns=${p.columns} rows=${p.rows} rowCount=${p.rowCount} />`;
    case 'image':
      return html`<figure class="cc-image"><img src=${`data:${p.mime};base64,${p.base64}`} alt="" /></figure>`;
    case 'bytes':
      return html`<code class="cc-value">${formatBytes(p.length)}: ${p.head.replace(/(..)/g, '$1 ').trim()}${p.length > p.head.length / 2 ? ' …' : ''}</code>`;
    case 'tree':
      return html`<div><${PreviewTree} root=${p.root} />${p.truncated ? html`<div class="cc-note">Cut to keep the card small.</div>` : null}</div>`;
    case 'unavailable':
      return html`<div class=${p.code === 'CORRUPT_BLOB' ? 'cc-unavailable corrupt' : 'cc-unavailable'}>Not shown: ${p.reason}</div>`;
    default:
      return html`<div class="cc-note">A preview of kind ${JSON.stringify((p as { kind?: unknown }).kind)}, which this viewer does not know.</div>`;
  }
}

/** Whether a preview fits on one line beside its name (a number, a short string, a note). */
export function isInline(p: ArtifactPreview): boolean {
  return p.kind === 'value' || p.kind === 'bytes' || p.kind === 'unavailable' || (p.kind === 'text' && p.text.length <= 80 && !p.text.includes('\n'));
}

function Item({ a }: { a: ArtifactItem }): VNode {
  const inline = isInline(a.preview);
  return html`<div class=${inline ? 'cc-art inline' : 'cc-art'}>
    <div class="cc-art-head">
      <span class="cc-name">${a.name}</span>
      <span class="cc-type">${a.type}</span>
      <span class="cc-size">${formatBytes(a.size)}</span>
      ${inline ? html`<span class="cc-art-inline"><${Preview} p=${a.preview} /></span>` : null}
    </div>
    ${inline ? null : html`<div class="cc-art-body"><${Preview} p=${a.preview} /></div>`}
  </div>`;
}

export function ArtifactList({ c }: { c: Extract<CardComponent, { type: 'artifacts' }> }): VNode {
  return html`<div class="cc-artifacts">
    ${c.items.map((a) => html`<${Item} key=${a.name} a=${a} />`)}
    ${c.note ? html`<div class="cc-note">${c.note}</div>` : null}
  </div>`;
}
