import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, parseFlowSource, type FlowGraph } from '../graph/index.js';
import type { TaskAttemptKey } from '../core/types.js';
import { Scheduler, type PlannedTask } from './scheduler.js';

function graphOf(body: string): FlowGraph {
  const src = `import { FlowSpec, step, type Inputs } from 'cairnflow';\nexport class F extends FlowSpec {\n${body}\n}\n`;
  return buildGraph(parseFlowSource(src, 'f.ts', 'F'));
}

const J = 'inputs: Inputs<F>';
const PARAMS: TaskAttemptKey = { flow: 'F', runId: '1', step: '_parameters', taskId: '0', attempt: 0 };

/** A readable task id: the step and its foreach indexes, outer to inner (`body[1][0]`). */
function label(task: PlannedTask): string {
  return task.step + task.foreachStack.map((f) => `[${f.index}]`).join('');
}

function keyOf(task: PlannedTask): TaskAttemptKey {
  return { flow: 'F', runId: '1', step: task.step, taskId: label(task), attempt: 0 };
}

/** A planned task in short: its label, its parents' labels and its frames. */
function summary(task: PlannedTask): { task: string; parents: string[] } {
  return { task: label(task), parents: task.parents.map((p) => p.taskId) };
}

/**
 * Drives a scheduler the way the orchestrator does: each finished task reports the transition its
 * step makes in the graph (a foreach with `splits` elements, a switch choosing `choose`).
 */
function driver(graph: FlowGraph) {
  const scheduler = new Scheduler(graph);
  const finish = (task: PlannedTask, opts: { splits?: number; choose?: string } = {}): PlannedTask[] => {
    const node = graph.steps.get(task.step);
    assert.ok(node, `no step ${task.step}`);
    let next = node.out;
    let foreach: { var: string; numSplits: number; listSha: string } | undefined;
    if (node.type === 'foreach') {
      assert.ok(opts.splits !== undefined, `${task.step} is a foreach: give splits`);
      foreach = { var: node.foreach!, numSplits: opts.splits, listSha: `sha-${label(task)}` };
    } else if (node.switch) {
      assert.ok(opts.choose !== undefined, `${task.step} is a switch: give choose`);
      next = [node.switch.cases[opts.choose]!];
    }
    return scheduler.onSuccess(
      { key: keyOf(task), foreachStack: task.foreachStack, iteration: task.iteration },
      { ok: true, next, artifactCount: 0, ...(foreach ? { foreach } : {}) },
    );
  };
  /** Finishes a task that must plan exactly one successor, and returns it. */
  const one = (task: PlannedTask, opts: { splits?: number; choose?: string } = {}): PlannedTask => {
    const planned = finish(task, opts);
    assert.equal(planned.length, 1, `${label(task)} planned ${planned.map(label).join(', ') || 'nothing'}`);
    return planned[0]!;
  };
  return { scheduler, finish, one, start: () => scheduler.initial(PARAMS) };
}

describe('Scheduler', () => {
  test('starts with the start step, reading the parameters task, outside any foreach', () => {
    const g = graphOf(`  @step start() { this.next(this.end); }\n  @step end() {}`);
    assert.deepEqual(new Scheduler(g).initial(PARAMS), { step: 'start', foreachStack: [], parents: [PARAMS], iteration: 0 });
  });

  test('plans a linear chain one step at a time, each with the previous task as its parent', () => {
    const g = graphOf(`  @step start() { this.next(this.a); }\n  @step a() { this.next(this.b); }\n  @step b() { this.next(this.end); }\n  @step end() {}`);
    const d = driver(g);
    const a = d.one(d.start());
    assert.deepEqual(a, { step: 'a', foreachStack: [], parents: [keyOf({ step: 'start', foreachStack: [], parents: [], iteration: 0 })], iteration: 0 });
    const b = d.one(a);
    assert.deepEqual(summary(b), { task: 'b', parents: ['a'] });
    const end = d.one(b);
    assert.deepEqual(summary(end), { task: 'end', parents: ['b'] });
    assert.deepEqual(d.finish(end), []);
  });

  test('plans both branches of a static split, and the join only once both have arrived, with both parents', () => {
    const g = graphOf(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.join); }\n  @step b() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const branches = d.finish(d.start());
    assert.deepEqual(branches.map(summary), [
      { task: 'a', parents: ['start'] },
      { task: 'b', parents: ['start'] },
    ]);
    assert.ok(branches.every((t) => t.foreachStack.length === 0));
    assert.deepEqual(d.finish(branches[1]!), []);
    const join = d.one(branches[0]!);
    assert.equal(join.step, 'join');
    assert.deepEqual(join.parents.map((p) => p.taskId).sort(), ['a', 'b']);
    assert.deepEqual(join.foreachStack, []);
    assert.deepEqual(summary(d.one(join)), { task: 'end', parents: ['join'] });
  });

  test('plans one child per foreach element, each with its frame', () => {
    const g = graphOf(
      `  @step start() { this.next(this.body, { foreach: 'xs' }); }\n  @step body() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const children = d.finish(d.start(), { splits: 3 });
    assert.deepEqual(
      children.map((c) => c.foreachStack),
      [0, 1, 2].map((index) => [{ step: 'start', var: 'xs', numSplits: 3, index, listSha: 'sha-start' }]),
    );
    assert.deepEqual(children.map(summary), [
      { task: 'body[0]', parents: ['start'] },
      { task: 'body[1]', parents: ['start'] },
      { task: 'body[2]', parents: ['start'] },
    ]);
  });

  test('plans a foreach join once, after all children, with parents in split-index order and the frame popped', () => {
    const g = graphOf(
      `  @step start() { this.next(this.body, { foreach: 'xs' }); }\n  @step body() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const [c0, c1, c2, c3] = d.finish(d.start(), { splits: 4 });
    assert.deepEqual(d.finish(c2!), []);
    assert.deepEqual(d.finish(c0!), []);
    assert.deepEqual(d.finish(c3!), []);
    const join = d.one(c1!);
    assert.deepEqual(summary(join), { task: 'join', parents: ['body[0]', 'body[1]', 'body[2]', 'body[3]'] });
    assert.deepEqual(join.foreachStack, []);
    assert.deepEqual(summary(d.one(join)), { task: 'end', parents: ['join'] });
  });

  test('plans the join of a one-element foreach as soon as its only child finishes', () => {
    const g = graphOf(
      `  @step start() { this.next(this.body, { foreach: 'xs' }); }\n  @step body() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const [only] = d.finish(d.start(), { splits: 1 });
    assert.deepEqual(summary(d.one(only!)), { task: 'join', parents: ['body[0]'] });
  });

  test('plans the inner join of a nested foreach once per outer index, and the outer join at the end', () => {
    const g = graphOf(
      `  @step start() { this.next(this.outer, { foreach: 'xs' }); }\n` +
        `  @step outer() { this.next(this.inner, { foreach: 'ys' }); }\n` +
        `  @step inner() { this.next(this.innerjoin); }\n` +
        `  @step innerjoin(${J}) { this.next(this.outerjoin); }\n` +
        `  @step outerjoin(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const [o0, o1] = d.finish(d.start(), { splits: 2 });
    const inner0 = d.finish(o0!, { splits: 2 });
    const inner1 = d.finish(o1!, { splits: 3 });
    assert.deepEqual(inner1.map(label), ['inner[1][0]', 'inner[1][1]', 'inner[1][2]']);
    assert.deepEqual(inner1[2]!.foreachStack, [
      { step: 'start', var: 'xs', numSplits: 2, index: 1, listSha: 'sha-start' },
      { step: 'outer', var: 'ys', numSplits: 3, index: 2, listSha: 'sha-outer[1]' },
    ]);

    // Interleaved: inner tasks of both outer indexes finish, out of order.
    assert.deepEqual(d.finish(inner1[2]!), []);
    assert.deepEqual(d.finish(inner0[1]!), []);
    assert.deepEqual(d.finish(inner1[0]!), []);
    const ij0 = d.one(inner0[0]!);
    assert.deepEqual(summary(ij0), { task: 'innerjoin[0]', parents: ['inner[0][0]', 'inner[0][1]'] });
    assert.deepEqual(ij0.foreachStack, [{ step: 'start', var: 'xs', numSplits: 2, index: 0, listSha: 'sha-start' }]);
    assert.deepEqual(d.finish(ij0), []);
    const ij1 = d.one(inner1[1]!);
    assert.deepEqual(summary(ij1), { task: 'innerjoin[1]', parents: ['inner[1][0]', 'inner[1][1]', 'inner[1][2]'] });

    const oj = d.one(ij1);
    assert.deepEqual(summary(oj), { task: 'outerjoin', parents: ['innerjoin[0]', 'innerjoin[1]'] });
    assert.deepEqual(oj.foreachStack, []);
  });

  test('plans only the case a switch chose', () => {
    const g = graphOf(
      `  @step start() { this.next(this.choose); }\n` +
        `  @step choose() { this.next({ big: this.heavy, small: this.light }, { condition: 'size' }); }\n` +
        `  @step heavy() { this.next(this.end); }\n  @step light() { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const choose = d.one(d.start());
    assert.deepEqual(summary(d.one(choose, { choose: 'small' })), { task: 'light', parents: ['choose'] });
    assert.deepEqual(summary(d.one(choose, { choose: 'big' })), { task: 'heavy', parents: ['choose'] });
  });

  test('plans a self-looping switch again each time it chooses itself, then leaves the loop', () => {
    const g = graphOf(
      `  @step start() { this.next(this.loop); }\n` +
        `  @step loop() { this.next({ again: this.loop, done: this.end }, { condition: 'more' }); }\n  @step end() {}`,
    );
    const d = driver(g);
    let task = d.one(d.start());
    const steps: string[] = [];
    for (let i = 0; i < 3; i++) {
      task = d.one(task, { choose: 'again' });
      steps.push(`${task.step}<-${task.parents[0]!.step}`);
      assert.deepEqual(task.foreachStack, []);
    }
    const end = d.one(task, { choose: 'done' });
    steps.push(`${end.step}<-${end.parents[0]!.step}`);
    assert.deepEqual(steps, ['loop<-loop', 'loop<-loop', 'loop<-loop', 'end<-loop']);
  });

  test('keys a static join inside a foreach by the foreach index, so branches of different indexes never mix', () => {
    const g = graphOf(
      `  @step start() { this.next(this.body, { foreach: 'xs' }); }\n` +
        `  @step body() { this.next(this.a, this.b); }\n` +
        `  @step a() { this.next(this.inner); }\n  @step b() { this.next(this.inner); }\n` +
        `  @step inner(${J}) { this.next(this.outer); }\n` +
        `  @step outer(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const [body0, body1] = d.finish(d.start(), { splits: 2 });
    const [a0, b0] = d.finish(body0!);
    const [a1, b1] = d.finish(body1!);
    assert.deepEqual([a0, b0, a1, b1].map((t) => label(t!)), ['a[0]', 'b[0]', 'a[1]', 'b[1]']);

    assert.deepEqual(d.finish(a0!), []);
    assert.deepEqual(d.finish(a1!), []);
    const inner1 = d.one(b1!);
    assert.equal(label(inner1), 'inner[1]');
    assert.deepEqual(inner1.parents.map((p) => p.taskId).sort(), ['a[1]', 'b[1]']);
    const inner0 = d.one(b0!);
    assert.deepEqual(inner0.parents.map((p) => p.taskId).sort(), ['a[0]', 'b[0]']);
    assert.deepEqual(inner0.foreachStack.map((f) => f.index), [0]);

    assert.deepEqual(d.finish(inner1), []);
    const outer = d.one(inner0);
    assert.deepEqual(summary(outer), { task: 'outer', parents: ['inner[0]', 'inner[1]'] });
    assert.deepEqual(outer.foreachStack, []);
  });

  test('waits at a static join for a branch that runs a foreach, until that foreach is joined', () => {
    const g = graphOf(
      `  @step start() { this.next(this.fan, this.side); }\n` +
        `  @step fan() { this.next(this.body, { foreach: 'xs' }); }\n` +
        `  @step body() { this.next(this.fanjoin); }\n` +
        `  @step fanjoin(${J}) { this.next(this.join); }\n` +
        `  @step side() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const d = driver(g);
    const [fan, side] = d.finish(d.start());
    assert.deepEqual(d.finish(side!), []);
    const [x0, x1] = d.finish(fan!, { splits: 2 });
    assert.deepEqual(d.finish(x1!), []);
    const fanjoin = d.one(x0!);
    assert.deepEqual(summary(fanjoin), { task: 'fanjoin', parents: ['body[0]', 'body[1]'] });
    const join = d.one(fanjoin);
    assert.deepEqual(join.parents.map((p) => p.taskId).sort(), ['fanjoin', 'side']);
    assert.deepEqual(join.foreachStack, []);
  });

  test('keeps the joins of two schedulers apart', () => {
    const g = graphOf(
      `  @step start() { this.next(this.a, this.b); }\n  @step a() { this.next(this.join); }\n  @step b() { this.next(this.join); }\n` +
        `  @step join(${J}) { this.next(this.end); }\n  @step end() {}`,
    );
    const first = driver(g);
    const second = driver(g);
    const [a] = first.finish(first.start());
    const [, b] = second.finish(second.start());
    assert.deepEqual(first.finish(a!), []);
    assert.deepEqual(second.finish(b!), []);
  });
});
