import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, bin } from './helpers.js';

/**
 * The live progress view, seen through a real pseudo-terminal: util-linux's `script` runs the CLI
 * with its stdout on a terminal (`script -qfec CMD /dev/null`), as a person at a shell would.
 */
const project = new Project();
after(() => project[Symbol.dispose]());

const script = spawnSync('script', ['--version'], { encoding: 'utf8' });
const noPty = script.status === 0 && /util-linux/.test(script.stdout)
  ? false
  : 'needs util-linux `script` to run the CLI under a pseudo-terminal, and it is not installed';

const flow = project.write(
  'wide.ts',
  `import { FlowSpec, step, type Inputs } from 'cairnflow';

export class WideFlow extends FlowSpec {
  declare items: number[];
  declare square: number;
  declare total: number;

  @step start() {
    this.items = Array.from({ length: 200 }, (_, i) => i);
    this.next(this.square_it, { foreach: 'items' });
  }

  @step square_it() {
    this.square = this.input * this.input;
    if (this.input % 50 === 0) console.log(\`square of \${this.input} is \${this.square}\`);
    this.next(this.join);
  }

  @step join(inputs: Inputs<WideFlow>) {
    this.total = inputs.reduce((n, i) => n + i.square, 0);
    this.next(this.end);
  }

  @step end() {
    console.log(\`total \${this.total}\`);
  }
}
`,
);

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const count = (text: string, pattern: RegExp): number => text.split('\n').filter((l) => pattern.test(l)).length;

/** Runs `cairn run wide.ts ...args` with stdout (and stderr) on a 100x30 pseudo-terminal. */
function runOnTerminal(args: string[], env: Record<string, string> = {}) {
  const command = ['node', bin, 'run', flow, '--max-num-splits', '200', ...args].map(quote).join(' ');
  return project.exec('script', ['-qfec', `stty cols 100 rows 30; ${command}`, '/dev/null'], { CI: '', TERM: 'xterm', ...env });
}

test('on a terminal, a 200-way foreach shows a progress frame per step instead of a line per task', { skip: noPty }, async () => {
  const r = await runOnTerminal(['--run-id-file', 'tty-run.txt']);
  const runId = readFileSync(join(project.dir, 'tty-run.txt'), 'utf8');
  const raw = r.stdout.replace(/\r\n/g, '\n');
  assert.equal(r.code, 0, raw);
  assert.match(raw, /\x1b\[\d+A\x1b\[J/, 'the frame is redrawn in place');
  const text = raw.replace(ANSI, '');
  assert.match(text, /^ {2}square_it +█+ +200\/200 /m);
  assert.match(text, new RegExp(`^WideFlow/${runId} {2}succeeded in \\S+ {2}203/203 tasks done$`, 'm'));
  assert.equal(count(text, /Task is starting\.|Task finished successfully\./), 0);
  const taskLines = text.split('\n').filter((l) => l.includes(`[${runId}/`));
  assert.ok(taskLines.length < 20, `${taskLines.length} task lines`);
  for (const i of [0, 50, 100, 150]) {
    assert.match(text, new RegExp(`\\[${runId}/square_it/\\d+ \\(pid \\d+\\)\\] square of ${i} is ${i * i}$`, 'm'));
  }
  assert.match(text, new RegExp(`\\[${runId}/end/203 \\(pid \\d+\\)\\] total 2646700$`, 'm'));
  assert.match(text, /^\S+ \S+ Done!$/m);
});

test('without a terminal the plain log has every event, one line each, and no escape codes', async () => {
  const r = await project.cli(['run', flow, '--max-num-splits', '200'], { CI: '', TERM: 'xterm' });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.doesNotMatch(r.stdout, /\x1b/);
  assert.equal(count(r.stdout, /^\S+ \S+ \[\d+\/\w+\/\d+ \(pid \d+\)\] Task is starting\.$/), 203);
  assert.equal(count(r.stdout, /Task finished successfully\.$/), 203);
  assert.match(r.stdout, /\] Foreach yields 200 child steps\.$/m);
  assert.match(r.stdout, /^\S+ \S+ Done!$/m);
});

test('--no-progress, or CI set, keeps the plain log on a terminal', { skip: noPty }, async () => {
  for (const [args, env] of [[['--no-progress'], {}], [[], { CI: 'true' }]] as const) {
    const r = await runOnTerminal([...args], env);
    const text = r.stdout.replace(/\r\n/g, '\n');
    assert.equal(r.code, 0, text);
    assert.doesNotMatch(text, /\x1b\[/, `${args.join(' ')} ${JSON.stringify(env)}`);
    assert.equal(count(text, /Task is starting\.$/), 203);
    assert.match(text, /^\S+ \S+ Done!$/m);
  }
});
