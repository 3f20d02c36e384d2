/** `/flows/F`: the runs of a flow, newest first, filtered by status, tag, user and time, a page at a time. */
import { useState } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import type { RunsResponse } from '../../api/types.js';
import { Crumbs, Failure, Loading, Params, Status, Tags, Took, When } from '../bits.js';
import { useApi } from '../data.js';
import { flowHref, navigate, runHref } from '../router.js';
import { compareHref } from './compare.js';
import { RUNS_FILTERS, runsDataUrl } from '../../data-urls.js';

const FILTERS = RUNS_FILTERS;

/** A `datetime-local` value (the reader's local time) as epoch ms for the API. */
function toMs(local: string): string {
  const ms = new Date(local).getTime();
  return Number.isFinite(ms) ? String(ms) : local;
}

function Filters({ flow, query }: { flow: string; query: URLSearchParams }): VNode {
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])));
  const apply = (next: Record<string, string>) => {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (next[k]) q.set(k, next[k]!);
    const s = q.toString();
    navigate(`${flowHref(flow)}${s ? `?${s}` : ''}`);
  };
  const field = (k: string) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const any = FILTERS.some((k) => query.get(k));
  return html`<form class="filters" onSubmit=${(e: Event) => { e.preventDefault(); apply(draft); }}>
    <label>Status
      <select name="status" value=${draft.status} onChange=${(e: Event) => { const next = { ...draft, status: (e.target as HTMLSelectElement).value }; setDraft(next); apply(next); }}>
        <option value="">any</option><option value="running">running</option><option value="succeeded">succeeded</option><option value="failed">failed</option>
      </select>
    </label>
    <label>Tag <input name="tag" placeholder="e.g. prod" value=${draft.tag} onInput=${field('tag')} /></label>
    <label>User <input name="user" placeholder="e.g. alice" value=${draft.user} onInput=${field('user')} /></label>
    <label>From <input name="since" type="datetime-local" value=${draft.since} onInput=${field('since')} /></label>
    <label>To <input name="until" type="datetime-local" value=${draft.until} onInput=${field('until')} /></label>
    <button type="submit" class="btn primary">Filter</button>
    ${any ? html`<a class="btn" href=${flowHref(flow)}>Clear</a>` : null}
  </form>`;
}

export function RunsPage({ flow, query }: { flow: string; query: URLSearchParams }): VNode {
  const { data, error, loading } = useApi<RunsResponse>(runsDataUrl(flow, query, toMs)!);
  // Two runs chosen to compare (the older one is A).
  const [picked, setPicked] = useState<string[]>([]);
  const age = (id: string) => data?.runs.findIndex((r) => r.id === id) ?? -1;
  const pair = picked.length === 2 ? ([...picked].sort((x, y) => age(y) - age(x)) as [string, string]) : undefined;
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p, id].slice(-2)));
  const key = FILTERS.map((k) => query.get(k) ?? '').join('|');
  const older = (next: string) => {
    const q = new URLSearchParams(query);
    q.set('before', next);
    return `${flowHref(flow)}?${q}`;
  };
  const newest = () => {
    const q = new URLSearchParams(query);
    q.delete('before');
    const s = q.toString();
    return `${flowHref(flow)}${s ? `?${s}` : ''}`;
  };
  return html`<div class="page">
    <${Crumbs} items=${[['Flows', '/'], [flow]]} />
    <header class="page-head"><h1>${flow}</h1><span class="muted">runs, newest first</span>
      <span class="compare-bar">${pair
        ? html`<a class="btn primary" href=${compareHref(flow, pair[0], pair[1])}>Compare ${pair[0]} ⇄ ${pair[1]}</a>`
        : html`<span class="muted small">tick two runs to compare them</span>`}</span></header>
    <${Filters} key=${key} flow=${flow} query=${query} />
    ${error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`<div class=${loading ? 'stale' : ''}>
      ${data.runs.length === 0
        ? html`<div class="empty">No run matches these filters.</div>`
        : html`<table class="grid runs">
            <thead><tr><th class="pick"></th><th>Status</th><th>Run</th><th>User</th><th>Tags</th><th>Parameters</th><th>Started</th><th>Took</th></tr></thead>
            <tbody>${data.runs.map((r) => html`<tr data-run=${r.id}>
              <td class="pick"><input type="checkbox" aria-label=${`compare run ${r.id}`} checked=${picked.includes(r.id)} onChange=${() => toggle(r.id)} /></td>
              <td><${Status} status=${r.status} lost=${r.lost} /></td>
              <td><a class="mono strong" href=${runHref(flow, r.id)}>${r.id}</a>${r.originRunId ? html` <span class="muted small" title="resumed">↻ ${r.originRunId}</span>` : null}</td>
              <td>${r.user}</td>
              <td><${Tags} tags=${r.userTags} /></td>
              <td><${Params} params=${r.parameters} /></td>
              <td><${When} ms=${r.createdAt} /></td>
              <td><${Took} from=${r.createdAt} to=${r.finishedAt} /></td>
            </tr>`)}</tbody>
          </table>`}
      <div class="pager">
        ${query.get('before') ? html`<a class="btn" href=${newest()}>← Newest</a>` : null}
        ${data.next ? html`<a class="btn" rel="next" href=${older(data.next)}>Older →</a>` : null}
      </div>
    </div>`}
  </div>`;
}
