/**
 * A run as it goes: the run page's data (`/api/flows/F/runs/R`, preloaded with the page) and, while
 * the run goes, its live stream (`…/events`, docs/ui.md): the whole run when the stream opens, then
 * what changed, merged in, until the run is over.
 */
import { useEffect, useState } from 'preact/hooks';
import type { RunDelta, RunResponse, StepSummary, TaskSummary } from '../api/types.js';
import { getJson } from './data.js';
import { runDataUrl } from '../data-urls.js';

/** Merges an update into the run it changes (a new object; unchanged steps keep their arrays). */
export function mergeDelta(data: RunResponse, d: RunDelta): RunResponse {
  const changed = new Map<string, TaskSummary[]>();
  for (const t of d.tasks) {
    const list = changed.get(t.step) ?? [];
    list.push(t);
    changed.set(t.step, list);
  }
  const old = new Map(data.steps.map((s) => [s.name, s]));
  const steps: StepSummary[] = d.steps.map((head) => {
    const before = old.get(head.name);
    const news = changed.get(head.name);
    let tasks = before?.tasks ?? [];
    if (news) {
      tasks = [...tasks];
      const at = new Map(tasks.map((t, i) => [t.pathspec, i]));
      for (const t of news) {
        const i = at.get(t.pathspec);
        if (i === undefined) tasks.push(t);
        else tasks[i] = t;
      }
      tasks.sort((a, b) => compareIds(a.id, b.id));
    }
    return { ...head, tasks };
  });
  return { ...data, run: d.run, currentSteps: d.currentSteps, steps };
}

/** Task ids in the client's order: numbers by value, else as text. */
function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface LiveRun {
  data: RunResponse | undefined;
  error: Error | undefined;
  /** The stream is open: what the page shows follows the run. */
  live: boolean;
  /** When the last event came. */
  at: number;
}

export function useLiveRun(flow: string, runId: string): LiveRun {
  const [state, setState] = useState<LiveRun>({ data: undefined, error: undefined, live: false, at: 0 });
  useEffect(() => {
    const base = runDataUrl(flow, runId);
    let es: EventSource | undefined;
    let data: RunResponse | undefined;
    let done = false;
    let closed = false;
    // The run as it is now (preloaded with the page), then, while it runs, its live stream.
    getJson<RunResponse>(base).then(
      (d) => {
        if (closed) return;
        data = d;
        setState({ data: d, error: undefined, live: d.run.status === 'running', at: Date.now() });
        if (d.run.status === 'running') follow();
      },
      (error: Error) => !closed && setState({ data: undefined, error, live: false, at: Date.now() }),
    );
    const follow = (): void => {
      es = new EventSource(`${base}/events`);
      es.addEventListener('run', (e) => {
        data = JSON.parse((e as MessageEvent<string>).data) as RunResponse;
        setState({ data, error: undefined, live: data.run.status === 'running', at: Date.now() });
      });
      es.addEventListener('update', (e) => {
        if (!data) return;
        data = mergeDelta(data, JSON.parse((e as MessageEvent<string>).data) as RunDelta);
        setState({ data, error: undefined, live: true, at: Date.now() });
      });
      es.addEventListener('end', () => {
        done = true;
        es?.close();
        setState((s) => ({ ...s, live: false }));
      });
      es.onerror = () => {
        // The browser reconnects by itself; the stream then starts with the whole run again.
        if (!done) setState((s) => ({ ...s, live: false }));
      };
    };
    return () => {
      closed = true;
      es?.close();
    };
  }, [flow, runId]);
  return state;
}
