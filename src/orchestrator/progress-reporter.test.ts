import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from './progress-frame.js';
import { chooseReporter, progressWanted, ProgressReporter } from './progress-reporter.js';
import { LogReporter, type TaskRef } from './reporter.js';

/**
 * A small terminal: it keeps every row written (no scrolling limit), moves the cursor for \r, \n,
 * CSI A and clears for CSI J / K, ignores colours and private modes, wraps at `columns`, and on a
 * resize reflows its rows the way most terminals do. `screen()` is what a person would see.
 */
class FakeTerminal {
  readonly isTTY = true;
  rows: string[] = [''];
  row = 0;
  col = 0;
  writes: string[] = [];
  private listeners: Array<() => void> = [];

  constructor(
    public columns: number,
    public height = 40,
  ) {}

  get stdout() {
    const t = this;
    return {
      isTTY: true,
      get columns() { return t.columns; },
      get rows() { return t.height; },
      write: (s: string) => t.write(s),
      on: (_: 'resize', l: () => void) => void t.listeners.push(l),
      off: (_: 'resize', l: () => void) => void (t.listeners = t.listeners.filter((x) => x !== l)),
    };
  }

  get stderr() {
    return { write: (s: string) => this.write(s) };
  }

  write(s: string): boolean {
    this.writes.push(s);
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '\x1b') {
        const m = /^\x1b\[(\??)(\d*)(?:;\d+)*([A-Za-z])/.exec(s.slice(i))!;
        assert.ok(m, `unexpected escape in ${JSON.stringify(s.slice(i, i + 10))}`);
        const n = Number(m[2] || '1');
        if (m[1] === '' && m[3] === 'A') this.row = Math.max(0, this.row - n);
        if (m[1] === '' && m[3] === 'J') this.rows.splice(this.row + 1), (this.rows[this.row] = this.rows[this.row]!.slice(0, this.col));
        if (m[1] === '' && m[3] === 'K') this.rows[this.row] = this.rows[this.row]!.slice(0, this.col);
        i += m[0].length - 1;
      } else if (c === '\r') this.col = 0;
      else if (c === '\n') this.moveDown();
      else {
        if (this.col >= this.columns) this.moveDown();
        const line = this.rows[this.row]!.padEnd(this.col);
        this.rows[this.row] = line.slice(0, this.col) + c + line.slice(this.col + 1);
        this.col++;
      }
    }
    return true;
  }

  private moveDown(): void {
    this.row++;
    this.col = 0;
    if (this.row >= this.rows.length) this.rows.push('');
  }

  resize(columns: number): void {
    const rows: string[] = [];
    let cursor = 0;
    this.rows.forEach((r, i) => {
      if (i === this.row) cursor = rows.length;
      for (let at = 0; at === 0 || at < r.length; at += columns) rows.push(r.slice(at, at + columns));
    });
    this.rows = rows;
    this.row = cursor;
    this.columns = columns;
    for (const l of this.listeners) l();
  }

  screen(): string[] {
    const rows = [...this.rows];
    while (rows.length && rows[rows.length - 1] === '') rows.pop();
    return rows;
  }
}

const RUN = '1764151200001234';
const STEPS = ['start', 'measure', 'join', 'end'];

function ref(step: string, taskId: number, pid = 4242): TaskRef {
  return { runId: RUN, step, taskId: String(taskId), attempt: 0, pid };
}

function setup(columns = 100, height = 40) {
  const term = new FakeTerminal(columns, height);
  let t = Date.parse('2026-11-26T10:00:00Z');
  const clock = { advance: (ms: number) => (t += ms) };
  const reporter = new ProgressReporter({ stdout: term.stdout, stderr: term.stderr, now: () => t, color: false });
  return { term, clock, reporter };
}

/** A foreach of `n` tasks of `measure`: start succeeded, `finished` of them done, the next `running` running. */
function foreachRun(reporter: ProgressReporter, clock: { advance(ms: number): void }, n: number, finished: number, running: number): void {
  reporter.validated('ForeachFlow', 'alice', STEPS);
  reporter.runStarting(RUN);
  reporter.planned('start', 1);
  reporter.taskStarting(ref('start', 1), 'first');
  clock.advance(100);
  reporter.taskSplit(ref('start', 1), n);
  reporter.taskSucceeded(ref('start', 1));
  reporter.planned('measure', n);
  for (let i = 0; i < finished + running; i++) {
    reporter.taskStarting(ref('measure', i + 2), 'first');
    clock.advance(10);
    if (i < finished) reporter.taskSucceeded(ref('measure', i + 2));
  }
}

function frameOf(term: FakeTerminal): string[] {
  const screen = term.screen();
  const top = screen.findIndex((l) => l.startsWith('ForeachFlow/'));
  assert.ok(top >= 0, `no frame on screen:\n${screen.join('\n')}`);
  return screen.slice(top);
}

describe('ProgressReporter', () => {
  test('counts done, running, failed, killed, retrying and cloned tasks per step', () => {
    const { reporter, clock } = setup();
    foreachRun(reporter, clock, 10, 4, 3);
    reporter.taskFailed(ref('measure', 6), { type: 'Error', message: 'flaky' }, 'retry');
    reporter.taskFailed(ref('measure', 7), { type: 'Error', message: 'bad' }, 'none');
    reporter.taskFailed(ref('measure', 8), { type: 'Killed', message: 'Killed: another task of the run failed.' }, 'none');
    reporter.taskCloned(ref('join', 20), `${RUN}/join/3`);
    const s = reporter.progressOf('start')!;
    assert.deepEqual([s.planned, s.done, s.running], [1, 1, 0]);
    const m = reporter.progressOf('measure')!;
    assert.deepEqual([m.planned, m.done, m.running, m.retrying, m.failed, m.killed], [10, 4, 0, 1, 1, 1]);
    reporter.taskStarting(ref('measure', 6), 'retry');
    assert.deepEqual([m.running, m.retrying], [1, 0]);
    reporter.taskSucceeded(ref('measure', 6));
    assert.deepEqual([m.done, m.running], [5, 0]);
    assert.equal(reporter.progressOf('join')!.cloned, 1);
    reporter.flush();
  });

  test('shows step-cache hits apart from tasks cloned by resume', () => {
    const { term, reporter, clock } = setup();
    foreachRun(reporter, clock, 5, 0, 0);
    for (let i = 0; i < 3; i++) reporter.taskCloned(ref('measure', i + 2), `${RUN}/measure/${i + 2}`, 'cache');
    reporter.taskCloned(ref('measure', 5), `${RUN}/measure/5`);
    const m = reporter.progressOf('measure')!;
    assert.deepEqual([m.cloned, m.cached], [4, 3]);
    reporter.flush();
    const line = frameOf(term).find((l) => l.trim().startsWith('measure'))!;
    assert.match(line, /4\/5 .*3 cache hits, 1 cloned$/);
  });

  test('draws one line per step in graph order with counts, a bar and elapsed time', () => {
    const { term, reporter, clock } = setup();
    foreachRun(reporter, clock, 200, 120, 8);
    clock.advance(2000);
    reporter.flush();
    const frame = frameOf(term);
    assert.match(frame[0]!, new RegExp(`^ForeachFlow/${RUN}  running 3\\.4s  121/201 tasks done$`));
    assert.deepEqual(frame.slice(1).map((l) => l.trim().split(/\s+/)[0]), STEPS);
    assert.match(frame[1]!, /^ {2}start {4}█{30} {6}1\/1 {4}0\.1s$/);
    assert.match(frame[2]!, /^ {2}measure  █{18}▒{1}░{11} {2}120\/200 {2}\s+3\.3s {2}8 running$/);
    assert.match(frame[3]!, /^ {2}join {5}░{30} {2}\s+-\s*$/);
    assert.equal(frame.length, 5);
    for (const line of frame) assert.ok(line.length < 100, line);
  });

  test('prints task output and failures above the frame, but not the per-task start and finish lines', () => {
    const { term, reporter, clock } = setup();
    foreachRun(reporter, clock, 5, 2, 2);
    reporter.taskOutput(ref('measure', 4), 'stdout', ['shard 2: gamma', 'second line'], clock.advance(0));
    reporter.taskFailed(ref('measure', 5), { type: 'RangeError', message: 'cannot handle 3' }, 'retry');
    reporter.taskStarting(ref('measure', 5), 'retry');
    reporter.notice('a notice');
    reporter.flush();
    const screen = term.screen();
    const text = screen.join('\n');
    assert.doesNotMatch(text, /Task is starting\.|Task finished successfully\.|Foreach yields/);
    assert.match(text, /^cairn executing ForeachFlow for user:alice$/m);
    const logLines = screen.slice(0, screen.findIndex((l) => l.startsWith('ForeachFlow/')));
    const body = logLines.map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /, ''));
    assert.deepEqual(body.slice(3), [
      `Workflow starting (run-id ${RUN}):`,
      `[${RUN}/measure/4 (pid 4242)] shard 2: gamma`,
      `[${RUN}/measure/4 (pid 4242)] second line`,
      `[${RUN}/measure/5 (pid 4242)] RangeError: cannot handle 3`,
      `[${RUN}/measure/5 (pid 4242)] Task failed.`,
      `[${RUN}/measure/5 (pid 4242)] Task is starting (retry).`,
      'a notice',
    ]);
    assert.match(frameOf(term)[2]!, /2\/5 .* 2 running$/);
  });

  test('redraws the frame in place: however often it is drawn, one frame is on screen', () => {
    const { term, reporter, clock } = setup(100, 30);
    reporter.validated('ForeachFlow', 'alice', STEPS);
    reporter.runStarting(RUN);
    reporter.planned('start', 1);
    reporter.planned('measure', 50);
    for (let i = 0; i < 50; i++) {
      reporter.taskStarting(ref('measure', i + 2), 'first');
      if (i % 7 === 0) reporter.taskOutput(ref('measure', i + 2), 'stdout', [`line ${i}`], clock.advance(5));
      if (i % 11 === 0) reporter.taskOutput(ref('measure', i + 2), 'stderr', [`warning ${i}`], clock.advance(5));
      reporter.taskSucceeded(ref('measure', i + 2));
      reporter.redraw();
    }
    const screen = term.screen();
    assert.equal(screen.filter((l) => l.startsWith('ForeachFlow/')).length, 1);
    assert.equal(screen.filter((l) => / line \d+$/.test(l)).length, 8);
    assert.equal(screen.filter((l) => / warning \d+$/.test(l)).length, 5);
    assert.match(frameOf(term)[2]!, /50\/50/);
  });

  test('sends what a task prints to stderr to stderr', () => {
    const out: string[] = [];
    const err: string[] = [];
    const reporter = new ProgressReporter({ stdout: { isTTY: true, columns: 80, rows: 24, write: (s) => out.push(s) }, stderr: { write: (s) => err.push(s) }, color: false });
    reporter.validated('F', 'alice', ['start', 'end']);
    reporter.runStarting(RUN);
    reporter.taskOutput(ref('start', 1), 'stderr', ['oops'], Date.now());
    reporter.taskOutput(ref('start', 1), 'stdout', ['fine'], Date.now());
    reporter.flush();
    assert.match(err.join(''), new RegExp(`^\\S+ \\S+ \\[${RUN}/start/1 \\(pid 4242\\)\\] oops\\n$`));
    assert.doesNotMatch(out.join(''), /oops/);
    assert.match(out.join(''), /\] fine\n/);
  });

  test('cuts every frame line to the terminal width', () => {
    const { term, reporter, clock } = setup(40);
    reporter.validated('ForeachFlow', 'alice', ['start', 'a_step_with_a_really_long_descriptive_name', 'end']);
    reporter.runStarting(RUN);
    reporter.planned('a_step_with_a_really_long_descriptive_name', 300);
    for (let i = 0; i < 30; i++) reporter.taskStarting(ref('a_step_with_a_really_long_descriptive_name', i + 2), 'first');
    clock.advance(1500);
    reporter.flush();
    const frame = frameOf(term);
    for (const line of frame) assert.ok(line.length <= 39, `${line.length}: ${line}`);
    assert.match(frame[0]!, /^ForeachFlow\/1764151200001234  running …$/);
    assert.match(frame[2]!, /^ {2}a_step_wi… {2}0\/300 {4}1\.5s {2}30 running$/);
  });

  test('a terminal that reports no size is taken as 80 columns', () => {
    const { term, reporter, clock } = setup(0);
    term.columns = 0;
    foreachRun(reporter, clock, 3, 1, 1);
    reporter.flush();
    const frame = term.writes.join('').replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split('\n').filter((l) => l.startsWith('  measure'));
    assert.match(frame.at(-1)!, /^ {2}measure  █{6}▒{7}░{7} {2}1\/3/);
  });

  test('after a resize the frame fits the new width and is still drawn once', () => {
    const { term, reporter, clock } = setup(120);
    foreachRun(reporter, clock, 20, 5, 5);
    reporter.taskOutput(ref('measure', 3), 'stdout', ['x'.repeat(100)], clock.advance(1));
    reporter.redraw();
    term.resize(50);
    term.resize(45);
    const screen = term.screen();
    assert.equal(screen.filter((l) => l.startsWith('ForeachFlow/')).length, 1, screen.join('\n'));
    for (const line of frameOf(term)) assert.ok(line.length < 45, line);
    // The log line above survives whole (wrapped by the terminal), right above the frame.
    assert.ok(screen.join('').includes(`] ${'x'.repeat(100)}ForeachFlow/`), screen.join('\n'));
    reporter.flush();
  });

  test('with more steps than fit, shows the busy ones and sums up the rest', () => {
    const { term, reporter } = setup(100, 16);
    const steps = Array.from({ length: 30 }, (_, i) => `step${i}`);
    reporter.validated('ForeachFlow', 'alice', steps);
    reporter.runStarting(RUN);
    for (let i = 0; i < 12; i++) {
      reporter.planned(`step${i}`, 1);
      reporter.taskStarting(ref(`step${i}`, i + 1), 'first');
      if (i !== 9) reporter.taskSucceeded(ref(`step${i}`, i + 1));
    }
    reporter.flush();
    const frame = frameOf(term);
    assert.equal(frame.length, 8);
    assert.ok(frame.some((l) => l.startsWith('  step9 ') && l.endsWith('1 running')));
    assert.equal(frame.at(-1), '  … 24 more steps (6 complete, 18 not started)');
  });

  test('leaves the final summary below the Done! line when the run ends', () => {
    const { term, reporter, clock } = setup();
    foreachRun(reporter, clock, 4, 4, 0);
    for (const [step, id] of [['join', 6], ['end', 7]] as const) {
      reporter.planned(step, 1);
      reporter.taskStarting(ref(step, id), 'first');
      reporter.taskSucceeded(ref(step, id));
    }
    clock.advance(900);
    reporter.runFinished({ flow: 'ForeachFlow', runId: RUN, status: 'succeeded', interrupted: false }, []);
    reporter.taskOutput(ref('end', 7), 'stdout', ['late line'], clock.advance(1));
    reporter.flush();
    const screen = term.screen();
    const top = screen.findIndex((l) => l.startsWith('ForeachFlow/'));
    assert.match(screen[top - 1]!, /^\S+ \S+ Done!$/);
    assert.equal(screen[top], `ForeachFlow/${RUN}  succeeded in 1.0s  7/7 tasks done`);
    assert.deepEqual(screen.slice(top + 1, top + 5).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' ')), ['start ██████████████████████████████ 1/1', 'measure ██████████████████████████████ 4/4', 'join ██████████████████████████████ 1/1', 'end ██████████████████████████████ 1/1']);
    assert.match(screen[top + 5]!, /\] late line$/);
  });

  test('a failed run ends with the failure block, then a summary that counts the failed and killed tasks', () => {
    const { term, reporter, clock } = setup(140);
    foreachRun(reporter, clock, 3, 1, 2);
    const exception = { type: 'RangeError', message: 'cannot handle 2' };
    reporter.taskFailed(ref('measure', 3), exception, 'none');
    reporter.taskFailed(ref('measure', 4), { type: 'Killed', message: 'Killed: another task of the run failed.' }, 'none');
    reporter.runFinished({ flow: 'ForeachFlow', runId: RUN, status: 'failed', interrupted: false, failure: { step: 'measure', taskId: '3', exception } }, ['at ForeachFlow.measure (/p/flow.ts:9:5)']);
    const screen = term.screen().map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /, ''));
    const top = screen.findIndex((l) => l.startsWith('ForeachFlow/'));
    assert.deepEqual(screen.slice(top - 4, top), [
      'Workflow failed.',
      '    Step failure:',
      '    Step measure (task-id 3) failed: RangeError: cannot handle 2',
      '    at ForeachFlow.measure (/p/flow.ts:9:5)',
    ]);
    assert.match(screen[top]!, /^ForeachFlow\/\d+ {2}failed after 0\.1s {2}2\/4 tasks done$/);
    assert.match(screen[top + 2]!, /1\/3 .* 1 failed, 1 killed$/);
    assert.match(screen[top + 4]!, /^ {2}end .* -\s+not run$/);
    assert.ok(screen.includes(`[${RUN}/measure/3 (pid 4242)] This failed task will not be retried.`), screen.join('\n'));
  });

  test('an interrupted run says so in its summary', () => {
    const { term, reporter, clock } = setup();
    foreachRun(reporter, clock, 3, 0, 1);
    reporter.notice('Workflow interrupted.');
    reporter.runFinished({ flow: 'ForeachFlow', runId: RUN, status: 'failed', interrupted: true }, []);
    assert.match(frameOf(term)[0]!, /interrupted after 0\.1s/);
  });

  test('colours the frame when asked, with the same text underneath', () => {
    const out: string[] = [];
    const reporter = new ProgressReporter({ stdout: { isTTY: true, columns: 80, rows: 24, write: (s) => out.push(s) }, color: true });
    reporter.validated('F', 'alice', ['start', 'end']);
    reporter.runStarting(RUN);
    reporter.planned('start', 1);
    reporter.taskStarting(ref('start', 1), 'first');
    reporter.flush();
    const text = out.join('');
    assert.match(text, /\x1b\[33m▒+\x1b\[39m/);
    assert.match(text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''), / {2}start {2}▒{20} {2}0\/1/);
  });
});

describe('choosing the reporter', () => {
  const tty = { isTTY: true, write: () => true };
  test('the progress view needs a terminal, no CI, no TERM=dumb and no --no-progress', () => {
    assert.equal(progressWanted({ stdout: tty, env: {} }), true);
    assert.equal(progressWanted({ stdout: tty, env: { CI: 'false' } }), true);
    assert.equal(progressWanted({ stdout: tty, env: { CI: '' } }), true);
    assert.equal(progressWanted({ stdout: { write: () => true }, env: {} }), false);
    assert.equal(progressWanted({ stdout: { isTTY: false, write: () => true }, env: {} }), false);
    assert.equal(progressWanted({ stdout: tty, env: { CI: 'true' } }), false);
    assert.equal(progressWanted({ stdout: tty, env: { CI: '1' } }), false);
    assert.equal(progressWanted({ stdout: tty, env: { TERM: 'dumb' } }), false);
    assert.equal(progressWanted({ stdout: tty, env: {}, progress: false }), false);
  });

  test('chooseReporter gives the plain log otherwise', () => {
    assert.ok(chooseReporter({ stdout: tty, env: {} }) instanceof ProgressReporter);
    assert.ok(chooseReporter({ stdout: tty, env: { CI: 'true' } }) instanceof LogReporter);
  });
});

test('durations read as seconds, minutes and hours', () => {
  assert.deepEqual([0, 430, 9_949, 12_300, 245_000, 3_725_000].map(formatDuration), ['0.0s', '0.4s', '9.9s', '12s', '4m05s', '1h02m']);
});
