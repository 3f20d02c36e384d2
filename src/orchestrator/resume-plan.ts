/**
 * The pure part of resume: which steps must run again, where each task of the origin run sits in
 * the run's unfolding (its place), and whether an origin task's recorded transition still fits the
 * flow's graph. No I/O.
 */
import { PARAMETERS_STEP } from '../core/types.js';
import { topologicalOrder } from '../graph/index.js';
import type { FlowGraph, StepNode } from '../graph/types.js';
import type { TaskRecord, TaskRow } from '../storage/types.js';
import { placesOf } from '../core/place.js';

/**
 * The steps a resume runs again whatever the origin did: with `step`, that step and every step
 * reachable from it (loops included), in topological order; without, none.
 */
export function rerunSteps(graph: FlowGraph, step: string | undefined): string[] {
  if (step === undefined) return [];
  const seen = new Set<string>();
  const stack = [step];
  for (let name = stack.pop(); name !== undefined; name = stack.pop()) {
    if (seen.has(name) || !graph.steps.has(name)) continue;
    seen.add(name);
    for (const next of graph.steps.get(name)!.out) stack.push(next);
  }
  return topologicalOrder(graph).filter((s) => seen.has(s));
}

/**
 * The successful tasks of a run by place (`taskPlace`): step, foreach indices and loop iteration.
 * A run never records two tasks of one step with the same foreach indices except for a switch
 * looping back to that step, one task per iteration, so the k-th task (in task-id order) of a step
 * and foreach indices is iteration k. Failed and unfinished tasks take their iteration number but
 * are not in the index. The `_parameters` pseudo-task is left out.
 */
export function placeIndex(tasks: readonly TaskRow[]): Map<string, TaskRow> {
  const index = new Map<string, TaskRow>();
  for (const { task, place } of placesOf(tasks.filter((t) => t.step !== PARAMETERS_STEP))) {
    if (task.status === 'succeeded' && task.doneAttempt !== null) index.set(place, task);
  }
  return index;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Whether the transition an origin task recorded is one its step can make in `node`, the step as
 * the flow now declares it. A task whose step changed where it goes cannot be cloned: the run
 * would continue along a path the code no longer has.
 */
export function transitionFits(node: StepNode, record: TaskRecord): boolean {
  const next = record.next;
  if (next === undefined) return false;
  if (record.foreach) return node.foreach === record.foreach.var && sameSet(next, node.out);
  if (node.foreach !== undefined) return false;
  if (node.switch) return next.length === 1 && Object.values(node.switch.cases).includes(next[0]!);
  return sameSet(next, node.out);
}
