/** The `show` command's text: Metaflow's format, adapted. */
import { topologicalOrder } from './graph.js';
import type { FlowGraph, StepNode } from './types.js';

const INDENT = '    ';

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : INDENT + line))
    .join('\n');
}

/** `=> a, b`, `=> fe (foreach over xs)`, `=> big: heavy, small: light (switch on size)`. */
function transitionLine(node: StepNode): string | undefined {
  if (node.type === 'end' || node.out.length === 0) return undefined;
  if (node.switch) {
    const cases = Object.entries(node.switch.cases)
      .map(([key, target]) => `${key}: ${target}`)
      .join(', ');
    const on = node.switch.condition === '' ? '' : ` (switch on ${node.switch.condition})`;
    return `=> ${cases}${on}`;
  }
  if (node.foreach !== undefined) return `=> ${node.out.join(', ')} (foreach over ${node.foreach})`;
  return `=> ${node.out.join(', ')}`;
}

/**
 * Describes a flow: its doc comment, its parameters (one line each, when given), then every step
 * in topological order with its decorators other than `@step`, its doc comment (or `?`) and where
 * it goes next:
 *
 * ```
 * @retry
 * Step *b*
 *     Fetches the shards.
 *     => fe (foreach over xs)
 * ```
 */
export function renderGraph(graph: FlowGraph, options: { parameters?: readonly string[] } = {}): string {
  const blocks: string[] = [];
  if (graph.doc !== undefined && graph.doc !== '') blocks.push(graph.doc);
  if (options.parameters?.length) blocks.push(['Parameters', ...options.parameters.map((line) => INDENT + line)].join('\n'));
  for (const name of topologicalOrder(graph)) {
    const node = graph.steps.get(name);
    if (node === undefined) continue;
    const lines = node.decorators.filter((d) => d !== 'step').map((d) => `@${d}`);
    lines.push(`Step *${node.name}*`);
    lines.push(indent(node.doc !== undefined && node.doc !== '' ? node.doc : '?'));
    const next = transitionLine(node);
    if (next !== undefined) lines.push(INDENT + next);
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
