/**
 * The run's timeline (a Gantt chart): one band per step, each task a bar from its start to its end
 * (to now while it runs), tasks that overlap on separate lanes, so a band is as tall as the step was
 * parallel. Drawn on a canvas, so that 10,000 tasks draw in a few milliseconds; zoom with the
 * buttons or Ctrl + wheel, scroll sideways, hover a bar for the task, click it to open the task.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import type { StepSummary, TaskSummary } from '../../api/types.js';
import { duration } from '../bits.js';
import { navigate, taskHref } from '../router.js';

const LANE_H = 9;
const LANE_GAP = 2;
const BAND_PAD = 6;
const LABEL_W = 150;
const AXIS_H = 22;
/** Lanes drawn per step at most; tasks beyond share the last lane. */
const MAX_LANES = 48;
/** The widest plot drawn, in CSS pixels (canvases have a size limit). */
const MAX_PLOT_W = 24_000;
const MAX_ZOOM = 24;

interface Bar {
  task: TaskSummary;
  start: number;
  end: number;
  lane: number;
}

interface Band {
  step: string;
  top: number;
  height: number;
  bars: Bar[];
  lanes: Bar[][];
}

/** Packs a step's tasks onto lanes: each task on the first lane free at its start. */
export function packLanes(tasks: readonly TaskSummary[], now: number): Bar[][] {
  const sorted = [...tasks].sort((a, b) => a.createdAt - b.createdAt);
  const ends: number[] = [];
  const lanes: Bar[][] = [];
  for (const task of sorted) {
    const start = task.createdAt;
    const end = Math.max(start, task.finishedAt ?? now);
    let lane = ends.findIndex((e) => e <= start);
    if (lane < 0) {
      if (ends.length < MAX_LANES) {
        lane = ends.length;
        ends.push(0);
        lanes.push([]);
      } else lane = MAX_LANES - 1;
    }
    ends[lane] = Math.max(ends[lane]!, end);
    lanes[lane]!.push({ task, start, end, lane });
  }
  return lanes;
}

function bandsOf(steps: readonly StepSummary[], now: number): { bands: Band[]; height: number; t0: number; t1: number } {
  let top = AXIS_H;
  let t0 = Infinity;
  let t1 = -Infinity;
  const bands = steps.map((s) => {
    const lanes = packLanes(s.tasks, now);
    const bars = lanes.flat();
    for (const b of bars) {
      t0 = Math.min(t0, b.start);
      t1 = Math.max(t1, b.end);
    }
    const height = Math.max(1, lanes.length) * (LANE_H + LANE_GAP) + BAND_PAD * 2;
    const band = { step: s.name, top, height, bars, lanes };
    top += height;
    return band;
  });
  if (!Number.isFinite(t0)) {
    t0 = now;
    t1 = now + 1000;
  }
  return { bands, height: top + 4, t0, t1: Math.max(t1, t0 + 1) };
}

function cssVar(el: Element, name: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || '#888';
}

/** Round steps for the time axis: 1, 2, 5 × a power of ten ms. */
function tickStep(msPerPx: number): number {
  const want = msPerPx * 90;
  const p = 10 ** Math.floor(Math.log10(want));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= want) ?? 10 * p;
}

export function Timeline({ steps, live, flow, runId }: { steps: StepSummary[]; live: boolean; flow: string; runId: string }): VNode {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [zoom, setZoom] = useState(1);
  const [width, setWidth] = useState(900);
  const [tick, setTick] = useState(0);
  const [hover, setHover] = useState<{ bar: Bar; x: number; y: number } | undefined>(undefined);
  const now = useMemo(() => Date.now(), [steps, tick]);
  const laid = useMemo(() => bandsOf(steps, now), [steps, now]);
  const taskCount = laid.bands.reduce((n, b) => n + b.bars.length, 0);
  const plotW = Math.min(MAX_PLOT_W, Math.max(200, (width - LABEL_W - 16) * zoom));
  const msPerPx = (laid.t1 - laid.t0) / plotW;
  const xOf = (t: number) => LABEL_W + (t - laid.t0) / msPerPx;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    if (!live) return;
    const id = setInterval(() => setTick((t) => t + 1), 1000);
    return () => clearInterval(id);
  }, [live]);

  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = window.devicePixelRatio || 1;
    const w = LABEL_W + plotW + 16;
    c.width = Math.ceil(w * dpr);
    c.height = Math.ceil(laid.height * dpr);
    c.style.width = `${w}px`;
    c.style.height = `${laid.height}px`;
    const g = c.getContext('2d');
    if (!g) return;
    g.scale(dpr, dpr);
    const color = {
      succeeded: cssVar(c, '--ok'),
      failed: cssVar(c, '--bad'),
      running: cssVar(c, '--run'),
      line: cssVar(c, '--line'),
      muted: cssVar(c, '--muted'),
      ink: cssVar(c, '--ink'),
      soft: cssVar(c, '--soft'),
    };
    g.font = '11px ui-monospace, Menlo, Consolas, monospace';
    g.textBaseline = 'middle';
    // The time axis.
    const step = tickStep(msPerPx);
    g.fillStyle = color.muted;
    g.strokeStyle = color.line;
    g.lineWidth = 1;
    for (let t = 0; t <= laid.t1 - laid.t0; t += step) {
      const x = Math.round(xOf(laid.t0 + t)) + 0.5;
      g.beginPath();
      g.moveTo(x, AXIS_H - 4);
      g.lineTo(x, laid.height);
      g.stroke();
      g.fillText(t === 0 ? '0' : duration(t), x + 3, AXIS_H / 2);
    }
    for (const [i, band] of laid.bands.entries()) {
      if (i % 2 === 1) {
        g.fillStyle = color.soft;
        g.globalAlpha = 0.55;
        g.fillRect(0, band.top, LABEL_W + plotW + 16, band.height);
        g.globalAlpha = 1;
      }
      g.fillStyle = color.ink;
      g.fillText(band.step.length > 19 ? `${band.step.slice(0, 18)}…` : band.step, 8, band.top + Math.min(band.height / 2, 14));
      g.fillStyle = color.muted;
      if (band.bars.length > 1) g.fillText(`${band.bars.length.toLocaleString('en-US')} tasks`, 8, band.top + Math.min(band.height / 2, 14) + 13);
      for (const bar of band.bars) {
        const x = xOf(bar.start);
        const span = (bar.end - bar.start) / msPerPx;
        // A pixel of space between bars that follow each other on a lane.
        const w = Math.max(1.5, span > 4 ? span - 1 : span);
        const y = band.top + BAND_PAD + bar.lane * (LANE_H + LANE_GAP);
        const attempts = bar.task.attempts;
        if (attempts && attempts.length > 1) {
          // A retried task: each attempt its own segment, in its own colour.
          for (const a of attempts) {
            const from = a.startedAt ?? bar.start;
            const to = a.finishedAt ?? (a.status === 'running' ? bar.end : from);
            g.fillStyle = color[a.status];
            g.fillRect(xOf(from), y, Math.max(1.5, (to - from) / msPerPx - 1), LANE_H);
          }
          continue;
        }
        g.fillStyle = color[bar.task.status];
        g.fillRect(x, y, w, LANE_H);
      }
    }
  }, [laid, plotW, msPerPx]);

  const barAt = (x: number, y: number): Bar | undefined => {
    const band = laid.bands.find((b) => y >= b.top && y < b.top + b.height);
    if (!band) return undefined;
    const lane = Math.floor((y - band.top - BAND_PAD) / (LANE_H + LANE_GAP));
    const t = laid.t0 + (x - LABEL_W) * msPerPx;
    const slack = 3 * msPerPx;
    return band.lanes[lane]?.find((b) => t >= b.start - slack && t <= b.end + slack);
  };
  const onMove = (e: MouseEvent) => {
    const r = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const bar = barAt(e.clientX - r.left, e.clientY - r.top);
    setHover(bar ? { bar, x: e.clientX - r.left, y: e.clientY - r.top } : undefined);
  };
  const onClick = (e: MouseEvent) => {
    const r = (e.currentTarget as HTMLCanvasElement).getBoundingClientRect();
    const bar = barAt(e.clientX - r.left, e.clientY - r.top);
    if (bar) navigate(taskHref(flow, runId, bar.task.step, bar.task.id));
  };
  const onWheel = (e: WheelEvent) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    setZoom((z) => Math.min(MAX_ZOOM, Math.max(1, z * (e.deltaY < 0 ? 1.25 : 0.8))));
  };
  const t = hover?.bar.task;
  return html`<div class="timeline" data-tasks=${taskCount}>
    <div class="timeline-tools">
      <span class="muted small">${duration(laid.t1 - laid.t0)} · ${taskCount.toLocaleString('en-US')} task${taskCount === 1 ? '' : 's'}</span>
      <span class="grow"></span>
      <button type="button" class="btn" aria-label="zoom out" disabled=${zoom <= 1} onClick=${() => setZoom((z) => Math.max(1, z / 2))}>−</button>
      <span class="muted small zoom-level">${zoom >= 10 ? Math.round(zoom) : zoom.toFixed(zoom % 1 ? 1 : 0)}×</span>
      <button type="button" class="btn" aria-label="zoom in" disabled=${zoom >= MAX_ZOOM} onClick=${() => setZoom((z) => Math.min(MAX_ZOOM, z * 2))}>+</button>
      <button type="button" class="btn" onClick=${() => setZoom(1)} disabled=${zoom === 1}>Fit</button>
    </div>
    <div class="timeline-box" ref=${box} onWheel=${onWheel}>
      <canvas ref=${canvas} class=${hover ? 'pointing' : ''} role="img" aria-label=${`timeline of ${taskCount} tasks`} onMouseMove=${onMove} onMouseLeave=${() => setHover(undefined)} onClick=${onClick}></canvas>
      ${t ? html`<div class="timeline-tip" style=${`left:${hover!.x + 14}px;top:${hover!.y + 10}px`}>
        <b class="mono">${t.step}/${t.id}</b>${t.foreach ? html` <span class="muted">#${t.foreach.index}${t.foreach.value !== undefined ? ` ${t.foreach.value}` : ''}</span>` : null}
        <div>${t.lost ? 'failed (lost)' : t.status} · ${duration((t.finishedAt ?? Date.now()) - t.createdAt)}${t.attempt > 0 ? ` · attempt ${t.attempt + 1}` : ''}</div>
        ${t.attempts && t.attempts.length > 1 ? html`<div class="muted">${t.attempts.map((a) => `#${a.attempt + 1} ${a.status}`).join(' → ')}</div>` : null}
      </div>` : null}
    </div>
  </div>`;
}
