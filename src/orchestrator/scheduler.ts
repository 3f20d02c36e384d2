/**
 * Unfolds a run's graph as tasks finish: which tasks to launch next, and when a join has all of
 * its inputs. Pure bookkeeping, no I/O.
 */
import type { ForeachFrame, TaskAttemptKey } from '../core/types.js';
import type { FlowGraph } from '../graph/types.js';
import type { TaskSuccess } from '../runtime/protocol.js';

export interface PlannedTask {
  step: string;
  foreachStack: ForeachFrame[];
  /** Parent task attempts; a foreach join's are in split-index order. */
  parents: TaskAttemptKey[];
  /** How many times a switch looped back to this step before this task (0 for most tasks). */
  iteration: number;
}

export interface FinishedTask {
  key: TaskAttemptKey;
  foreachStack: ForeachFrame[];
  iteration: number;
}

interface Pending {
  expected: number;
  arrived: Array<{ order: number; key: TaskAttemptKey }>;
}

function stackKey(stack: readonly ForeachFrame[]): string {
  return stack.map((f) => `${f.step}[${f.index}]`).join('/');
}

export class Scheduler {
  private readonly joins = new Map<string, Pending>();

  constructor(private readonly graph: FlowGraph) {}

  /** The first task: `start`, reading the run's parameters. */
  initial(params: TaskAttemptKey): PlannedTask {
    return { step: this.graph.start, foreachStack: [], parents: [params], iteration: 0 };
  }

  /** The tasks that become ready because `task` succeeded with `result`. */
  onSuccess(task: FinishedTask, result: TaskSuccess): PlannedTask[] {
    const planned: PlannedTask[] = [];
    if (result.foreach) {
      const { var: name, numSplits, listSha, listEncoding } = result.foreach;
      const target = result.next[0]!;
      for (let index = 0; index < numSplits; index++) {
        const frame: ForeachFrame = { step: task.key.step, var: name, numSplits, index, listSha, ...(listEncoding ? { listEncoding } : {}) };
        planned.push({ step: target, foreachStack: [...task.foreachStack, frame], parents: [task.key], iteration: 0 });
      }
      return planned;
    }
    for (const next of result.next) {
      const node = this.graph.steps.get(next);
      if (node?.type === 'join') {
        const ready = this.arrive(next, task);
        if (ready) planned.push(ready);
      } else {
        const iteration = next === task.key.step ? task.iteration + 1 : 0;
        planned.push({ step: next, foreachStack: task.foreachStack, parents: [task.key], iteration });
      }
    }
    return planned;
  }

  private arrive(join: string, task: FinishedTask): PlannedTask | undefined {
    const split = this.graph.steps.get(this.graph.steps.get(join)?.matchingSplit ?? '');
    const isForeach = split?.type === 'foreach';
    const stack = task.foreachStack;
    const outer = isForeach ? stack.slice(0, -1) : stack;
    const inner = stack[stack.length - 1];
    const expected = isForeach ? (inner?.numSplits ?? 1) : (split?.out.length ?? 1);
    const key = `${join}|${stackKey(outer)}`;
    let pending = this.joins.get(key);
    if (!pending) {
      pending = { expected, arrived: [] };
      this.joins.set(key, pending);
    }
    // A foreach join's inputs come in split order; a static join's in the order its source lists
    // the steps that lead to it, whichever finished first.
    const order = isForeach ? (inner?.index ?? 0) : (this.graph.steps.get(join)?.in.indexOf(task.key.step) ?? 0);
    pending.arrived.push({ order, key: task.key });
    if (pending.arrived.length < pending.expected) return undefined;
    this.joins.delete(key);
    const parents = pending.arrived.sort((a, b) => a.order - b.order).map((a) => a.key);
    return { step: join, foreachStack: outer, parents, iteration: 0 };
  }
}
