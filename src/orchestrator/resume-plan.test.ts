import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, parseFlowSource, type FlowGraph } from '../graph/index.js';
import type { ForeachFrame, TaskKey } from '../core/types.js';
import type { ArtifactStore, TaskRecord, TaskRow, TaskStatus } from '../storage/types.js';
import { placeIndex, rerunSteps, transitionFits } from './resume-plan.js';
import { gatherClones } from './resume.js';
import { taskPlace } from '../core/place.js';

function graphOf(body: string): FlowGraph {
  const src = `import { FlowSpec, step, type Inputs } from 'cairnflow';\nexport class F extends FlowSpec {\n${body}\n}\n`;
  return buildGraph(parseFlowSource(src, 'f.ts', 'F'));
}

const J = 'inputs: Inputs<F>';
const BRANCHES = graphOf(
  `  @step start() { this.next(this.a, this.b); }
  @step a() { this.next(this.join); }
  @step b() { this.next(this.join); }
  @step join(${J}) { this.next(this.end); }
  @step end() {}`,
);
const LOOP = graphOf(
  `  @step start() { this.next(this.loop); }
  @step loop() { this.next({ again: this.loop, done: this.end }, { condition: 'state' }); }
  @step end() {}`,
);
const FOREACH = graphOf(
  `  @step start() { this.next(this.work, { foreach: 'items' }); }
  @step work() { this.next(this.join); }
  @step join(${J}) { this.next(this.end); }
  @step end() {}`,
);

function frame(index: number, numSplits = 3): ForeachFrame {
  return { step: 'start', var: 'items', numSplits, index, listSha: 'list' };
}

let nextId = 0;
function row(step: string, opts: { status?: TaskStatus; stack?: ForeachFrame[]; doneAttempt?: number | null } = {}): TaskRow {
  const status = opts.status ?? 'succeeded';
  return {
    flow: 'F', runId: '1', step, taskId: String(nextId++), createdAt: 0, finishedAt: 0, status, attempt: 0,
    doneAttempt: opts.doneAttempt !== undefined ? opts.doneAttempt : status === 'succeeded' ? 0 : null,
    foreachStack: opts.stack ?? [], parents: [], originPathspec: null,
  };
}

function record(next: string[] | undefined, foreach?: TaskRecord['foreach']): TaskRecord {
  return { version: 1, artifacts: {}, ...(next ? { next } : {}), ...(foreach ? { foreach } : {}) };
}

describe('rerunSteps', () => {
  test('forces nothing without a step: only failed and never-run tasks run again', () => {
    assert.deepEqual(rerunSteps(BRANCHES, undefined), []);
  });

  test('is the step and everything after it, in graph order, but not a parallel branch', () => {
    assert.deepEqual(rerunSteps(BRANCHES, 'a'), ['a', 'join', 'end']);
    assert.deepEqual(rerunSteps(BRANCHES, 'start'), ['start', 'a', 'b', 'join', 'end']);
    assert.deepEqual(rerunSteps(BRANCHES, 'end'), ['end']);
  });

  test('includes a step that loops back to itself', () => {
    assert.deepEqual(rerunSteps(LOOP, 'loop'), ['loop', 'end']);
  });
});

describe('placeIndex', () => {
  test('names each successful task by step, foreach indices and loop iteration', () => {
    const start = row('start');
    const works = [0, 1, 2].map((i) => row('work', { stack: [frame(i)] }));
    const index = placeIndex([row('_parameters'), start, ...works]);
    assert.deepEqual([...index.keys()], ['start[]#0', 'work[0]#0', 'work[1]#0', 'work[2]#0']);
    assert.equal(index.get(taskPlace('work', [frame(1)], 0)), works[1]);
  });

  test('the k-th task of a step with the same foreach indices is loop iteration k', () => {
    const loops = [row('loop'), row('loop'), row('loop')];
    const index = placeIndex([row('start'), ...loops, row('end')]);
    assert.equal(index.get('loop[]#0'), loops[0]);
    assert.equal(index.get('loop[]#1'), loops[1]);
    assert.equal(index.get('loop[]#2'), loops[2]);
    assert.ok(index.has('end[]#0'));
  });

  test('loop iterations are counted per foreach index', () => {
    const a0 = row('loop', { stack: [frame(0, 2)] });
    const b0 = row('loop', { stack: [frame(1, 2)] });
    const a1 = row('loop', { stack: [frame(0, 2)] });
    const index = placeIndex([a0, b0, a1]);
    assert.equal(index.get('loop[0]#0'), a0);
    assert.equal(index.get('loop[0]#1'), a1);
    assert.equal(index.get('loop[1]#0'), b0);
  });

  test('failed and unfinished tasks keep their iteration number but are not cloned', () => {
    const index = placeIndex([
      row('loop'),
      row('loop', { status: 'failed' }),
      row('work', { stack: [frame(0)], status: 'running' }),
      row('work', { stack: [frame(1)], status: 'succeeded', doneAttempt: null }),
    ]);
    assert.deepEqual([...index.keys()], ['loop[]#0']);
  });
});

describe('transitionFits', () => {
  test('a linear or branching step must go where the graph says, in any order', () => {
    assert.equal(transitionFits(BRANCHES.steps.get('start')!, record(['b', 'a'])), true);
    assert.equal(transitionFits(BRANCHES.steps.get('start')!, record(['a'])), false);
    assert.equal(transitionFits(BRANCHES.steps.get('end')!, record([])), true);
  });

  test('a foreach must split over the same artifact into the same step', () => {
    const start = FOREACH.steps.get('start')!;
    assert.equal(transitionFits(start, record(['work'], { var: 'items', numSplits: 3, listSha: 's' })), true);
    assert.equal(transitionFits(start, record(['work'], { var: 'other', numSplits: 3, listSha: 's' })), false);
    assert.equal(transitionFits(start, record(['work'])), false);
    assert.equal(transitionFits(FOREACH.steps.get('work')!, record(['join'], { var: 'items', numSplits: 3, listSha: 's' })), false);
  });

  test('a switch must have chosen one of its current cases', () => {
    const loop = LOOP.steps.get('loop')!;
    assert.equal(transitionFits(loop, record(['loop'])), true);
    assert.equal(transitionFits(loop, record(['end'])), true);
    assert.equal(transitionFits(loop, record(['start'])), false);
    assert.equal(transitionFits(loop, record(['loop', 'end'])), false);
  });

  test('a record that does not say where the run went cannot be cloned', () => {
    assert.equal(transitionFits(BRANCHES.steps.get('a')!, record(undefined)), false);
  });
});

/** An artifact store that only serves task records, and counts how many reads overlap. */
function recordStore(records: Map<string, TaskRecord>) {
  let inFlight = 0;
  let maxInFlight = 0;
  const store = {
    async getTaskRecord(task: TaskKey): Promise<TaskRecord | undefined> {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return records.get(`${task.step}/${task.taskId}`);
    },
  } as unknown as ArtifactStore;
  return { store, maxInFlight: () => maxInFlight };
}

describe('gatherClones', () => {
  test('reads the records of the cloneable tasks in parallel and finds each by place once', async () => {
    const start = row('start');
    const works = Array.from({ length: 200 }, (_, i) => row('work', { stack: [frame(i, 200)] }));
    const records = new Map<string, TaskRecord>([[`start/${start.taskId}`, record(['work'], { var: 'items', numSplits: 200, listSha: 's' })]]);
    for (const w of works) records.set(`work/${w.taskId}`, record(['join']));
    const { store, maxInFlight } = recordStore(records);
    const { clones, notes } = await gatherClones({
      graph: FOREACH, artifacts: store, tasks: [start, ...works, row('join', { status: 'failed' })], originRunId: '1', rerun: new Set(),
    });
    assert.deepEqual(notes, []);
    assert.equal(clones.size, 201);
    assert.ok(maxInFlight() > 1, 'records were read one at a time');
    const found = await clones.find(taskPlace('work', [frame(7, 200)], 0));
    assert.equal(found?.key.taskId, works[7]!.taskId);
    assert.deepEqual(found?.record, record(['join']));
    assert.equal(await clones.find(taskPlace('work', [frame(7, 200)], 0)), undefined);
    assert.equal(await clones.find('join[]#0'), undefined);
  });

  test('leaves out steps that must run again, tasks whose transition changed and tasks without a record', async () => {
    const start = row('start');
    const a = row('a');
    const b = row('b');
    const join = row('join');
    const { store } = recordStore(
      new Map([
        [`start/${start.taskId}`, record(['a', 'b'])],
        [`a/${a.taskId}`, record(['elsewhere'])],
        [`join/${join.taskId}`, record(['end'])],
      ]),
    );
    const { clones, notes } = await gatherClones({
      graph: BRANCHES, artifacts: store, tasks: [start, a, b, join, row('end')], originRunId: '1', rerun: new Set(['end']),
    });
    assert.equal(clones.size, 2);
    assert.ok(await clones.find('start[]#0'));
    assert.ok(await clones.find('join[]#0'));
    assert.equal(await clones.find('end[]#0'), undefined);
    assert.equal(notes.length, 2);
    assert.match(notes[0]!, /Step a went to elsewhere in the origin run, which the flow no longer does/);
    assert.match(notes[1]!, /1 successful task\(s\) of the origin run have no stored artifact record/);
  });
});
