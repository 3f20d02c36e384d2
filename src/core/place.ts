/**
 * A task's place in the unfolding of a run: its step, its foreach indices and, for a step a switch
 * loops back to, its iteration. The same place names the same task in every run of a flow, so that
 * resume can clone tasks and runs can be compared task by task. Pure; no I/O.
 */
import type { ForeachFrame } from './types.js';

/** What a task's place is computed from (a task row of the metadata store has it). */
export interface PlacedTask {
  step: string;
  foreachStack: readonly Pick<ForeachFrame, 'index'>[];
}

/** The key of a place: `step[i,j]#iteration`. */
export function taskPlace(step: string, stack: readonly Pick<ForeachFrame, 'index'>[], iteration: number): string {
  return `${step}[${stack.map((f) => f.index).join(',')}]#${iteration}`;
}

/**
 * The place of each task, in the order given (task-id order). A run never records two tasks of one
 * step with the same foreach indices except for a switch looping back to that step, one task per
 * iteration, so the k-th task (in task-id order) of a step and foreach indices is iteration k.
 */
export function placesOf<T extends PlacedTask>(tasks: readonly T[]): Array<{ task: T; place: string; iteration: number }> {
  const seen = new Map<string, number>();
  return tasks.map((task) => {
    const group = taskPlace(task.step, task.foreachStack, 0);
    const iteration = seen.get(group) ?? 0;
    seen.set(group, iteration + 1);
    return { task, place: taskPlace(task.step, task.foreachStack, iteration), iteration };
  });
}

/** A place for people: `''` for a step's only task, `foreach index 3`, `foreach indices 1, 3`, `iteration 2`. */
export function describePlace(stack: readonly Pick<ForeachFrame, 'index'>[], iteration: number): string {
  const parts: string[] = [];
  if (stack.length === 1) parts.push(`foreach index ${stack[0]!.index}`);
  else if (stack.length > 1) parts.push(`foreach indices ${stack.map((f) => f.index).join(', ')}`);
  if (iteration > 0) parts.push(`iteration ${iteration}`);
  return parts.join(', ');
}
