/** Collapsible trees: JSON values (`json` component) and the `tree` kind of artifact previews. */
import type { JsonValue } from '../document.js';
import type { TreeNode } from '../../storage/preview.js';
import { html, type VNode } from './h.js';

function leaf(v: JsonValue): VNode {
  if (v === null) return html`<span class="j-null">null</span>`;
  if (typeof v === 'string') return html`<span class="j-str">${JSON.stringify(v)}</span>`;
  if (typeof v === 'number') return html`<span class="j-num">${String(v)}</span>`;
  if (typeof v === 'boolean') return html`<span class="j-bool">${String(v)}</span>`;
  return html`<span>${String(v)}</span>`;
}

function Entry({ k, v, open, depth }: { k: string | undefined; v: JsonValue; open: boolean; depth: number }): VNode {
  const key = k === undefined ? null : html`<span class="j-key">${k}</span><span class="j-punct">: </span>`;
  if (v === null || typeof v !== 'object') return html`<div class="j-row">${key}${leaf(v)}</div>`;
  const isArray = Array.isArray(v);
  const entries: Array<[string, JsonValue]> = isArray ? v.map((x, i) => [String(i), x]) : Object.entries(v);
  const summary = isArray ? `Array(${entries.length})` : `{${entries.length} ${entries.length === 1 ? 'key' : 'keys'}}`;
  if (entries.length === 0) return html`<div class="j-row">${key}<span class="j-punct">${isArray ? '[]' : '{}'}</span></div>`;
  return html`<details class="j-node" open=${open && depth < 3}>
    <summary>${key}<span class="j-summary">${summary}</span></summary>
    <div class="j-children">${entries.map(([ck, cv]) => html`<${Entry} k=${isArray ? ck : JSON.stringify(ck).slice(1, -1)} v=${cv} open=${open} depth=${depth + 1} />`)}</div>
  </details>`;
}

export function JsonTree({ value, open = true }: { value: JsonValue; open?: boolean }): VNode {
  return html`<div class="j-tree"><${Entry} k=${undefined} v=${value} open=${open} depth=${0} /></div>`;
}

function TreeEntry({ k, node, depth }: { k: string | undefined; node: TreeNode; depth: number }): VNode {
  const key = k === undefined ? null : html`<span class="j-key">${k}</span><span class="j-punct">: </span>`;
  if (node.kind === 'leaf') {
    const cls = node.type === 'string' ? 'j-str' : node.type === 'number' || node.type === 'bigint' ? 'j-num' : node.type === 'boolean' ? 'j-bool' : node.type === 'null' || node.type === 'undefined' ? 'j-null' : 'j-other';
    return html`<div class="j-row">${key}<span class=${cls}>${node.text}</span></div>`;
  }
  const label = `${node.type}(${node.size})`;
  if (node.entries.length === 0) {
    return html`<div class="j-row">${key}<span class="j-summary">${label}${node.cut ? ' …' : ''}</span></div>`;
  }
  const hidden = node.size - node.entries.length;
  return html`<details class="j-node" open=${depth < 2}>
    <summary>${key}<span class="j-summary">${label}</span></summary>
    <div class="j-children">
      ${node.entries.map(([ck, cv]) => html`<${TreeEntry} k=${ck} node=${cv} depth=${depth + 1} />`)}
      ${hidden > 0 ? html`<div class="j-row j-more">… ${hidden} more</div>` : null}
    </div>
  </details>`;
}

export function PreviewTree({ root }: { root: TreeNode }): VNode {
  return html`<div class="j-tree"><${TreeEntry} k=${undefined} node=${root} depth=${0} /></div>`;
}
