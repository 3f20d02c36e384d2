import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sharedProject, type CliResult } from './helpers.js';
import { Run, Task, namespace } from '../src/index.js';

const project = sharedProject();

const HEADER = '--- ';
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /;

function flow(file: string, name: string, body: string, fields = ''): string {
  project.write(
    file,
    `import { FlowSpec, step, retry, current, type Inputs } from 'cairnflow';
import { existsSync } from 'node:fs';
export class ${name} extends FlowSpec {
${fields}
${body}
}
`,
  );
  return file;
}

async function runFlow(file: string, env: Record<string, string> = {}): Promise<string> {
  const idFile = `${file}.run-id`;
  const r = await project.cli(['run', file, '--run-id-file', idFile], env);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return readFileSync(join(project.dir, idFile), 'utf8');
}

function fails(r: CliResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr.trimEnd(), message);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one message: ${r.stderr}`);
}

const TAGGED = flow('tagged.ts', 'TagFlow', `  @step start() { this.next(this.end); }\n  @step end() {}`);
const INSPECT = flow(
  'inspect.ts',
  'InspectFlow',
  `  @step start() {
    this.items = ['a', 'b', 'c'];
    this.big = new Float64Array(1_000_000);
    this._hidden = 'psst';
    this.config = { depth: 3, name: 'x' };
    console.log('starting');
    this.next(this.work, { foreach: 'items' });
  }
  @step work() {
    this.item = this.input;
    console.log('item ' + this.input);
    console.error('note ' + this.input);
    this.next(this.join);
  }
  @step join(inputs: Inputs<InspectFlow>) { this.next(this.flaky); }
  @retry({ times: 1 }) @step flaky() {
    console.log('try ' + current.retryCount);
    if (current.retryCount === 0) throw new Error('the first try fails');
    this.next(this.end);
  }
  @step end() { process.stdout.write('no newline at the end'); }`,
  `  declare items: string[];
  declare item: string;
  declare big: Float64Array;
  declare _hidden: string;
  declare config: { depth: number; name: string };`,
);

let tagRun = '';
let otherRun = '';
let inspectRun = '';
before(async () => {
  tagRun = await runFlow(TAGGED);
  otherRun = await runFlow(TAGGED, { CAIRN_USER: 'other' });
  inspectRun = await runFlow(INSPECT);
});

test('tag add, remove and replace change the user tags of a run, as the client sees them', async () => {
  let r = await project.cli(['tag', 'add', TAGGED, '--run-id', tagRun, 'nightly', 'v2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^TagFlow/${tagRun} \\(succeeded, started .* by tester\\)\n {4}user tags: {3}nightly, v2\n {4}system tags: .*user:tester`));
  assert.deepEqual((await Run.get(`TagFlow/${tagRun}`)).userTags, ['nightly', 'v2']);

  r = await project.cli(['tag', 'add', TAGGED, '--run-id', tagRun, 'user:tester']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /'user:tester' is a system tag of TagFlow\/\d+; it was not added as a user tag\./);

  r = await project.cli(['tag', 'remove', TAGGED, '--run-id', tagRun, 'v2']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await Run.get(`TagFlow/${tagRun}`)).userTags, ['nightly']);

  r = await project.cli(['tag', 'replace', TAGGED, '--run-id', tagRun, '--remove', 'nightly', '--add', 'prod', '--add', 'v3']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /user tags: {3}prod, v3\n/);
  assert.deepEqual((await Run.get(`TagFlow/${tagRun}`)).userTags, ['prod', 'v3']);

  // Another user's run, named by id, can be tagged too.
  r = await project.cli(['tag', 'add', TAGGED, '--run-id', otherRun, 'shared']);
  assert.equal(r.code, 0, r.stderr);
  namespace(null);
  assert.deepEqual((await Run.get(`TagFlow/${otherRun}`)).userTags, ['shared']);
  namespace('user:tester');
});

test('tag refuses system tags, bad tags and unknown runs with one message, and changes nothing', async () => {
  const before = (await Run.get(`TagFlow/${tagRun}`)).userTags;
  const tag = (...args: string[]) => project.cli(['tag', ...args]);
  fails(await tag('remove', TAGGED, '--run-id', tagRun, 'user:tester'), 2, /^error: Cannot remove system tag 'user:tester' of run TagFlow\/\d+: only user tags can be removed\. Nothing was changed\.$/);
  fails(await tag('replace', TAGGED, '--run-id', tagRun, '--remove', 'runtime:node', '--add', 'sneaky'), 2, /Cannot remove system tag 'runtime:node'/);
  fails(await tag('add', TAGGED, '--run-id', tagRun, 'ok', ''), 2, /^error: tag add: a tag cannot be empty\.$/);
  fails(await tag('add', TAGGED, '--run-id', tagRun, 'x'.repeat(501)), 2, /^error: tag add: a tag can have at most 500 characters; 'x{40}\.\.\.' has 501\.$/);
  fails(await tag('add', TAGGED, '--run-id', '42', 'x'), 1, /^error: Run TagFlow\/42 was not found\. The newest runs of TagFlow are \d+, \d+\.$/);
  fails(await tag('add', TAGGED, 'x'), 2, /^error: `tag add` needs the run: --run-id ID\./);
  fails(await tag('add', TAGGED, '--run-id', tagRun), 2, /^error: `tag add` needs at least one TAG\./);
  fails(await tag('replace', TAGGED, '--run-id', tagRun), 2, /needs tags: --remove TAG and\/or --add TAG/);
  fails(await tag('rename', TAGGED), 2, /^error: Unknown subcommand "rename" for `tag`\. The subcommands are: add, remove, replace, list\.$/);
  fails(await tag(TAGGED, 'add'), 2, /Unknown subcommand ".*tagged\.ts" for `tag`/);
  fails(await tag('add', INSPECT, '--run-id', tagRun, 'x'), 1, new RegExp(`^error: Run ${tagRun} is a run of flow TagFlow, not of InspectFlow \\(which inspect\\.ts defines\\)\\.`));
  const none = flow('none.ts', 'NeverRunFlow', `  @step start() { this.next(this.end); }\n  @step end() {}`);
  fails(await tag('add', none, '--run-id', '1', 'x'), 1, /^error: The store has no run of NeverRunFlow \(defined in none\.ts\) yet\. Run it first: cairn run none\.ts\.$/);
  assert.deepEqual((await Run.get(`TagFlow/${tagRun}`)).userTags, before);
});

test("tag list shows the newest runs of the current user, every user's with --all, or the runs given", async () => {
  let r = await project.cli(['tag', 'list', TAGGED]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`TagFlow/${tagRun} `));
  assert.doesNotMatch(r.stdout, new RegExp(otherRun));
  assert.match(r.stdout, /system tags: /);

  r = await project.cli(['tag', 'list', TAGGED, '--all', '--hide-system-tags']);
  assert.equal(r.code, 0, r.stderr);
  const blocks = r.stdout.split('\n\n');
  assert.equal(blocks.length, 2);
  assert.match(blocks[0]!, new RegExp(`^TagFlow/${otherRun} \\(succeeded, started .* by other\\)\n {4}user tags: {3}shared$`), 'newest first');
  assert.match(blocks[1]!, new RegExp(`^TagFlow/${tagRun} `));
  assert.doesNotMatch(r.stdout, /system tags/);

  r = await project.cli(['tag', 'list', TAGGED, '--all', '--limit', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.split('\n\n').length, 1);
  assert.match(r.stderr, /The 1 newest runs of TagFlow of every user are shown; use --limit N to see more\./);

  r = await project.cli(['tag', 'list', TAGGED, '--run-id', otherRun]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^TagFlow/${otherRun} .* by other\\)`));

  fails(await project.cli(['tag', 'list', TAGGED], { CAIRN_USER: 'nobody' }), 1, /^error: TagFlow has no run in namespace user:nobody\. Add --all to list the runs of every user\.$/);
});

test("logs prints a task's output, every task of a step under headers, stderr, timestamps and earlier attempts", async () => {
  const logs = (...args: string[]) => project.cli(['logs', INSPECT, ...args]);
  let r = await logs(`${inspectRun}/start/1`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'starting\n');

  r = await logs(`InspectFlow/${inspectRun}/end`);
  assert.equal(r.stdout, `${HEADER}InspectFlow/${inspectRun}/end/7, attempt 0 (succeeded), stdout ---\nno newline at the end\n`);

  r = await logs(`${inspectRun}/work`);
  assert.equal(r.code, 0, r.stderr);
  const expected = ['a', 'b', 'c'].map(
    (x, i) => `${HEADER}InspectFlow/${inspectRun}/work/${i + 2}, attempt 0 (succeeded), stdout ---\nitem ${x}\n`,
  );
  assert.equal(r.stdout, expected.join(''));

  r = await logs(`${inspectRun}/work/3`, '--stderr');
  assert.equal(r.stdout, 'note b\n');
  r = await logs(`${inspectRun}/work/3`, '--both');
  assert.match(r.stdout, /work\/3, attempt 0 \(succeeded\), stdout ---\nitem b\n--- .*work\/3, attempt 0 \(succeeded\), stderr ---\nnote b\n$/);

  r = await logs(`${inspectRun}/work/4`, '--timestamps');
  assert.match(r.stdout, new RegExp(`${TIME.source}item c\n$`));

  r = await logs(`${inspectRun}/flaky/6`);
  assert.equal(r.stdout, 'try 1\n', 'the latest attempt by default');
  r = await logs(`${inspectRun}/flaky/6`, '--attempt', '0');
  assert.equal(r.stdout, 'try 0\n');
  r = await logs(`${inspectRun}/flaky`, '--attempt', '0', '--stderr');
  assert.match(r.stdout, /flaky\/6, attempt 0 \(failed\), stderr ---\n/);

  r = await logs(`${inspectRun}/join/5`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /Task InspectFlow\/\d+\/join\/5 printed nothing on stdout \(attempt 0\)\./);
});

test('dump prints artifacts readably, large values summarised, with --include, --private and --max-value-size', async () => {
  const dump = (...args: string[]) => project.cli(['dump', INSPECT, ...args]);
  let r = await dump(`${inspectRun}/start/1`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `${HEADER}InspectFlow/${inspectRun}/start/1, attempt 0 ---\n` +
      `big: <Float64Array, 8.0 MB>\nconfig: { depth: 3, name: 'x' }\nitems: [ 'a', 'b', 'c' ]\n`,
  );

  r = await dump(`${inspectRun}/start/1`, '--private', '--include', 'items,_hidden');
  assert.equal(r.stdout, `${HEADER}InspectFlow/${inspectRun}/start/1, attempt 0 ---\nitems: [ 'a', 'b', 'c' ]\n_hidden: 'psst'\n`);
  r = await dump(`${inspectRun}/start/1`, '--private');
  assert.match(r.stdout, /^_hidden: 'psst'$/m);

  r = await dump(`${inspectRun}/start/1`, '--include', 'config', '--max-value-size', '5');
  assert.match(r.stdout, /^config: <Object, \d+ B>$/m);
  r = await dump(`${inspectRun}/start/1`, '--include', 'big', '--max-value-size', '100000000');
  assert.match(r.stdout, /^big: Float64Array\(1000000\) \[\n/m);
  assert.match(r.stdout, /\.\.\. 999900 more items/);

  r = await dump(`${inspectRun}/work`, '--include', 'item');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.match(/^item: .*$/gm), ["item: 'a'", "item: 'b'", "item: 'c'"]);
  assert.equal(r.stdout.match(/^--- /gm)?.length, 3);

  r = await dump(`${inspectRun}/start/1`, '--include', 'items,item,nope');
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^items: /m);
  assert.equal(
    r.stderr,
    `Task InspectFlow/${inspectRun}/start/1 has no artifact 'item' (it has big, config, items).\n` +
      `Task InspectFlow/${inspectRun}/start/1 has no artifact 'nope' (it has big, config, items).\n`,
  );
  fails(await dump(`${inspectRun}/work`, '--include', 'nope'), 1, /^No finished task of step InspectFlow\/\d+\/work has an artifact 'nope' \(task 2 has big, config, item, items\)\.$/);
  fails(await dump(`${inspectRun}/start/1`, '--max-value-size', '-1'), 2, /--max-value-size must be a whole number of bytes from 0 up; got -1\./);
});

test('bad pathspecs and missing runs, steps, tasks and attempts get one clear message each', async () => {
  const logs = (p: string, ...more: string[]) => project.cli(['logs', INSPECT, p, ...more]);
  fails(await logs('999/start'), 1, /^error: Run InspectFlow\/999 was not found\. The newest runs of InspectFlow are \d+\.$/);
  fails(await logs(`${inspectRun}/strat`), 1, /^error: Run InspectFlow\/\d+ has no step 'strat' \(it has [a-z, ]*start[a-z, ]*\)\.$/);
  fails(await logs(`${inspectRun}/start/99`), 1, /^error: Step InspectFlow\/\d+\/start has no task 99 \(its tasks are 1\)\.$/);
  fails(await logs(`${inspectRun}/start/1`, '--attempt', '3'), 1, /^error: Attempt 3 of task 'InspectFlow\/\d+\/start\/1' was not found \(attempts: 0\)\.$/);
  fails(await logs('start'), 2, /^error: 'start' is not a task pathspec: expected RUN\/STEP or RUN\/STEP\/TASK \(for example \d+\/start\/1\)\.$/);
  fails(await logs(`${inspectRun}/start/1/x`), 2, /is not a task pathspec: expected RUN\/STEP or RUN\/STEP\/TASK/);
  fails(await logs(`${inspectRun}//1`), 2, /its STEP part is empty/);
  fails(await logs(`TagFlow/${tagRun}/start/1`), 2, /^error: 'TagFlow\/\d+\/start\/1' is a task of flow TagFlow, but inspect\.ts defines flow InspectFlow\./);
  fails(await logs(`${tagRun}/start/1`), 1, /^error: Run \d+ is a run of flow TagFlow, not of InspectFlow \(which inspect\.ts defines\)\. Give the flow file of TagFlow\.$/);
  fails(await logs(`TagFlow/${tagRun}/start`), 1, /^error: 'TagFlow' is a flow, not a run of InspectFlow\./);
  fails(await project.cli(['logs', INSPECT]), 2, /^error: Which task\? Give a pathspec: cairn logs <flow\.ts> RUN\/STEP\[\/TASK\] \[options\]\.$/);
  fails(await project.cli(['dump', INSPECT]), 2, /^error: Which task\? Give a pathspec: cairn dump/);
  fails(await logs(`${inspectRun}/start`, '--attempt', '-1'), 2, /--attempt must be a whole number from 0 up; got -1\./);
});

test('logs and dump show a run that is still going', async () => {
  const release = join(project.dir, 'release-live');
  const file = flow(
    'live.ts',
    'LiveFlow',
    `  @step start() { this.items = [1, 2]; this.next(this.work, { foreach: 'items' }); }
  @step work() { this.v = this.input * 10; this.next(this.join); }
  @step join(inputs: Inputs<LiveFlow>) { this.total = inputs.reduce((s, i) => s + i.v, 0); this.next(this.wait); }
  @step async wait() {
    console.log('waiting for the release file');
    console.error('stderr while waiting');
    while (!existsSync(${JSON.stringify(release)})) await new Promise((r) => setTimeout(r, 50));
    console.log('released');
    this.next(this.end);
  }
  @step end() {}`,
    '  declare items: number[];\n  declare v: number;\n  declare total: number;',
  );
  const running = project.cli(['run', file, '--run-id-file', 'live.txt']);
  try {
    const idFile = join(project.dir, 'live.txt');
    let runId = '';
    let seen: CliResult | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!runId && existsSync(idFile)) runId = readFileSync(idFile, 'utf8');
      if (runId) {
        const r = await project.cli(['logs', file, `${runId}/wait`]);
        if (r.code === 0 && r.stdout.includes('waiting for the release file')) {
          seen = r;
          break;
        }
      }
      await sleep(200);
    }
    assert.ok(seen, 'the running task showed its output');
    assert.match(seen.stdout, /^--- LiveFlow\/\d+\/wait\/(\d+), attempt 0 \(running\), stdout ---\nwaiting for the release file\n$/);
    const taskId = /wait\/(\d+)/.exec(seen.stdout)![1]!;

    let r = await project.cli(['logs', file, `${runId}/wait/${taskId}`, '--stderr']);
    assert.equal(r.stdout, 'stderr while waiting\n');
    assert.match(r.stderr, /is still running: this is its stderr so far\./);
    const task = await Task.get(`LiveFlow/${runId}/wait/${taskId}`);
    assert.equal(task.finished, false);
    assert.equal(await task.stdout(), 'waiting for the release file\n');

    r = await project.cli(['dump', file, `${runId}/wait`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `--- LiveFlow/${runId}/wait/${taskId} (running: no artifacts) ---\n`);
    assert.match(r.stderr, new RegExp(`^Task ${taskId} of step LiveFlow/\\d+/wait has not finished yet: its artifacts are stored when it finishes\\.\n$`));
    fails(await project.cli(['dump', file, `${runId}/wait/${taskId}`]), 1, /^error: Task LiveFlow\/\d+\/wait\/\d+ is still running: its artifacts are stored when it finishes\.$/);
    r = await project.cli(['dump', file, `${runId}/join`, '--include', 'total']);
    assert.match(r.stdout, /^total: 30$/m);
  } finally {
    writeFileSync(release, '');
  }
  const done = await running;
  assert.equal(done.code, 0, done.stderr + done.stdout);
  const runId = readFileSync(join(project.dir, 'live.txt'), 'utf8');
  const r = await project.cli(['logs', file, `${runId}/wait`]);
  assert.match(r.stdout, /\(succeeded\), stdout ---\nwaiting for the release file\nreleased\n$/);
});
