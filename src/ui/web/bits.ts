/** Small pieces every page uses: status badges, times, durations, tags, errors, loading. */
import { html, type VNode } from '../../cards/web/h.js';
import { formatTime } from '../../cards/web/format.js';
import type { ApiFailure } from './data.js';

export function Status({ status, lost }: { status: string; lost?: boolean }): VNode {
  const label = lost ? 'failed (lost)' : status;
  return html`<span class=${`badge s-${status}${lost ? ' lost' : ''}`} title=${lost ? 'Its orchestrator stopped recording heartbeats: the run will not go on.' : label}>
    ${status === 'running' ? html`<span class="pulse"></span>` : null}${label}
  </span>`;
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.round(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

/** How long something took, or has been going. */
export function Took({ from, to }: { from: number; to: number | null }): VNode {
  return html`<span class=${to === null ? 'took going' : 'took'}>${duration((to ?? Date.now()) - from)}</span>`;
}

export function When({ ms }: { ms: number | null }): VNode {
  if (ms === null) return html`<span class="muted">—</span>`;
  return html`<time datetime=${new Date(ms).toISOString()} title=${new Date(ms).toISOString()}>${formatTime(ms)}</time>`;
}

export function Tags({ tags, system }: { tags: readonly string[]; system?: readonly string[] }): VNode {
  return html`<span class="tags">${tags.map((t) => html`<span class=${system?.includes(t) ? 'tag sys' : 'tag'}>${t}</span>`)}</span>`;
}

export function Params({ params }: { params: Record<string, unknown> }): VNode {
  const keys = Object.keys(params);
  if (keys.length === 0) return html`<span class="muted">—</span>`;
  return html`<span class="params">${keys.map((k) => html`<span class="param"><b>${k}</b>=${short(params[k])}</span>`)}</span>`;
}

export function short(v: unknown, max = 60): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function Loading(): VNode {
  return html`<div class="loading"><span class="spinner"></span>Loading…</div>`;
}

/** A failed load: a 404 is a "not found" page, anything else says what went wrong. */
export function Failure({ error }: { error: ApiFailure | Error }): VNode {
  const status = (error as ApiFailure).status;
  if (status === 404) {
    return html`<div class="notfound"><h1>Not found</h1><p>${error.message}</p><p><a href="/">All flows</a></p></div>`;
  }
  return html`<div class="failure"><h2>Something went wrong</h2><p>${error.message}</p></div>`;
}

export function Crumbs({ items }: { items: Array<[label: string, href?: string]> }): VNode {
  return html`<nav class="crumbs">${items.map(([label, href], i) => html`${i > 0 ? html`<span class="sep">/</span>` : null}${href ? html`<a href=${href}>${label}</a>` : html`<span>${label}</span>`}`)}</nav>`;
}
