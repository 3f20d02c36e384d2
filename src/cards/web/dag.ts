/**
 * A flow's graph laid out by dagre and drawn as SVG: in cards (the card's step highlighted) and on
 * the web UI's run page (nodes coloured by state, a badge of task counts, foreach fan-out counts,
 * switch cases and loop edges labelled, nodes that can be clicked).
 */
import dagre from '@dagrejs/dagre';
import type { CardComponent, DagStep } from '../document.js';
import { html, type VNode } from './h.js';

/** A step as the graph draws it: a card's `DagStep`, with a switch's cases when known. */
export interface GraphStep extends DagStep {
  cases?: Record<string, string>;
}

interface Laid {
  width: number;
  height: number;
  nodes: Array<{ step: GraphStep; x: number; y: number; w: number; h: number }>;
  edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }>; label?: string; back: boolean }>;
}

const NODE_H = 38;

/** The label of the edge `from → to`: a foreach's list (with its fan-out), or the switch cases that lead there. */
function edgeLabel(s: GraphStep, to: string, fanOut: Readonly<Record<string, number>>): string | undefined {
  if (s.foreach) return fanOut[s.name] !== undefined ? `foreach ${s.foreach} ×${fanOut[s.name]!.toLocaleString('en-US')}` : `foreach ${s.foreach}`;
  if (s.type === 'switch' && s.cases) {
    const keys = Object.entries(s.cases).filter(([, t]) => t === to).map(([k]) => k);
    if (keys.length) return `${s.condition ? `${s.condition} = ` : ''}${keys.join(' | ')}`;
  }
  return undefined;
}

function layout(steps: GraphStep[], fanOut: Readonly<Record<string, number>>, badgeWidth: number): Laid {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(steps.map((s) => s.name));
  for (const s of steps) g.setNode(s.name, { width: Math.max(96, s.name.length * 8.2 + 44 + badgeWidth), height: NODE_H });
  const self: string[] = [];
  for (const s of steps) {
    for (const t of s.out) {
      if (!names.has(t)) continue;
      if (t === s.name) {
        self.push(s.name);
        continue;
      }
      const label = edgeLabel(s, t, fanOut);
      g.setEdge(s.name, t, label ? { label, width: label.length * 6.8 + 12, height: 16, labelpos: 'c' } : {});
    }
  }
  dagre.layout(g);
  const info = g.graph() as { width?: number; height?: number };
  const byName = new Map(steps.map((s) => [s.name, s]));
  const nodes: Laid['nodes'] = g.nodes().map((n: string) => {
    const v = g.node(n) as { x: number; y: number; width: number; height: number };
    return { step: byName.get(n)!, x: v.x, y: v.y, w: v.width, h: v.height };
  });
  const at = new Map(nodes.map((n) => [n.step.name, n]));
  const edges: Laid['edges'] = g.edges().map((e: { v: string; w: string }) => {
    const v = g.edge(e) as { points: Array<{ x: number; y: number }>; label?: string };
    // An edge to a step drawn above its source goes back: a loop.
    const back = at.get(e.w)!.y < at.get(e.v)!.y;
    return { from: e.v, to: e.w, points: v.points, ...(v.label ? { label: v.label } : {}), back };
  });
  for (const name of self) {
    const n = at.get(name)!;
    const s = byName.get(name)!;
    const r = n.x + n.w / 2;
    const label = edgeLabel(s, name, fanOut);
    edges.push({ from: name, to: name, back: true, ...(label ? { label } : {}), points: [{ x: r, y: n.y - 8 }, { x: r + 26, y: n.y - 14 }, { x: r + 26, y: n.y + 14 }, { x: r, y: n.y + 8 }] });
  }
  const labelRoom = Math.max(0, ...edges.filter((e) => e.back && e.label).map((e) => e.label!.length * 6.8 + 30));
  return { width: (info.width ?? 200) + 40 + labelRoom, height: info.height ?? 100, nodes, edges };
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

// Glyphs found in common fonts (DejaVu, Segoe UI Symbol, Apple Symbols).
const GLYPH: Record<string, string> = { start: '▶', end: '■', split: '⇉', foreach: '⋔', switch: '◇', join: '⊕', linear: '' };

export interface DagViewProps {
  steps: GraphStep[];
  /** The step drawn as the current one (a card's step, the selected step of a run). */
  highlight?: string | undefined;
  /** Step → state (`succeeded`, `failed`, `running`; none: not started), colouring the node. */
  states?: Readonly<Record<string, string>>;
  /** Step → a short badge drawn in the node (task counts). */
  badges?: Readonly<Record<string, string>>;
  /** Foreach step → how many tasks it fanned out to, shown on its edge. */
  fanOut?: Readonly<Record<string, number>>;
  /** Makes nodes buttons: called with the step clicked. */
  onSelect?: (step: string) => void;
}

export function DagView({ steps, highlight, states, badges, fanOut, onSelect }: DagViewProps): VNode {
  let laid: Laid;
  const longestBadge = Math.max(0, ...Object.values(badges ?? {}).map((b) => b.length));
  try {
    laid = layout(steps, fanOut ?? {}, longestBadge ? longestBadge * 7 + 16 : 0);
  } catch (e) {
    return html`<div class="cc-note">The graph could not be laid out: ${(e as Error).message}</div>`;
  }
  const { width, height } = laid;
  const key = (e: KeyboardEvent, step: string) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onSelect?.(step);
    }
  };
  return html`<div class="cc-dag">
    <svg viewBox=${`0 0 ${width} ${height}`} width=${width} height=${height} role="img" aria-label="the flow's graph">
      <defs>
        <marker id="cc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="cc-dag-arrow" />
        </marker>
      </defs>
      ${laid.edges.map((e) => {
        const mid = e.points[Math.floor(e.points.length / 2)]!;
        const lx = e.from === e.to ? mid.x + 32 : mid.x + 8;
        return html`<g class=${e.back ? 'cc-dag-edge back' : 'cc-dag-edge'} data-from=${e.from} data-to=${e.to}>
          <path d=${path(e.points)} marker-end="url(#cc-arrow)" />
          ${e.label ? html`<text x=${lx} y=${mid.y + 4}>${e.label}</text>` : null}
        </g>`;
      })}
      ${laid.nodes.map((n) => {
        const name = n.step.name;
        const state = states?.[name];
        const cls = `cc-dag-node${name === highlight ? ' current' : ''}${state ? ` st-${state}` : states ? ' st-none' : ''}${onSelect ? ' clickable' : ''}`;
        const glyph = GLYPH[n.step.type] ?? '';
        const badge = badges?.[name];
        const textX = badge ? (n.w - (badge.length * 7 + 16)) / 2 : n.w / 2;
        return html`<g class=${cls} data-step=${name} data-state=${state ?? ''} transform=${`translate(${n.x - n.w / 2},${n.y - n.h / 2})`}
            ...${onSelect ? { role: 'button', tabindex: '0', 'aria-label': `step ${name}`, onClick: () => onSelect(name), onKeyDown: (e: KeyboardEvent) => key(e, name) } : {}}>
          <title>${n.step.doc ? `${name}: ${n.step.doc}` : `${name} (${n.step.type})`}${state ? ` — ${state}` : ''}</title>
          <rect width=${n.w} height=${n.h} rx="9" />
          <text x=${textX} y=${n.h / 2 + 4.5} text-anchor="middle">${glyph ? `${glyph} ` : ''}${name}</text>
          ${badge ? html`<text class="cc-dag-badge" x=${n.w - 10} y=${n.h / 2 + 4} text-anchor="end">${badge}</text>` : null}
        </g>`;
      })}
    </svg>
  </div>`;
}

/** The card component: the flow's graph with the card's step highlighted. */
export function Dag({ c }: { c: Extract<CardComponent, { type: 'dag' }> }): VNode {
  return html`<${DagView} steps=${c.steps ?? []} highlight=${c.highlight} />`;
}
