/**
 * `/flows/F/compare?a=R1&b=R2`: two runs side by side (`diffRuns`): parameters, per-step
 * durations, and every artifact marked same / changed / added / removed by content hash, with how
 * the values differ and, for small values, both previews.
 */
import { useMemo, useState } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import { formatBytes, formatNumber } from '../../../cards/web/format.js';
import { Preview } from '../../../cards/web/preview.js';
import type { ArtifactDiff, Delta, StepDiff, TaskDiff, ValueDiff } from '../../../client/diff/types.js';
import type { RunsResponse, RunSummary } from '../../api/types.js';
import type { CompareResponse } from '../../api/task-types.js';
import { Crumbs, duration, Failure, Loading, short, Status, Took, When } from '../bits.js';
import { useApi } from '../data.js';
import { flowHref, hrefOf, navigate, runHref, taskHref } from '../router.js';
import './compare.css';

/** Tasks listed per step; the rest are counted. */
const MAX_TASKS_SHOWN = 200;

export const compareHref = (flow: string, a: string, b: string): string => `${hrefOf('flows', flow, 'compare')}?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`;

function Mark({ status }: { status: string }): VNode {
  return html`<span class=${`mark m-${status}`}>${status}</span>`;
}

function RunHead({ side, run }: { side: 'A' | 'B'; run: RunSummary }): VNode {
  return html`<div class="cmp-run">
    <span class="side">${side}</span>
    <a class="mono strong" href=${runHref(run.flow, run.id)}>${run.id}</a>
    <${Status} status=${run.status} lost=${run.lost} />
    <span class="muted small">${run.user} · <${When} ms=${run.createdAt} /> · <${Took} from=${run.createdAt} to=${run.finishedAt} /></span>
  </div>`;
}

function Chooser({ flow, a, b }: { flow: string; a: string; b: string }): VNode {
  const { data } = useApi<RunsResponse>(`/api/flows/${encodeURIComponent(flow)}/runs?limit=100`);
  const [pick, setPick] = useState({ a, b });
  const runs = data?.runs ?? [];
  const select = (k: 'a' | 'b') => html`<label>${k.toUpperCase()}
    <select name=${k} value=${pick[k]} onChange=${(e: Event) => setPick({ ...pick, [k]: (e.target as HTMLSelectElement).value })}>
      <option value="">choose a run</option>
      ${pick[k] && !runs.some((r) => r.id === pick[k]) ? html`<option value=${pick[k]}>${pick[k]}</option>` : null}
      ${runs.map((r) => html`<option value=${r.id}>${r.id} · ${r.status}</option>`)}
    </select>
  </label>`;
  return html`<form class="filters" onSubmit=${(e: Event) => { e.preventDefault(); if (pick.a && pick.b) navigate(compareHref(flow, pick.a, pick.b)); }}>
    ${select('a')}${select('b')}
    <button type="submit" class="btn primary" disabled=${!pick.a || !pick.b}>Compare</button>
    ${a && b ? html`<a class="btn" href=${compareHref(flow, b, a)}>Swap A ⇄ B</a>` : null}
  </form>`;
}

function DeltaText({ d }: { d: Delta }): VNode {
  return html`<span class="mono">${formatNumber(d.a)} → ${formatNumber(d.b)} <span class=${d.delta > 0 ? 'up' : d.delta < 0 ? 'down' : 'muted'}>(${d.delta > 0 ? '+' : ''}${formatNumber(d.delta)})</span></span>`;
}

function Detail({ d }: { d: ValueDiff }): VNode {
  if (d.kind === 'json') {
    return html`<div class="vdiff">
      ${d.changes.map((c) => html`<div class="vchange"><${Mark} status=${c.status} /> <code>${c.path || '(the value)'}</code>${' '}
        ${c.status !== 'added' ? html`<code class="va">${short(c.a, 120)}</code>` : null}${c.status === 'changed' ? ' → ' : null}${c.status !== 'removed' ? html`<code class="vb">${short(c.b, 120)}</code>` : null}</div>`)}
      ${d.truncated ? html`<div class="cc-note">More differences than are listed.</div>` : null}
    </div>`;
  }
  if (d.kind === 'numbers') {
    return html`<div class="vdiff">
      <div>length ${formatNumber(d.length.a)} → ${formatNumber(d.length.b)}${d.changed !== undefined ? html`, <b>${formatNumber(d.changed)}</b> elements changed` : null}${d.maxAbsDelta !== undefined ? html`, largest change ${formatNumber(d.maxAbsDelta)}` : null}</div>
      ${(['min', 'max', 'mean'] as const).map((k) => (d[k] ? html`<div>${k} <${DeltaText} d=${d[k]!} /></div>` : null))}
    </div>`;
  }
  return html`<div class="vdiff">
    <div>rows ${formatNumber(d.rows.a)} → ${formatNumber(d.rows.b)}${d.changedRows !== undefined ? html`, <b>${formatNumber(d.changedRows)}</b> rows changed` : null}</div>
    ${d.columns.filter((c) => c.status !== 'same').map((c) => html`<div><${Mark} status=${c.status} /> column <code>${c.name}</code>${c.changed !== undefined ? ` (${formatNumber(c.changed)} rows)` : ''}${c.mean ? html` mean <${DeltaText} d=${c.mean} />` : null}</div>`)}
  </div>`;
}

function Side({ s }: { s: ArtifactDiff['a'] }): VNode {
  if (!s) return html`<span class="muted">—</span>`;
  return html`<span class="cmp-side"><span class="cc-type">${s.type}</span> <span class="cc-size">${formatBytes(s.size)}</span> <span class="sha mono" title=${s.sha}>${s.sha.slice(0, 8)}</span></span>`;
}

type Previews = CompareResponse['values'][string];

/** Whether the two previews say more than the value diff does (not for short plain values). */
function worthSideBySide(v: Previews | undefined): v is Previews {
  if (!v) return false;
  const short = (p: Previews['a']) => p.kind === 'value' || (p.kind === 'text' && p.length <= 120 && !p.text.includes('\n'));
  return !(short(v.a) && short(v.b));
}

/**
 * For each changed artifact (`step/place/name`) whose change was listed before (the same name and
 * the same two contents, as an artifact passed on from step to step): where it was first listed.
 */
type Repeats = Map<string, string>;

function repeatsOf(d: CompareResponse['diff']): Repeats {
  const first = new Map<string, string>();
  const out: Repeats = new Map();
  for (const s of d.steps) {
    for (const t of s.tasks) {
      const where = `${s.step}${t.place ? ` (${t.place})` : ''}`;
      for (const a of t.artifacts) {
        if (a.status === 'same') continue;
        const change = `${a.name}:${a.a?.sha ?? ''}:${a.b?.sha ?? ''}`;
        const seen = first.get(change);
        if (seen === undefined) first.set(change, where);
        else out.set(`${s.step}/${t.place}/${a.name}`, seen);
      }
    }
  }
  return out;
}

function ArtifactRow({ art, values, repeatOf }: { art: ArtifactDiff; values: Previews | undefined; repeatOf: string | undefined }): VNode {
  const sbs = worthSideBySide(values);
  const open = art.status !== 'same' && (repeatOf || art.detail || art.note || sbs);
  if (repeatOf) {
    return html`<tr class=${`art m-${art.status}`} data-artifact=${art.name} data-status=${art.status}>
      <td class="mono strong">${art.name}</td>
      <td><${Mark} status=${art.status} /></td>
      <td><${Side} s=${art.a} /></td>
      <td><${Side} s=${art.b} /><div class="muted small">the same values as in ${repeatOf}</div></td>
    </tr>`;
  }
  return html`<tr class=${`art m-${art.status}`} data-artifact=${art.name} data-status=${art.status}>
    <td class="mono strong">${art.name}</td>
    <td><${Mark} status=${art.status} /></td>
    <td><${Side} s=${art.a} /></td>
    <td><${Side} s=${art.b} /></td>
  </tr>
  ${open ? html`<tr class="art-detail" data-artifact=${art.name}><td></td><td colspan="3">
    ${art.detail ? html`<${Detail} d=${art.detail} />` : null}
    ${art.note ? html`<div class="cc-note">${art.note}</div>` : null}
    ${sbs ? html`<div class="sbs"><div><div class="side-label">A</div><${Preview} p=${values.a} /></div><div><div class="side-label">B</div><${Preview} p=${values.b} /></div></div>` : null}
  </td></tr>` : null}`;
}

function TaskBlock({ step, t, values, onlyDiff, repeats }: { step: string; t: TaskDiff; values: CompareResponse['values']; onlyDiff: boolean; repeats: Repeats }): VNode | null {
  const arts = onlyDiff ? t.artifacts.filter((a) => a.status !== 'same') : t.artifacts;
  if (onlyDiff && arts.length === 0 && t.status === 'same') return null;
  const link = (ps: string | undefined, label: string) => {
    if (!ps) return null;
    const [f, r, s, id] = ps.split('/') as [string, string, string, string];
    return html`<a class="mono small" href=${taskHref(f, r, s, id)}>${label} ${s}/${id}</a>`;
  };
  return html`<div class="cmp-task" data-place=${t.place}>
    <div class="cmp-task-head">
      ${t.place ? html`<span class="strong small">${t.place}</span>` : null}
      <${Mark} status=${t.status} />
      ${link(t.task.a, 'A')} ${link(t.task.b, 'B')}
      <span class="muted small">${t.durationMs.a !== undefined ? duration(t.durationMs.a) : '—'} → ${t.durationMs.b !== undefined ? duration(t.durationMs.b) : '—'}</span>
    </div>
    ${arts.length === 0
      ? html`<div class="muted small">${t.artifacts.length === 0 ? 'No artifacts.' : 'Every artifact is the same.'}</div>`
      : html`<table class="cmp-arts"><thead><tr><th>Artifact</th><th></th><th>A</th><th>B</th></tr></thead>
          <tbody>${arts.map((a) => {
            const key = `${step}/${t.place}/${a.name}`;
            return html`<${ArtifactRow} key=${a.name} art=${a} values=${values[key]} repeatOf=${repeats.get(key)} />`;
          })}</tbody></table>`}
  </div>`;
}

function durationCell(ms: number | undefined): string {
  return ms === undefined ? '—' : duration(ms);
}

function StepsTable({ steps }: { steps: StepDiff[] }): VNode {
  return html`<table class="grid cmp-steps">
    <thead><tr><th>Step</th><th></th><th class="num">A</th><th class="num">B</th><th class="num">Change</th><th class="num">Tasks</th></tr></thead>
    <tbody>${steps.map((s) => {
      const { a, b } = s.durationMs;
      const change = a !== undefined && b !== undefined ? b - a : undefined;
      return html`<tr data-step=${s.step}>
        <td class="mono strong"><a href=${`#step-${encodeURIComponent(s.step)}`}>${s.step}</a></td>
        <td><${Mark} status=${s.status} /></td>
        <td class="num">${durationCell(a)}</td>
        <td class="num">${durationCell(b)}</td>
        <td class=${`num ${change === undefined ? '' : change > 0 ? 'up' : 'down'}`}>${change === undefined ? '—' : `${change > 0 ? '+' : '−'}${duration(Math.abs(change))}${a ? ` (${change > 0 ? '+' : '−'}${Math.round((Math.abs(change) / a) * 100)}%)` : ''}`}</td>
        <td class="num">${s.tasks.length}</td>
      </tr>`;
    })}</tbody>
  </table>`;
}

function counts(d: CompareResponse['diff']): Record<string, number> {
  const out: Record<string, number> = { same: 0, changed: 0, added: 0, removed: 0 };
  for (const s of d.steps) for (const t of s.tasks) for (const a of t.artifacts) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

function Comparison({ flow, data }: { flow: string; data: CompareResponse }): VNode {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const { diff } = data;
  const c = counts(diff);
  const repeats = useMemo(() => repeatsOf(diff), [diff]);
  return html`<div class="cmp">
    <section class="cmp-head">
      <${RunHead} side="A" run=${data.a} />
      <${RunHead} side="B" run=${data.b} />
      <div class="cmp-summary" data-equal=${String(diff.equal)}>
        ${diff.equal ? html`<b class="ok">The runs are the same</b>: same parameters, steps, tasks and artifact contents.`
          : html`${(['changed', 'added', 'removed', 'same'] as const).map((k) => html`<span class=${`sum m-${k}`}><b>${c[k]}</b> ${k}</span>`)}<span class="muted small">artifacts</span>`}
      </div>
    </section>
    <section class="panel">
      <h2>Parameters</h2>
      ${diff.parameters.length === 0 ? html`<div class="muted">Neither run has parameters.</div>` : html`<table class="grid cmp-params">
        <thead><tr><th>Name</th><th></th><th>A</th><th>B</th></tr></thead>
        <tbody>${diff.parameters.map((p) => html`<tr data-param=${p.name} data-status=${p.status}>
          <td class="mono strong">${p.name}</td><td><${Mark} status=${p.status} /></td>
          <td class="mono">${'a' in p ? short(p.a, 80) : '—'}</td><td class="mono">${'b' in p ? short(p.b, 80) : '—'}</td>
        </tr>`)}</tbody></table>`}
    </section>
    <section class="panel">
      <h2>Steps</h2>
      <${StepsTable} steps=${diff.steps} />
    </section>
    <section class="panel">
      <h2>Artifacts <label class="toggle"><input type="checkbox" checked=${onlyDiff} onChange=${(e: Event) => setOnlyDiff((e.target as HTMLInputElement).checked)} /> only differences</label></h2>
      ${diff.steps.map((s) => html`<div class="cmp-step" id=${`step-${s.step}`} data-step=${s.step}>
        <div class="cmp-step-head"><span class="mono strong">${s.step}</span><${Mark} status=${s.status} /></div>
        ${s.tasks.slice(0, MAX_TASKS_SHOWN).map((t) => html`<${TaskBlock} key=${t.place} step=${s.step} t=${t} values=${data.values} onlyDiff=${onlyDiff} repeats=${repeats} />`)}
        ${s.tasks.length > MAX_TASKS_SHOWN ? html`<div class="cc-note">${s.tasks.length - MAX_TASKS_SHOWN} more tasks are not listed (${s.tasks.slice(MAX_TASKS_SHOWN).filter((t) => t.status !== 'same').length} of them differ); the JSON API has them all.</div>` : null}
      </div>`)}
    </section>
  </div>`;
}

export function ComparePage({ flow, query }: { flow: string; query: URLSearchParams }): VNode {
  const a = query.get('a') ?? '';
  const b = query.get('b') ?? '';
  const chosen = a !== '' && b !== '';
  const { data, error } = useApi<CompareResponse>(chosen ? `/api/flows/${encodeURIComponent(flow)}/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}` : null);
  return html`<div class="page compare-page">
    <${Crumbs} items=${[['Flows', '/'], [flow, flowHref(flow)], ['compare']]} />
    <header class="page-head"><h1>Compare runs of ${flow}</h1></header>
    <${Chooser} key=${`${a}|${b}`} flow=${flow} a=${a} b=${b} />
    ${!chosen ? html`<div class="empty">Choose two runs to compare, here or on the <a href=${flowHref(flow)}>runs page</a>.</div>`
      : error ? html`<${Failure} error=${error} />` : !data ? html`<${Loading} />` : html`<${Comparison} flow=${flow} data=${data} />`}
  </div>`;
}
