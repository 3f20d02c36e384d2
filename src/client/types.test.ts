/**
 * Type tests for the typed client (checked by `tsc --noEmit`; each `@ts-expect-error` fails the
 * type check if the line it marks stops being an error), plus a run-time check that a flow class
 * resolves to the flow of its name.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowSpec } from '../authoring/flow-spec.js';
import { DataArtifact, Flow, Run, Step, Task, type ArtifactsOf } from './index.js';
import { linearRun, TestStore } from './store.fixture.js';

process.env.CAIRN_USER = 'alice';

class ArtFlow extends FlowSpec {
  declare some_data: number[];
  label!: string;
  optional?: Map<string, number>;

  start(): void {
    this.some_data = [1, 2, 3];
    this.next(this.end);
  }

  end(): void {}
}

// Never called: only type-checked.
export async function typeChecks(): Promise<void> {
  const flow = await Flow.get(ArtFlow);
  const run = (await flow.latestRun())!;
  const d: number[] = await run.data.some_data;
  const l: string = await run.data.label;
  const o: Map<string, number> | undefined = await run.data.optional;
  // @ts-expect-error a typo'd artifact name is a type error
  void run.data.some_dta;
  // @ts-expect-error the artifact is typed: number[] is not a string
  const wrong: string = await run.data.some_data;
  // @ts-expect-error steps are methods, not artifacts
  void run.data.start;
  // @ts-expect-error FlowSpec members are not artifacts
  void run.data.next;
  // @ts-expect-error FlowSpec members are not artifacts
  void run.data.index;
  // @ts-expect-error artifacts are read-only
  run.data.some_data = Promise.resolve([1]);

  const latest: Run<ArtFlow> | undefined = await flow.latestSuccessfulRun();
  for await (const r of flow.runs({ tags: ['prod'] })) {
    const x: number[] = await r.data.some_data;
    void x;
  }
  const steps: Step<ArtFlow>[] = await run.steps();
  const task: Task<ArtFlow> = await (await run.step('end')).task();
  const td: number[] = await task.data.some_data;
  // @ts-expect-error a typo'd artifact name is a type error on tasks too
  void task.data.nope;
  const end = await run.endTask();
  const ed: number[] | undefined = await end?.data.some_data;

  const explicit = await Run.get<ArtFlow>('ArtFlow/1');
  const ex: number[] = await explicit.data.some_data;
  const viaTask = await Task.get<ArtFlow>('ArtFlow/1/end/2');
  const vt: string = await viaTask.data.label;

  const untyped = await Flow.get('ArtFlow');
  const ur = (await untyped.latestRun())!;
  const u: unknown = await ur.data.anything;
  // @ts-expect-error untyped data is unknown
  const un: number[] = await ur.data.anything;
  const ud: unknown = await (await Run.get('ArtFlow/1')).data.whatever;

  const art = await DataArtifact.get<number[]>('ArtFlow/1/end/2/some_data');
  const av: number[] = await art.data();
  const artifacts: DataArtifact[] = await task.artifacts();

  type Keys = keyof ArtifactsOf<ArtFlow>;
  const keys: Keys[] = ['some_data', 'label', 'optional'];
  // @ts-expect-error only artifacts are keys
  const badKeys: Keys[] = ['end'];

  // @ts-expect-error Flow.get takes a flow name or a flow class
  await Flow.get(42);
  // @ts-expect-error a class that is not a FlowSpec is not a flow class
  await Flow.get(class NotAFlow {});

  void [d, l, o, wrong, latest, steps, td, ed, ex, vt, u, un, ud, av, artifacts, keys, badKeys];
}

let store: TestStore;

before(async () => {
  store = await TestStore.open();
  await store.seedRun(linearRun('ArtFlow', '1', Date.UTC(2026, 0, 1), { some_data: [1, 2, 4], label: 'x' }));
});

after(async () => {
  await store.close();
});

test('Flow.get with a flow class loads the flow named after the class', async () => {
  const flow = await Flow.get(ArtFlow);
  assert.equal(flow.name, 'ArtFlow');
  const run = await flow.latestRun();
  const data: number[] = await run!.data.some_data;
  assert.deepEqual(data, [1, 2, 4]);
});
