/**
 * What tasks print, end to end: readable through the client while the task runs (reading only
 * what is new), the error of a failed task at the end of its stderr, V8's report of a task that
 * ran out of memory, and output of 50 MiB that neither the worker nor the orchestrator holds whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, sharedProject } from './helpers.js';
import { Flow, Task } from '../src/index.js';

const project = sharedProject();

function flow(name: string, body: string, fields = ''): string {
  return project.write(
    `${name}.ts`,
    `import { FlowSpec, step, timeout } from 'cairnflow';
import { existsSync, readFileSync } from 'node:fs';
export class ${name} extends FlowSpec {
${fields}
${body}
}
`,
  );
}

async function latestTask(flowName: string, step: string): Promise<Task> {
  const run = (await (await Flow.get(flowName)).latestRun())!;
  return (await run.step(step)).task();
}

/** Peak resident memory (MiB) of a process, from /proc. */
function peakMiB(pid: number | string): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

test('a running task\'s lines are readable through the client while it runs, each read giving only what is new', async () => {
  const go = join(project.dir, 'go-on');
  const file = flow(
    'TailFlow',
    `  @step async start() {
    console.log('first line');
    process.stdout.write('half a ');
    while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 20));
    console.log('line, finished');
    console.log(readFileSync(${JSON.stringify(go)}, 'utf8'));
    this.next(this.end);
  }
  @step end() {}`,
  );
  const run = project.start(['run', file, '--run-id-file', 'tail-id.txt']);
  const runId = await eventually('the run id', () => { try { return readFileSync(join(project.dir, 'tail-id.txt'), 'utf8') || undefined; } catch { return undefined; } });
  const task = await eventually('the start task', () => Task.get(`TailFlow/${runId}/start/1`));
  const first = await eventually('the first line, while the task runs', async () => {
    const chunk = await task.readLog('stdout');
    return chunk.lines.length > 0 && chunk.partial ? chunk : undefined;
  });
  assert.deepEqual(first.lines.map((l) => l.text), ['first line']);
  assert.equal(first.partial?.text, 'half a ');
  assert.equal((await Task.get(`TailFlow/${runId}/start/1`)).finished, false, 'read while the task was running');
  writeFileSync(go, 'the last line');
  assert.equal((await run.exited).code, 0);
  const rest = await task.readLog('stdout', { from: first.next });
  assert.deepEqual(rest.lines.map((l) => l.text), ['half a line, finished', 'the last line']);
  assert.ok(rest.lines.every((l) => l.at instanceof Date));
  assert.deepEqual(await task.readLog('stdout', { from: rest.next }), { lines: [], partial: undefined, next: rest.next });
});

test('a failed task keeps its error, with the frames of the flow, at the end of its stored stderr', async () => {
  const file = flow(
    'ErrFlow',
    `  @step start() {
    console.error('about to fail');
    if (this.index === undefined) throw new RangeError('no such shard');
    this.next(this.end);
  }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  const task = await latestTask('ErrFlow', 'start');
  const stderr = await task.stderr();
  assert.match(stderr, /^about to fail\nRangeError: no such shard\n {4}at .*ErrFlow\.ts:\d+:\d+\)?\n$/);
  assert.doesNotMatch(stderr, /dist\/runtime|node:internal/);
  // The console showed the error once, not a second time from the stored stderr.
  assert.equal(r.stderr.match(/RangeError: no such shard/g)?.length, 1, r.stderr);
  const logs = await project.cli(['logs', file, `${task.runId}/start/${task.id}`, '--stderr']);
  assert.equal(logs.stdout, stderr);
});

test('a task that runs out of memory fails saying so, and its stderr keeps V8\'s report', async () => {
  const file = flow(
    'OomFlow',
    `  @step start() {
    console.log('allocating');
    const keep: number[][] = [];
    while (keep.length >= 0) keep.push(new Array(1_000_000).fill(1.5));
    this.next(this.end);
  }
  @step end() {}`,
  );
  const r = await project.cli(['run', file], { NODE_OPTIONS: '--max-old-space-size=48' });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Step start \(task-id 1\) failed: OutOfMemory: The worker process \(pid \d+\) running this task was killed by signal SIGABRT before the task finished: Reached heap limit Allocation failed - JavaScript heap out of memory\. The task used more memory than Node allows a process: give it more \(NODE_OPTIONS=--max-old-space-size=MB/);
  const task = await latestTask('OomFlow', 'start');
  assert.equal(task.exception?.type, 'OutOfMemory');
  assert.equal(await task.stdout(), 'allocating\n');
  const stderr = await task.stderr();
  assert.match(stderr, /FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory/);
  assert.match(stderr, /\nOutOfMemory: The worker process \(pid \d+\) running this task was killed by signal SIGABRT/);
});

test('a timed-out task keeps what it printed and why it was stopped', async () => {
  const file = flow(
    'HangFlow',
    `  @timeout({ seconds: 3 }) @step start() {
    console.log('about to hang');
    const t = Date.now(); while (Date.now() - t < 60_000) {}
    this.next(this.end);
  }
  @step end() {}`,
  );
  const r = await project.cli(['run', file]);
  assert.equal(r.code, 1);
  const task = await latestTask('HangFlow', 'start');
  assert.equal(await task.stdout(), 'about to hang\n');
  assert.equal(await task.stderr(), 'TimeoutError: Step start timed out after 3 seconds.\n');
});

test('50 MiB of short lines, and one line of 50 MiB, are stored whole while neither process holds them', async () => {
  const file = flow(
    'FloodFlow',
    `  declare peak: number;
  @step start() {
    const line = 'x'.repeat(99);
    for (let i = 0; i < 50 * 1024 * 1024 / 100; i++) console.log(line);
    this.peak = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
    this.next(this.long);
  }
  @step long() {
    console.log('y'.repeat(50 * 1024 * 1024));
    this.next(this.end);
  }
  @step end() {}`,
  );
  const run = project.start(['run', file, '--no-progress']);
  let orchestrator = 0;
  const watch = setInterval(() => {
    try {
      orchestrator = Math.max(orchestrator, peakMiB(run.pid));
    } catch {
      // it ended
    }
  }, 20);
  const r = await run.exited;
  clearInterval(watch);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const start = await latestTask('FloodFlow', 'start');
  // Holding the output (as text, then again to store it) took well over 500 MiB.
  assert.ok((await start.data.peak) < 250, `the worker peaked at ${await start.data.peak} MiB`);
  assert.ok(orchestrator > 0 && orchestrator < 250, `the orchestrator peaked at ${orchestrator} MiB`);
  const lines = await start.loglines();
  assert.equal(lines.length, (50 * 1024 * 1024) / 100);
  assert.equal(lines.at(-1)?.text, 'x'.repeat(99));
  const long = await (await (await (await Flow.get('FloodFlow')).latestRun())!.step('long')).task();
  const text = await long.stdout();
  assert.equal(text.length, 50 * 1024 * 1024 + 1);
  // The console shows the start of the long line and says where the rest is.
  assert.match(r.stdout, /\/long\/\d+ \(pid \d+\)\] y{16384} \[\.\.\. 52412416 more characters: `cairn logs` shows the whole line\]\n/);
});

test('a single line of 100 MiB, printed in one write, is stored whole', async () => {
  const file = flow(
    'OneLineFlow',
    `  @step start() {
    // A 3-byte character straddles each MiB of the line.
    process.stdout.write(('z'.repeat(1024 * 1024 - 1) + '€').repeat(100) + '\\n');
    this.next(this.end);
  }
  @step end() {}`,
  );
  const r = await project.cli(['run', file, '--no-progress']);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const task = await latestTask('OneLineFlow', 'start');
  const text = await task.stdout();
  assert.equal(text.length, 100 * 1024 * 1024 + 1);
  assert.ok(text === ('z'.repeat(1024 * 1024 - 1) + '€').repeat(100) + '\n', 'the stored line differs from the printed one');
  assert.match(r.stdout, /z{16384} \[\.\.\. 104841216 more characters: `cairn logs` shows the whole line\]\n/);
});
