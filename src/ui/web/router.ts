/** Real URLs without page loads: links are plain `<a href>`, clicks on them go through history. */
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

export function navigate(href: string, options: { replace?: boolean; scroll?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  if (options.scroll !== false) window.scrollTo(0, 0);
  for (const l of listeners) l();
}

/** The current location (path and query), re-rendering on every navigation. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    window.addEventListener('popstate', l);
    return () => {
      listeners.delete(l);
      window.removeEventListener('popstate', l);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
}

/** Follows same-origin links through history (a modified click, a new tab, a download do what they do). */
export function interceptLinks(): void {
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}

/** The path of a flow, run or task page (each segment encoded). */
export function hrefOf(...parts: string[]): string {
  return `/${parts.map(encodeURIComponent).join('/')}`;
}
export const flowHref = (flow: string): string => hrefOf('flows', flow);
export const runHref = (flow: string, runId: string): string => hrefOf('flows', flow, 'runs', runId);
export const taskHref = (flow: string, runId: string, step: string, taskId: string): string => hrefOf('flows', flow, 'runs', runId, 'steps', step, 'tasks', taskId);
