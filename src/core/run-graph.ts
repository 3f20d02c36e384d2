/**
 * The graph of a run as it is stored with the run (a JSON blob named by the `_parameters` task's
 * record): the static graph the orchestrator ran, in plain data, so that readers (the web UI, cards)
 * can draw it without the flow's source.
 */

/** One step of a run's graph. */
export interface RunGraphStep {
  name: string;
  /** `start`, `linear`, `split`, `foreach`, `switch`, `join` or `end`. */
  type: string;
  /** Successors, in the order written (for a switch: its case targets). */
  out: string[];
  /** For a foreach: the artifact it iterates over. */
  foreach?: string;
  /** For a switch: the condition artifact. */
  condition?: string;
  /** For a switch: case value → target step. */
  cases?: Record<string, string>;
  /** For a join: the split it closes. */
  matchingSplit?: string;
  /** The step's doc comment. */
  doc?: string;
}

export interface RunGraph {
  version: 1;
  flow: string;
  start: string;
  end: string;
  /** In source order. */
  steps: RunGraphStep[];
}

/** Reads a stored graph back; undefined when the bytes are not one (an unknown version, say). */
export function parseRunGraph(bytes: Uint8Array): RunGraph | undefined {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const g = v as Partial<RunGraph> | null;
  if (!g || g.version !== 1 || !Array.isArray(g.steps) || typeof g.start !== 'string' || typeof g.end !== 'string') return undefined;
  const ok = g.steps.every((s) => s && typeof s.name === 'string' && typeof s.type === 'string' && Array.isArray(s.out) && s.out.every((o) => typeof o === 'string'));
  return ok ? (g as RunGraph) : undefined;
}
