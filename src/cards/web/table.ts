/** Tables: the `table` component (cells may hold components) and the table of a `table` preview. */
import type { CardCell, CardComponent } from '../document.js';
import type { PreviewColumn, TableCell } from '../../storage/preview.js';
import { html, type VNode } from './h.js';
import { formatNumber } from './format.js';

/** Renders a component held in a cell; given by the component renderer, so this file does not import it back. */
type Nested = (props: { c: CardComponent }) => VNode;

function Cell({ v, Nested }: { v: CardCell | TableCell; Nested: Nested | undefined }): VNode {
  if (v === null || v === undefined) return html`<td class="null">null</td>`;
  if (typeof v === 'number') return html`<td class="num">${formatNumber(v)}</td>`;
  if (typeof v === 'boolean') return html`<td class="bool">${String(v)}</td>`;
  if (typeof v === 'object') return Nested ? html`<td><${Nested} c=${v} /></td>` : html`<td>${JSON.stringify(v)}</td>`;
  return html`<td>${String(v)}</td>`;
}

function Rows({ rows, Nested }: { rows: Array<Array<CardCell | TableCell>>; Nested?: Nested }): VNode {
  return html`<tbody>${rows.map((r) => html`<tr>${(Array.isArray(r) ? r : [r]).map((v) => html`<${Cell} v=${v} Nested=${Nested} />`)}</tr>`)}</tbody>`;
}

function Footer({ shown, total }: { shown: number; total: number | undefined }): VNode | null {
  if (total === undefined || total <= shown) return null;
  return html`<div class="cc-note">Showing ${formatNumber(shown)} of ${formatNumber(total)} rows.</div>`;
}

export function Table({ c, Nested }: { c: Extract<CardComponent, { type: 'table' }>; Nested: Nested }): VNode {
  const rows = Array.isArray(c.rows) ? c.rows : [];
  return html`<div class="cc-table">
    ${c.title ? html`<div class="cc-table-title">${c.title}</div>` : null}
    <div class="cc-table-scroll">
      <table>
        ${c.headers?.length ? html`<thead><tr>${c.headers.map((h) => html`<th>${h}</th>`)}</tr></thead>` : null}
        <${Rows} rows=${rows} Nested=${Nested} />
      </table>
    </div>
    <${Footer} shown=${rows.length} total=${c.truncated ? (c.rowCount ?? rows.length + 1) : c.rowCount} />
  </div>`;
}

export function PreviewTable({ columns, rows, rowCount }: { columns: PreviewColumn[]; rows: TableCell[][]; rowCount: number }): VNode {
  return html`<div class="cc-table">
    <div class="cc-table-scroll">
      <table>
        <thead><tr>${columns.map((col) => html`<th>${col.name}<span class="cc-coltype">${col.type}</span></th>`)}</tr></thead>
        <${Rows} rows=${rows} />
      </table>
    </div>
    <${Footer} shown=${rows.length} total=${rowCount} />
  </div>`;
}
