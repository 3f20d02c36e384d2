/**
 * `cairn run` forks its first worker before it loads the flow. However the CLI ends while the flow
 * is loading (Ctrl-C, a kill, a bad option), no worker process may stay behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Background, bin, eventually, Project } from './helpers.js';

/** A flow whose module takes a few seconds to load, saying when it begins. */
const SLOW = `import { FlowSpec, step } from 'cairnflow';
console.error('loading the flow');
await new Promise((r) => setTimeout(r, 4000));
export class SlowLoad extends FlowSpec {
  @step start() { this.next(this.end); }
  @step end() {}
}
`;

/** The processes whose environment holds `mark`. */
function marked(mark: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (env.includes(`CAIRN_TEST_MARK=${mark}\0`) && stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z') found.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

function start(p: Project, args: string[], mark: string, detached = false): Background {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: p.dir,
    env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', CAIRN_TEST_MARK: mark },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  return new Background(child);
}

async function noneLeft(mark: string): Promise<void> {
  await eventually('every process of the run to end', () => marked(mark).length === 0, 5000).catch((e: Error) => {
    const left = marked(mark);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    throw new Error(`${e.message}; left behind: ${left.map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')).join('; ')}`);
  });
}

for (const [how, kill] of [
  ['Ctrl-C (SIGINT to the process group)', (b: Background) => process.kill(-b.pid, 'SIGINT')],
  ['SIGINT to the CLI alone', (b: Background) => process.kill(b.pid, 'SIGINT')],
  ['SIGTERM to the CLI alone', (b: Background) => process.kill(b.pid, 'SIGTERM')],
  ['SIGKILL to the CLI alone', (b: Background) => process.kill(b.pid, 'SIGKILL')],
] as const) {
  test(`${how} while the flow loads leaves no worker process behind`, async () => {
    using p = new Project();
    p.write('flow.ts', SLOW);
    const mark = randomUUID();
    const run = start(p, ['run', 'flow.ts'], mark, true);
    await run.waitFor(/loading the flow/);
    assert.ok(marked(mark).length >= 2, 'the CLI and its early worker are running');
    kill(run);
    await run.exited;
    await noneLeft(mark);
  });
}

for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  test(`${signal} to the CLI while its worker is still starting leaves no worker process behind`, async () => {
    using p = new Project();
    p.write('flow.ts', SLOW);
    for (let round = 0; round < 3; round++) {
      const mark = randomUUID();
      const run = start(p, ['run', 'flow.ts'], mark);
      // The moment the worker process exists, long before it has loaded anything.
      await eventually('the worker process', () => marked(mark).length >= 2, 10_000);
      process.kill(run.pid, signal);
      await run.exited;
      await noneLeft(mark);
    }
  });
}

test('a run that never starts tasks (a bad option, --help, nothing to resume) leaves no worker process behind', async () => {
  using p = new Project();
  p.write('flow.ts', SLOW.replace('await new Promise((r) => setTimeout(r, 4000));', ''));
  for (const args of [['run', 'flow.ts', '--no-such-option', '1'], ['run', 'flow.ts', '--help'], ['resume', 'flow.ts']]) {
    const mark = randomUUID();
    const r = await start(p, args, mark).exited;
    assert.notEqual(r.stdout + r.stderr, '', `cairn ${args.join(' ')} says something`);
    await noneLeft(mark);
  }
});

test('a run on the early worker succeeds and ends every process it started', async () => {
  using p = new Project();
  p.write('flow.ts', SLOW.replace('await new Promise((r) => setTimeout(r, 4000));', ''));
  const mark = randomUUID();
  const r = await start(p, ['run', 'flow.ts'], mark).exited;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Done!/);
  await noneLeft(mark);
});
