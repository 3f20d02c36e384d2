/**
 * The step cache through the real CLI: `@cache` steps and `run --cache` reuse an earlier task with
 * the same key (its artifacts and logs, the origin recorded), and every input of the key changed
 * on its own is a miss; `--no-cache` and `@cache({ enabled: false })` turn it off.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedProject } from './helpers.js';
import { Run } from '../src/index.js';

const project = sharedProject(null);

const FLOW = project.write(
  'cacheflow.ts',
  `import { FlowSpec, step, Parameter, cache } from 'cairnflow';
export class CacheFlow extends FlowSpec {
  alpha = Parameter('alpha', { default: 1 });
  n = Parameter('n', { default: 3 });
  declare base: number;
  declare items: number[];
  declare out: number;
  declare results: number[];
  @step start() {
    this.base = Number(process.env['BASE'] ?? '1');
    this.items = Array.from({ length: this.n }, (_, i) => i + 1);
    this.next(this.work, { foreach: 'items' });
  }
  @cache @step work() {
    console.log('computing', this.input);
    this.out = (this.input as number) * this.alpha * this.base;
    this.next(this.join);
  }
  @cache({ enabled: false }) @step join(inputs: any) {
    console.log('joining');
    this.results = inputs.map((x: any) => x.out);
    this.next(this.end);
  }
  @step end() {
    console.log('ending');
  }
}
`,
);

interface Outcome {
  runId: string;
  stdout: string;
  hits: (step: string) => number;
  ran: (what: string) => number;
}

let n = 0;
async function run(args: string[] = [], env: Record<string, string> = {}): Promise<Outcome> {
  const file = `id-${n++}.txt`;
  const r = await project.cli(['run', FLOW, '--run-id-file', file, ...args], env);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const runId = readFileSync(join(project.dir, file), 'utf8');
  return {
    runId,
    stdout: r.stdout,
    hits: (step) => (r.stdout.match(new RegExp(`\\[${runId}/${step}/\\d+\\] Cache hit: reusing task CacheFlow/\\d+/${step}/\\d+`, 'g')) ?? []).length,
    ran: (what) => (r.stdout.match(new RegExp(`\\] ${what}`, 'g')) ?? []).length,
  };
}

async function results(runId: string): Promise<unknown> {
  return (await Run.get(`CacheFlow/${runId}`)).data.results;
}

let first: Outcome;
before(async () => {
  first = await run();
});

test('a @cache step reuses the tasks of an earlier run with the same inputs: artifacts, logs and origin', async () => {
  assert.equal(first.ran('computing'), 3);
  assert.equal(first.hits('work'), 0);
  const second = await run();
  assert.equal(second.hits('work'), 3, second.stdout);
  assert.equal(second.ran('computing'), 0, 'nothing recomputed');
  assert.equal(second.ran('joining'), 1, 'steps without @cache run');
  assert.deepEqual(await results(second.runId), [1, 2, 3]);
  const tasks = await (await (await Run.get(`CacheFlow/${second.runId}`)).step('work')).tasks();
  const origins = new Set<string>();
  for (const t of tasks) {
    assert.match(t.originPathspec ?? '', new RegExp(`^CacheFlow/${first.runId}/work/\\d+$`));
    origins.add(t.originPathspec!);
    assert.match(await t.stdout(), /^computing [123]\n$/, 'the output is reused too');
    assert.equal(t.successful, true);
  }
  assert.equal(origins.size, 3);
});

test('each input of the key changed on its own is a miss', async () => {
  const parameter = await run(['--alpha', '2']);
  assert.equal(parameter.hits('work'), 0, 'a parameter');
  assert.equal(parameter.ran('computing'), 3);
  assert.deepEqual(await results(parameter.runId), [2, 4, 6]);

  const artifact = await run([], { BASE: '10' });
  assert.equal(artifact.hits('work'), 0, 'an input artifact (parameters unchanged)');
  assert.deepEqual(await results(artifact.runId), [10, 20, 30]);

  const list = await run(['--n', '4']);
  assert.equal(list.hits('work'), 0, 'the foreach list');
  assert.equal(list.ran('computing'), 4);

  // A comment is not code (the package is compiled), so the same package: still a hit.
  appendFileSync(FLOW, '\n// a comment\n');
  assert.equal((await run()).hits('work'), 3, 'a comment');
  // Any change to the compiled package is a miss, even outside the step (the key hashes the whole package).
  writeFileSync(FLOW, readFileSync(FLOW, 'utf8').replace("console.log('joining');", "console.log('joining', 'now');"));
  const code = await run();
  assert.equal(code.hits('work'), 0, 'the code');
  assert.equal(code.ran('computing'), 3);
  const again = await run();
  assert.equal(again.hits('work'), 3, 'the same code again hits');
  assert.match(again.stdout, new RegExp(`Cache hit: reusing task CacheFlow/${code.runId}/work/`));
});

test('--no-cache runs everything; --cache reuses every step but one with @cache({ enabled: false })', async () => {
  const off = await run(['--no-cache']);
  assert.equal(off.hits('work'), 0);
  assert.equal(off.ran('computing'), 3);

  const all = await run(['--cache']);
  assert.equal(all.hits('work'), 3);
  assert.equal(all.hits('start'), 0, 'start was never cached before');
  const next = await run(['--cache']);
  assert.equal(next.hits('start'), 1);
  assert.equal(next.hits('work'), 3);
  assert.equal(next.hits('join'), 0, '@cache({ enabled: false })');
  assert.equal(next.ran('joining'), 1);
  assert.equal(next.hits('end'), 1, 'end: its input, join, stored the same artifacts again');
  assert.equal(next.ran('ending'), 0);
  const end = await (await Run.get(`CacheFlow/${next.runId}`)).endTask();
  assert.equal(await end!.stdout(), 'ending\n');
  assert.deepEqual(await results(next.runId), [1, 2, 3]);
});

test('a deleted run is not reused', async () => {
  // Only this flow's newest hits point at the newest tasks; delete every run, then run again.
  for (const r of await (async () => {
    const ids: string[] = [];
    const { Flow } = await import('../src/index.js');
    for await (const x of (await Flow.get('CacheFlow')).runs()) ids.push(x.id);
    return ids;
  })()) {
    assert.equal((await project.cli(['delete', `CacheFlow/${r}`])).code, 0);
  }
  const fresh = await run();
  assert.equal(fresh.hits('work'), 0);
  assert.equal(fresh.ran('computing'), 3);
});
