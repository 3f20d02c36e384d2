/** Lint checks on the shape of the graph: loops, orphans, split/join balance, empty branches. */
import { ExpansionBudget } from './graph.js';
import type { LintContext } from './lint-context.js';
import type { StepNode } from './types.js';

const SWITCH_HINT = 'this.next({ key: this.step, ... }, { condition: \'artifact\' })';

function children(ctx: LintContext, node: StepNode): StepNode[] {
  const out: StepNode[] = [];
  for (const name of node.out) {
    if (node.type === 'switch' && name === node.name) continue; // a switch may loop on itself
    const child = ctx.graph.steps.get(name);
    if (child) out.push(child);
  }
  return out;
}

/** No loops, except a switch case that targets the switch step itself. */
export function checkForAcyclicity(ctx: LintContext): boolean {
  const state = new Map<string, 'active' | 'done'>();
  const path: string[] = [];
  let ok = true;
  const visit = (node: StepNode): void => {
    state.set(node.name, 'active');
    path.push(node.name);
    for (const child of children(ctx, node)) {
      const seen = state.get(child.name);
      if (seen === 'active') {
        ok = false;
        const loop = [...path.slice(path.indexOf(child.name)), child.name].join('->');
        ctx.report(
          node,
          `There is a loop in your flow: *${loop}*. Break the loop by fixing the this.next() transition of ` +
            `step *${node.name}* (only a switch may loop back to itself: ${SWITCH_HINT}).`,
          node.nextLoc,
        );
      } else if (seen === undefined) {
        visit(child);
      }
    }
    path.pop();
    state.set(node.name, 'done');
  };
  const start = ctx.graph.steps.get(ctx.graph.start);
  if (start) visit(start);
  for (const node of ctx.graph.steps.values()) if (!state.has(node.name)) visit(node);
  return ok;
}

/** Every step is reachable from the start step. */
export function checkForOrphans(ctx: LintContext): void {
  const start = ctx.graph.start;
  for (const node of ctx.graph.steps.values()) {
    if (ctx.reachable.has(node.name)) continue;
    ctx.report(
      node,
      `Step *${node.name}* is unreachable from the entry step *${start}*. ` +
        `Add this.next(this.${node.name}) in another step or remove *${node.name}*.`,
    );
  }
}

interface OpenSplit {
  split: string;
  /** The first step of each branch. */
  roots: string[];
}

/**
 * Metaflow's `check_split_join_balance`: walks the paths from start with the stack of open splits;
 * every join must close the innermost open split with exactly its branches, and the end step must
 * be reached with no split open. Needs a graph with known targets and no loops.
 */
export function checkSplitJoinBalance(ctx: LintContext): void {
  const { steps } = ctx.graph;
  const budget = new ExpansionBudget();
  const reported = new Set<string>();
  // One issue per step: a join reached along several paths is explained once.
  const report = (node: StepNode, message: string): void => {
    if (reported.has(node.name)) return;
    reported.add(node.name);
    ctx.report(node, message);
  };

  /** The stack after the join, or undefined when the join is wrong (the path is not followed further). */
  const joinStep = (node: StepNode, stack: OpenSplit[]): OpenSplit[] | undefined => {
    const top = stack.at(-1);
    if (top === undefined) {
      report(
        node,
        `Step *${node.name}* seems like a join step (it takes an extra input argument) but it is not preceded ` +
          `by a split. Ensure that there is a matching split for every join, or remove the inputs parameter.`,
      );
      return undefined;
    }
    const split = steps.get(top.split);
    const preds = node.in.filter((p) => ctx.reachable.has(p));
    // The branch each incoming step is on (an edge straight from the split is its own branch).
    const branchOf = (p: string): string =>
      p === top.split ? node.name : (steps.get(p)?.splitBranches?.at(-1) ?? p);
    const resolved = [...new Set(preds.map(branchOf))];
    const expected = new Set(top.roots);
    if (resolved.length !== expected.size || resolved.some((b) => !expected.has(b))) {
      report(
        node,
        `Step *${node.name}* seems like a join step (it takes an extra input argument) but an incorrect number ` +
          `of steps (*${resolved.join(', ')}*) lead to it. This join was expecting ${expected.size} incoming ` +
          `paths, starting from split step(s) *${top.roots.join(', ')}*. Make every branch of *${top.split}* ` +
          `lead to *${node.name}*, and join any split opened inside a branch before it.`,
      );
      return undefined;
    } else {
      const parents = (p: string): string => {
        const n = steps.get(p);
        if (p === top.split) return [...(split?.splitParents ?? []), p].join(',');
        const list = n?.type === 'join' ? n.splitParents.slice(0, -1) : (n?.splitParents ?? []);
        return list.join(',');
      };
      if (new Set(preds.map(parents)).size > 1) {
        report(
          node,
          `Step *${node.name}* joins steps from unrelated splits. Ensure that there is a matching join for every split.`,
        );
        return undefined;
      }
    }
    return stack.slice(0, -1);
  };

  const walk = (node: StepNode, stack: OpenSplit[], path: Set<string>): void => {
    if (!budget.enter(node.name, stack.map((s) => s.split).join(','))) return;
    let next: OpenSplit[] | undefined = stack;
    if (node.type === 'split' || node.type === 'foreach') {
      next = [...stack, { split: node.name, roots: node.out }];
    } else if (node.type === 'join') {
      next = joinStep(node, stack);
      if (next === undefined) return;
    } else if (node.type === 'end') {
      const top = stack.at(-1);
      if (top) {
        report(
          node,
          `The terminal step *${node.name}* was reached before a split started at step(s) ` +
            `*${top.roots.join(', ')}* were joined. Add a join step before *${node.name}*.`,
        );
      }
      return;
    }
    for (const child of children(ctx, node)) {
      if (!path.has(child.name)) walk(child, next, new Set(path).add(child.name));
    }
  };
  const start = steps.get(ctx.graph.start);
  if (start) walk(start, [], new Set([start.name]));
}

/** A foreach (or a static branch) that goes straight into a join has no children to run. */
export function checkEmptySplits(ctx: LintContext, nodes: StepNode[]): void {
  for (const node of nodes) {
    if (node.type !== 'foreach' && node.type !== 'split') continue;
    const join = node.out.find((n) => ctx.graph.steps.get(n)?.type === 'join');
    if (join === undefined) continue;
    const what = node.type === 'foreach' ? 'a foreach split that has no children' : 'a split with a branch that has no steps';
    ctx.report(
      node,
      `Step *${node.name}* is ${what}: it is followed immediately by a join step, *${join}*. ` +
        `Add at least one step between the split and the join.`,
    );
  }
}

/** A switch case may not target a join directly. */
export function checkAmbiguousJoins(ctx: LintContext, nodes: StepNode[]): void {
  for (const node of nodes) {
    if (node.type !== 'join') continue;
    const parents = node.in.filter((p) => ctx.graph.steps.get(p)?.type === 'switch');
    if (parents.length === 0) continue;
    ctx.report(
      node,
      `A conditional path cannot lead directly to a join step. In your conditional step(s) ` +
        `${parents.map((p) => `*${p}*`).join(', ')}, one or more of the possible paths transition directly to ` +
        `the join step *${node.name}*. As a workaround, introduce an intermediate, unconditional step on that ` +
        `specific path before joining.`,
    );
  }
}
