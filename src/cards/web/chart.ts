/**
 * Vega-Lite charts. The renderer (vega, vega-lite, vega-embed: about a megabyte) is a bundle of its
 * own, `vega.js`, that the page includes only when a card holds a chart; it installs
 * `window.cairnVega`. Expressions are evaluated by vega-interpreter, so no `eval` is needed and the
 * page's Content-Security-Policy can forbid it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CardComponent } from '../document.js';
import { html, type VNode } from './h.js';

export interface VegaApi {
  embed(el: HTMLElement, spec: unknown, options: { actions: boolean }): Promise<{ finalize(): void }>;
}

declare global {
  interface Window {
    cairnVega?: VegaApi;
  }
}

export function VegaChart({ c }: { c: Extract<CardComponent, { type: 'vegaChart' }> }): VNode {
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const spec = JSON.stringify(c.spec ?? {});
  useEffect(() => {
    const el = ref.current;
    const api = window.cairnVega;
    if (!el) return undefined;
    if (!api) {
      setError('The chart renderer is not loaded in this page: reload the card to draw the chart.');
      if (window.parent !== window) window.parent.postMessage({ type: 'cairn-card-reload' }, '*');
      return undefined;
    }
    let done: { finalize(): void } | undefined;
    let cancelled = false;
    setError(undefined);
    api.embed(el, JSON.parse(spec), { actions: c.showControls === true }).then(
      (r) => {
        if (cancelled) r.finalize();
        else done = r;
      },
      (e: unknown) => !cancelled && setError(`The chart could not be drawn: ${(e as Error)?.message ?? String(e)}`),
    );
    return () => {
      cancelled = true;
      done?.finalize();
    };
  }, [spec, c.showControls]);
  return html`<div class="cc-chart">
    <div class="cc-chart-view" ref=${ref}></div>
    ${error ? html`<div class="cc-error"><div class="cc-error-message">${error}</div></div>` : null}
  </div>`;
}
