/** The flow's graph with the card's step highlighted, laid out by dagre and drawn as SVG. */
import dagre from '@dagrejs/dagre';
import type { CardComponent, DagStep } from '../document.js';
import { html, type VNode } from './h.js';

interface Laid {
  width: number;
  height: number;
  nodes: Array<{ step: DagStep; x: number; y: number; w: number; h: number }>;
  edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }>; label?: string; back: boolean }>;
}

const NODE_H = 38;

function layout(steps: DagStep[]): Laid {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 44, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(steps.map((s) => s.name));
  for (const s of steps) g.setNode(s.name, { width: Math.max(96, s.name.length * 8.2 + 44), height: NODE_H });
  const back: Array<[string, string]> = [];
  for (const s of steps) {
    for (const t of s.out) {
      if (!names.has(t)) continue;
      if (t === s.name) back.push([s.name, t]);
      else g.setEdge(s.name, t, s.foreach ? { label: `foreach ${s.foreach}`, width: s.foreach.length * 7 + 60, height: 16 } : {});
    }
  }
  dagre.layout(g);
  const info = g.graph() as { width?: number; height?: number };
  const byName = new Map(steps.map((s) => [s.name, s]));
  const nodes = g.nodes().map((n: string) => {
    const v = g.node(n) as { x: number; y: number; width: number; height: number };
    return { step: byName.get(n)!, x: v.x, y: v.y, w: v.width, h: v.height };
  });
  const edges: Laid['edges'] = g.edges().map((e: { v: string; w: string }) => {
    const v = g.edge(e) as { points: Array<{ x: number; y: number }>; label?: string };
    return { from: e.v, to: e.w, points: v.points, ...(v.label ? { label: v.label } : {}), back: false };
  });
  for (const [from] of back) {
    const n = nodes.find((x: { step: DagStep }) => x.step.name === from)!;
    const r = n.x + n.w / 2;
    edges.push({ from, to: from, back: true, points: [{ x: r, y: n.y - 8 }, { x: r + 26, y: n.y - 14 }, { x: r + 26, y: n.y + 14 }, { x: r, y: n.y + 8 }] });
  }
  return { width: (info.width ?? 200) + 40, height: info.height ?? 100, nodes, edges };
}

function path(points: Array<{ x: number; y: number }>): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  if (rest.length === 0) return `M${first!.x},${first!.y}`;
  // A smooth curve through the points dagre gives.
  let d = `M${first!.x},${first!.y}`;
  for (let i = 0; i < rest.length; i++) {
    const p = rest[i]!;
    const prev = i === 0 ? first! : rest[i - 1]!;
    const my = (prev.y + p.y) / 2;
    d += ` C${prev.x},${my} ${p.x},${my} ${p.x},${p.y}`;
  }
  return d;
}

const GLYPH: Record<string, string> = { start: '▶', end: '■', split: '⑂', foreach: '⋔', switch: '◇', join: '⑃', linear: '' };

export function Dag({ c }: { c: Extract<CardComponent, { type: 'dag' }> }): VNode {
  let laid: Laid;
  try {
    laid = layout(c.steps ?? []);
  } catch (e) {
    return html`<div class="cc-note">The graph could not be laid out: ${(e as Error).message}</div>`;
  }
  const { width, height } = laid;
  return html`<div class="cc-dag">
    <svg viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height} role="img" aria-label="the flow's graph">
      <defs>
        <marker id="cc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="cc-dag-arrow" />
        </marker>
      </defs>
      ${laid.edges.map((e) => html`<g class=${e.back ? 'cc-dag-edge back' : 'cc-dag-edge'}>
        <path d=${path(e.points)} marker-end="url(#cc-arrow)" />
        ${e.label ? html`<text x=${e.points[Math.floor(e.points.length / 2)]!.x + 6} y=${e.points[Math.floor(e.points.length / 2)]!.y + 4}>${e.label}</text>` : null}
      </g>`)}
      ${laid.nodes.map((n) => {
        const on = n.step.name === c.highlight;
        const glyph = GLYPH[n.step.type] ?? '';
        return html`<g class=${on ? 'cc-dag-node current' : 'cc-dag-node'} data-step=${n.step.name} transform=${`translate(${n.x - n.w / 2},${n.y - n.h / 2})`}>
          <title>${n.step.doc ? `${n.step.name}: ${n.step.doc}` : `${n.step.name} (${n.step.type})`}</title>
          <rect width=${n.w} height=${n.h} rx="9" />
          <text x=${n.w / 2} y=${n.h / 2 + 4.5} text-anchor="middle">${glyph ? `${glyph} ` : ''}${n.step.name}</text>
        </g>`;
      })}
    </svg>
  </div>`;
}
