/**
 * One renderer per component type of the card document. Every string is rendered as text (Preact
 * escapes it); the only HTML inserted is sanitised Markdown and highlight.js output, which escapes
 * the code it is given.
 */
import type { CardComponent } from '../document.js';
import { html, type VNode } from './h.js';
import { markdownToSafeHtml } from './markdown.js';
import { highlight } from './highlight.js';
import { formatNumber } from './format.js';
import { Table } from './table.js';
import { ArtifactList, Preview } from './preview.js';
import { JsonTree } from './json-tree.js';
import { Dag } from './dag.js';
import { VegaChart } from './chart.js';

type Of<T extends CardComponent['type']> = Extract<CardComponent, { type: T }>;

function Markdown({ c }: { c: Of<'markdown'> }): VNode {
  return html`<div class="cc-markdown" dangerouslySetInnerHTML=${{ __html: markdownToSafeHtml(String(c.text ?? '')) }}></div>`;
}

function Image({ c }: { c: Of<'image'> }): VNode {
  const mime = ['image/png', 'image/jpeg', 'image/gif', 'image/svg+xml'].includes(c.mime) ? c.mime : 'application/octet-stream';
  // A heatmap is drawn a few times larger than its cells, crisp; other images at their own size.
  const shown = c.pixelated && c.width ? Math.max(c.width * Math.max(1, Math.floor(480 / c.width)), Math.min(480, c.width * 8)) : c.width;
  const style = shown ? `width: min(100%, ${shown}px)` : undefined;
  return html`<figure class="cc-image">
    <img class=${c.pixelated ? 'pixelated' : ''} style=${style} src=${`data:${mime};base64,${c.base64}`} alt=${c.label ?? ''} />
    ${c.label ? html`<figcaption>${c.label}</figcaption>` : null}
  </figure>`;
}

function ProgressBar({ c }: { c: Of<'progressBar'> }): VNode {
  const max = c.max > 0 ? c.max : 1;
  const pct = Math.max(0, Math.min(100, (c.value / max) * 100));
  const unit = c.unit ? ` ${c.unit}` : '';
  return html`<div class="cc-progress">
    <div class="cc-progress-head">
      <span class="cc-progress-label">${c.label ?? ''}</span>
      <span class="cc-progress-value">${formatNumber(c.value)}${unit} / ${formatNumber(c.max)}${unit} · ${pct.toFixed(pct < 10 && pct > 0 ? 1 : 0)}%</span>
    </div>
    <div class="cc-progress-track" role="progressbar" aria-valuenow=${c.value} aria-valuemin="0" aria-valuemax=${c.max}>
      <div class="cc-progress-fill" style=${`width: ${pct}%`}></div>
    </div>
    ${c.details ? html`<div class="cc-progress-details">${c.details}</div>` : null}
  </div>`;
}

function ValueBox({ c }: { c: Of<'valueBox'> }): VNode {
  const theme = ['success', 'warning', 'danger'].includes(c.theme ?? '') ? c.theme : 'default';
  const arrow = c.change ? (c.change.direction === 'up' ? '▲' : c.change.direction === 'down' ? '▼' : '●') : '';
  return html`<div class=${`cc-valuebox theme-${theme}`}>
    <div class="cc-valuebox-title">${c.title}</div>
    <div class="cc-valuebox-value">${typeof c.value === 'number' ? formatNumber(c.value) : c.value}</div>
    ${c.subtitle ? html`<div class="cc-valuebox-subtitle">${c.subtitle}</div>` : null}
    ${c.change ? html`<div class=${`cc-valuebox-change dir-${c.change.direction}`}>${arrow} ${c.change.text}</div>` : null}
  </div>`;
}

export function Code({ c }: { c: Of<'code'> }): VNode {
  const code = String(c.code ?? '');
  const lit = highlight(code, c.language);
  const first = c.firstLine ?? 1;
  const lines = code.split('\n').length;
  const numbers = Array.from({ length: lines }, (_, i) => String(first + i)).join('\n');
  return html`<div class="cc-code">
    ${c.title ? html`<div class="cc-code-title">${c.title}</div>` : null}
    <div class="cc-code-body">
      <pre class="cc-code-lines" aria-hidden="true">${numbers}</pre>
      ${lit === undefined
        ? html`<pre class="cc-code-text"><code>${code}</code></pre>`
        : html`<pre class="cc-code-text"><code class="hljs" dangerouslySetInnerHTML=${{ __html: lit }}></code></pre>`}
    </div>
  </div>`;
}

export function ErrorBox({ c }: { c: Of<'error'> }): VNode {
  return html`<div class="cc-error" role="alert">
    ${c.title ? html`<div class="cc-error-title">${c.title}</div>` : null}
    <div class="cc-error-message"><strong>${c.errorType}</strong>: ${c.message}</div>
    ${c.stack ? html`<details><summary>Stack trace</summary><pre>${c.stack}</pre></details>` : null}
  </div>`;
}

function Section({ c }: { c: Of<'section'> }): VNode {
  return html`<section class="cc-section">
    <h2>${c.title}</h2>
    <${Components} list=${c.components} />
  </section>`;
}

function Properties({ c }: { c: Of<'properties'> }): VNode {
  return html`<dl class="cc-properties">
    ${c.items.map(([k, v]) => html`<div class=${typeof v === 'string' && v.length > 28 ? 'cc-prop wide' : 'cc-prop'}><dt>${k}</dt><dd>${typeof v === 'object' && v !== null ? html`<${Component} c=${v} />` : String(v ?? '')}</dd></div>`)}
  </dl>`;
}

function JsonView({ c }: { c: Of<'json'> }): VNode {
  const style = c.maxHeight ? `max-height: ${c.maxHeight}px` : undefined;
  return html`<div class="cc-json" style=${style}>
    <${JsonTree} value=${c.data} open=${!c.collapsed} />
    ${c.truncated ? html`<div class="cc-note">Cut to keep the card small.</div>` : null}
  </div>`;
}

function ArtifactView({ c }: { c: Of<'artifact'> }): VNode {
  return html`<div class="cc-artifact">
    ${c.name ? html`<div class="cc-artifact-head"><span class="cc-name">${c.name}</span><span class="cc-type">${c.preview?.type}</span></div>` : null}
    <${Preview} p=${c.preview} />
  </div>`;
}

/** Renders one component; an unknown type says so instead of failing the whole card. */
export function Component({ c }: { c: CardComponent }): VNode {
  switch (c?.type) {
    case 'markdown': return html`<${Markdown} c=${c} />`;
    case 'table': return html`<${Table} c=${c} Nested=${Component} />`;
    case 'image': return html`<${Image} c=${c} />`;
    case 'vegaChart': return html`<${VegaChart} c=${c} />`;
    case 'progressBar': return html`<${ProgressBar} c=${c} />`;
    case 'valueBox': return html`<${ValueBox} c=${c} />`;
    case 'json': return html`<${JsonView} c=${c} />`;
    case 'artifact': return html`<${ArtifactView} c=${c} />`;
    case 'code': return html`<${Code} c=${c} />`;
    case 'error': return html`<${ErrorBox} c=${c} />`;
    case 'section': return html`<${Section} c=${c} />`;
    case 'properties': return html`<${Properties} c=${c} />`;
    case 'dag': return html`<${Dag} c=${c} />`;
    case 'artifacts': return html`<${ArtifactList} c=${c} />`;
    default:
      return html`<div class="cc-note">This card holds a component of type ${JSON.stringify((c as { type?: unknown })?.type)}, which this viewer does not know.</div>`;
  }
}

/** A list of components; consecutive value boxes sit side by side. */
export function Components({ list }: { list: CardComponent[] }): VNode {
  const groups: VNode[] = [];
  let boxes: VNode[] = [];
  const flush = () => {
    if (boxes.length) groups.push(html`<div class="cc-valueboxes">${boxes}</div>`);
    boxes = [];
  };
  list.forEach((c, i) => {
    const node = html`<${Component} key=${`${i}:${c?.type}`} c=${c} />`;
    if (c?.type === 'valueBox') boxes.push(node);
    else {
      flush();
      groups.push(html`<div class="cc-item" key=${`${i}:${c?.type}`}>${node}</div>`);
    }
  });
  flush();
  return html`<div class="cc-components">${groups}</div>`;
}
