/**
 * What a step's cards need from the orchestrator: the `@card` list, and for a default card the
 * flow's graph and the step's source, which a worker does not have (it runs compiled code).
 * Computed once per step of a run.
 */
import { readFileSync } from 'node:fs';
import type { CardSpec } from '../authoring/decorators.js';
import type { DagStep } from '../cards/document.js';
import type { FlowGraph } from '../graph/types.js';
import type { TaskCards } from '../runtime/protocol.js';

/** The graph as the default card draws it. */
export function dagOf(graph: FlowGraph): DagStep[] {
  return [...graph.steps.values()].map((n) => ({
    name: n.name,
    type: n.type,
    out: [...n.out],
    ...(n.foreach !== undefined ? { foreach: n.foreach } : {}),
    ...(n.switch?.condition ? { condition: n.switch.condition } : {}),
    ...(n.doc !== undefined ? { doc: n.doc } : {}),
  }));
}

/** A step's source lines (decorators included), or undefined when the file cannot be read. */
function stepSource(graph: FlowGraph, step: string, files: Map<string, string[] | undefined>): TaskCards['source'] {
  const node = graph.steps.get(step);
  if (!node?.lines) return undefined;
  const file = node.loc.file;
  if (!files.has(file)) {
    try {
      files.set(file, readFileSync(file, 'utf8').split('\n'));
    } catch {
      files.set(file, undefined);
    }
  }
  const lines = files.get(file);
  if (!lines) return undefined;
  const chosen = lines.slice(node.lines.start - 1, node.lines.end);
  const indent = Math.min(...chosen.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  const code = chosen.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
  const base = file.split(/[\\/]/).pop() ?? file;
  return { file: base, line: node.lines.start, code };
}

/** For each step with cards, what its task specs carry (steps without `@card` are absent). */
export function taskCardsByStep(graph: FlowGraph, cards: ReadonlyMap<string, readonly CardSpec[]>): Map<string, TaskCards> {
  const out = new Map<string, TaskCards>();
  let dag: DagStep[] | undefined;
  const files = new Map<string, string[] | undefined>();
  for (const [step, specs] of cards) {
    if (specs.length === 0) continue;
    const entry: TaskCards = { specs: [...specs] };
    if (specs.some((s) => s.type === 'default')) {
      entry.dag = dag ??= dagOf(graph);
      const source = stepSource(graph, step, files);
      if (source) entry.source = source;
    }
    out.set(step, entry);
  }
  return out;
}
