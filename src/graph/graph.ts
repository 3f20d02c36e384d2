/** Builds the static flow graph from the parsed source, as Metaflow's `FlowGraph` does. */
import type { FlowGraph, NodeType, ParsedFlow, ParsedStep, StepNode } from './types.js';

/** The entry and terminal steps are the steps with these names. */
export const START_STEP = 'start';
export const END_STEP = 'end';

function nodeType(step: ParsedStep): NodeType {
  if (step.name === END_STEP) return 'end';
  switch (step.transition.kind) {
    case 'split':
      return 'split';
    case 'foreach':
      return 'foreach';
    case 'switch':
      return 'switch';
    default:
      // A step taking `inputs` is a join; the entry step is `start` unless it splits (Metaflow).
      if (step.numArgs >= 1) return 'join';
      return step.name === START_STEP ? 'start' : 'linear';
  }
}

function successors(step: ParsedStep): string[] {
  if (step.name === END_STEP) return []; // lint reports a `this.next` in the end step
  const tr = step.transition;
  switch (tr.kind) {
    case 'linear':
      return [tr.target];
    case 'split':
      return [...tr.targets];
    case 'foreach':
      return [tr.target];
    case 'switch':
      return [...new Set(tr.targets)];
    default:
      return [];
  }
}

function toNode(step: ParsedStep): StepNode {
  const node: StepNode = {
    name: step.name,
    type: nodeType(step),
    loc: step.loc,
    numArgs: step.numArgs,
    out: successors(step),
    in: [],
    splitParents: [],
    splitBranches: [],
    decorators: [...step.decorators],
    strayNextLocs: [...step.strayNextLocs],
  };
  if (step.nextLoc) node.nextLoc = step.nextLoc;
  if (step.lines) node.lines = { ...step.lines };
  if (step.doc !== undefined) node.doc = step.doc;
  const tr = step.transition;
  if (step.name !== END_STEP) {
    if (tr.kind === 'foreach') node.foreach = tr.foreach;
    if (tr.kind === 'switch') node.switch = { condition: tr.condition ?? '', cases: { ...tr.cases } };
    if (tr.kind === 'invalid') node.invalidNext = tr.reason;
  }
  return node;
}

/**
 * The graph of a parsed flow: node types, edges, and for every step reachable from `start` its
 * enclosing splits (`splitParents`, Metaflow's `split_parents`: static branches and foreaches, not
 * switches) and for joins the split they close. Never throws: a malformed flow gives a graph that
 * `lintGraph` explains. When a step name is defined twice, the later definition wins.
 */
export function buildGraph(parsed: ParsedFlow): FlowGraph {
  const steps = new Map<string, StepNode>();
  for (const step of parsed.steps) steps.set(step.name, toNode(step));

  for (const node of steps.values()) {
    for (const target of node.out) {
      const child = steps.get(target);
      if (child && !child.in.includes(node.name)) child.in.push(node.name);
    }
  }
  // Keep `in` in source order, whatever order the edges were found in.
  const order = new Map([...steps.keys()].map((name, i) => [name, i]));
  for (const node of steps.values()) node.in.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));

  const graph: FlowGraph = { flowName: parsed.flowName, file: parsed.file, steps, start: START_STEP, end: END_STEP };
  if (parsed.doc !== undefined) graph.doc = parsed.doc;
  graph.loc = parsed.loc;
  traverse(graph);
  return graph;
}

/**
 * In a sound graph every step is reached with one stack of open splits; a malformed one (splits
 * never closed) can reach a step with exponentially many. Past this many, a step is not expanded
 * again: lint reports such graphs anyway, and the walk stays fast.
 */
export const MAX_STACKS_PER_STEP = 8;

/** Remembers which (step, stack) pairs a walk has expanded, with `MAX_STACKS_PER_STEP` per step. */
export class ExpansionBudget {
  private readonly seen = new Set<string>();
  private readonly perStep = new Map<string, number>();

  /** True the first time `step` is reached with `stackKey`, while the step's budget lasts. */
  enter(step: string, stackKey: string): boolean {
    const key = `${step}|${stackKey}`;
    const count = this.perStep.get(step) ?? 0;
    if (this.seen.has(key) || count >= MAX_STACKS_PER_STEP) return false;
    this.seen.add(key);
    this.perStep.set(step, count + 1);
    return true;
  }
}

/**
 * Metaflow's `_traverse_graph`: walks the paths from `start`, carrying the stack of open splits
 * and of the branches taken. Each (step, stack) pair is expanded once, and steps already on the
 * current path are not re-entered (loops), so the walk always ends.
 */
function traverse(graph: FlowGraph): void {
  const budget = new ExpansionBudget();
  const walk = (node: StepNode, path: Set<string>, parents: string[], branches: string[]): void => {
    if (!budget.enter(node.name, `${parents.join(',')}|${branches.join(',')}`)) return;

    let addBranch = false;
    if (node.type === 'split' || node.type === 'foreach') {
      node.splitParents = parents;
      node.splitBranches = branches;
      addBranch = true;
      parents = [...parents, node.name];
    } else if (node.type === 'join') {
      // A join without an open split keeps empty lists (lint reports it).
      const split = parents.at(-1);
      if (split !== undefined) {
        const splitNode = graph.steps.get(split);
        if (splitNode) splitNode.matchingJoin = node.name;
        node.matchingSplit = split;
        node.splitParents = parents;
        node.splitBranches = branches.slice(0, -1);
        parents = parents.slice(0, -1);
        branches = branches.slice(0, -1);
      }
    } else {
      node.splitParents = parents;
      node.splitBranches = branches;
    }

    for (const name of node.out) {
      const child = graph.steps.get(name);
      if (child === undefined || path.has(name)) continue;
      const next = new Set(path).add(name);
      walk(child, next, parents, addBranch ? [...branches, name] : branches);
    }
  };
  const start = graph.steps.get(graph.start);
  if (start) walk(start, new Set([start.name]), [], []);
}

/** Names of the steps reachable from `start` (following known targets only). */
export function reachableSteps(graph: FlowGraph): Set<string> {
  const seen = new Set<string>();
  const stack = graph.steps.has(graph.start) ? [graph.start] : [];
  for (let name = stack.pop(); name !== undefined; name = stack.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    for (const next of graph.steps.get(name)?.out ?? []) if (graph.steps.has(next)) stack.push(next);
  }
  return seen;
}

/**
 * Step names in topological order (every step after all of its predecessors, loops aside), with
 * branches in the order written: a depth-first reverse post-order from `start`. Steps that are not
 * reachable from `start` follow, in source order.
 */
export function topologicalOrder(graph: FlowGraph): string[] {
  const done = new Set<string>();
  const onPath = new Set<string>();
  const post: string[] = [];
  const visit = (name: string): void => {
    if (done.has(name) || onPath.has(name)) return;
    const node = graph.steps.get(name);
    if (node === undefined) return;
    onPath.add(name);
    // Children in reverse, so that after reversing the post-order they come out as written.
    for (const next of [...node.out].reverse()) visit(next);
    onPath.delete(name);
    done.add(name);
    post.push(name);
  };
  visit(graph.start);
  const order = post.reverse();
  for (const name of graph.steps.keys()) if (!done.has(name)) order.push(name);
  return order;
}
