/**
 * Deleting runs and collecting garbage through the real CLI (`cairn delete`, `cairn gc`) on the
 * local store, read back through the client: what goes, what stays, bad input that changes
 * nothing, and a run that writes (and reuses deleted blobs) while gc sweeps again and again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sharedProject } from './helpers.js';
import { gc, Run } from '../src/index.js';

const project = sharedProject(null);

const FLOW = project.write(
  'cleanflow.ts',
  `import { FlowSpec, step, Parameter } from 'cairnflow';
export class CleanFlow extends FlowSpec {
  seed = Parameter('seed', { default: 1 });
  sleep = Parameter('sleep', { default: 0 });
  width = Parameter('width', { default: 3 });
  declare shared: string;
  declare own: number[];
  declare items: number[];
  declare part: Float64Array;
  declare total: number;
  @step start() {
    this.shared = 'the same in every run '.repeat(50);
    this.own = [this.seed, this.seed * 2];
    this.items = Array.from({ length: this.width }, (_, i) => i);
    console.log('started', this.seed);
    this.next(this.work, { foreach: 'items' });
  }
  @step async work() {
    await new Promise((r) => setTimeout(r, this.sleep));
    const i = this.input as number;
    // One array shared by every run with this seed and index, and one only this task has.
    this.part = Float64Array.from({ length: 2000 }, (_, k) => k * (i + 1) + this.seed);
    this.total = this.part.reduce((a, b) => a + b, 0) + Math.random();
    this.next(this.join);
  }
  @step join(inputs: any) {
    this.total = inputs.reduce((a: number, x: any) => a + x.total, 0);
    this.mergeArtifacts(inputs, { include: ['shared', 'own'] });
    this.next(this.end);
  }
  @step end() {}
}
`,
);

// The same flow under another name, for the policy test: the runs of the other tests are CleanFlow's.
const POLICY_FLOW = project.write('policyflow.ts', readFileSync(FLOW, 'utf8').replace('class CleanFlow', 'class PolicyFlow'));

let n = 0;
async function run(...args: string[]): Promise<string> {
  const file = `id-${n++}.txt`;
  const flowFile = args[0] === POLICY_FLOW ? args.shift()! : FLOW;
  const r = await project.cli(['run', flowFile, '--run-id-file', file, ...args]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return readFileSync(join(project.dir, file), 'utf8');
}

/** Every file under the store (paths relative to it), with sizes, except the database's own. */
function storeFiles(): Map<string, number> {
  const files = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.startsWith('metadata.db')) files.set(relative(project.store, p), statSync(p).size);
    }
  };
  walk(project.store);
  return files;
}

const blobs = (): string[] => [...storeFiles().keys()].filter((f) => /^blobs\/[0-9a-f]{2}\/[0-9a-f]{40}$/.test(f)).sort();

/** Reads every artifact of every task of the run: a blob gc wrongly took fails here. */
async function readEverything(runId: string, flow = 'CleanFlow'): Promise<number> {
  const r = await Run.get(`${flow}/${runId}`);
  assert.equal(r.successful, true, `${runId} succeeded`);
  let count = 0;
  for (const s of await r.steps()) {
    for (const t of await s.tasks()) {
      for (const a of await t.artifacts({ private: true })) {
        await a.data();
        count++;
      }
      await t.stdout();
    }
  }
  return count;
}

async function exists(runId: string, flow = 'CleanFlow'): Promise<boolean> {
  return Run.get(`${flow}/${runId}`).then(
    () => true,
    (e: { code?: string }) => (e.code === 'NOT_FOUND' ? false : Promise.reject(e)),
  );
}

test('delete removes a run and its files; gc then takes exactly the blobs only it used', async () => {
  const keep = await run('--seed', '1');
  const gone = await run('--seed', '2');
  const gcFirst = await project.cli(['gc', '--grace', '0s']);
  assert.equal(gcFirst.code, 0, gcFirst.stderr);
  assert.match(gcFirst.stdout, /Deleted 0 run\(s\)/);
  const before = blobs();

  const r = await project.cli(['delete', `CleanFlow/${gone}`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Deleted run CleanFlow/${gone}\\n1 run\\(s\\) deleted, [\\d.]+ (B|kB) of records, logs and cards freed`));
  assert.equal(await exists(gone), false);
  for (const area of ['tasks', 'logs', 'cards']) assert.equal(existsSync(join(project.store, area, 'CleanFlow', gone)), false, area);
  assert.deepEqual(blobs(), before, 'blobs stay until gc');

  const swept = await project.cli(['gc', '--grace', '0s']);
  assert.equal(swept.code, 0, swept.stderr);
  const after = blobs();
  const taken = before.filter((b) => !after.includes(b));
  // Run 2 had its own parameters, its own `own`, 3 parts and 3 totals, a total in join; the code
  // package and `shared` are the other run's too.
  assert.ok(taken.length >= 8, `took ${taken.length}`);
  assert.match(swept.stdout, new RegExp(`Deleted ${taken.length} of ${before.length} blob\\(s\\), [\\d.]+ kB`));
  assert.match(swept.stdout, /Freed [\d.]+ kB\./);
  assert.ok((await readEverything(keep)) > 10, 'the run kept reads whole');
  const again = await project.cli(['gc', '--grace', '0s']);
  assert.match(again.stdout, /Deleted 0 of \d+ blob\(s\), 0 B/);
});

test('delete refuses a run still going unless --force, and an unknown run changes nothing', async () => {
  const done = await run('--seed', '3');
  const bg = project.start(['run', FLOW, '--seed', '4', '--sleep', '60000', '--run-id-file', 'going.txt']);
  try {
    await bg.waitFor(/started 4/);
    const going = readFileSync(join(project.dir, 'going.txt'), 'utf8');
    const refused = await project.cli(['delete', `CleanFlow/${done}`, `CleanFlow/${going}`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`Run CleanFlow/${going} is still running .*pass --force\\.\\nNothing was deleted\\.`));
    assert.equal(await exists(done), true, 'the finished run named with it stays');

    const unknown = await project.cli(['delete', `CleanFlow/${done}`, 'CleanFlow/123']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Run CleanFlow\/123 was not found/);
    assert.equal(await exists(done), true);
    const bad = await project.cli(['delete', done]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is a run id without its flow/);

    // gc never takes a run still going, whatever the policy.
    const policy = await project.cli(['gc', '--keep-last', '0', '--dry-run']);
    assert.equal(policy.code, 0, policy.stderr);
    assert.doesNotMatch(policy.stdout, new RegExp(`Would delete run CleanFlow/${going}`));
    assert.match(policy.stdout, /1 still going/);

    const forced = await project.cli(['delete', '--force', `CleanFlow/${going}`]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await exists(going), false);
  } finally {
    bg.child.kill('SIGKILL');
    await bg.exited;
  }
  // The client does the same.
  const r = await Run.get(`CleanFlow/${done}`);
  const { bytes } = await r.delete();
  assert.ok(bytes > 0);
  assert.equal(await exists(done), false);
});

test('gc deletes runs by policy; --dry-run and a bad policy change nothing', async () => {
  const ids: string[] = [];
  for (const seed of ['5', '6', '7', '8']) ids.push(await run(POLICY_FLOW, '--seed', seed));
  const tagged = await project.cli(['tag', 'add', POLICY_FLOW, '--run-id', ids[0]!, 'keep']);
  assert.equal(tagged.code, 0, tagged.stderr);
  const snapshot = storeFiles();

  for (const [args, message] of [
    [['--older-than', '30x'], /--older-than must be a duration such as 30d, 12h, 90m or 45s .*got "30x"\. Nothing was deleted\./],
    [['--keep-last', '-1'], /--keep-last must be 0 or more; got -1\. Nothing was deleted\./],
    [['--keep-last', 'two'], /--keep-last/],
    [['--flow', 'NoSuchFlow', '--keep-last', '1'], /The store has no flow NoSuchFlow \(its flows are (CleanFlow, )?PolicyFlow\)\. Nothing was deleted\./],
    [['--grace', 'soon'], /--grace must be a duration/],
  ] as const) {
    const r = await project.cli(['gc', ...args]);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, message);
    assert.deepEqual(storeFiles(), snapshot, `${args.join(' ')} changed nothing`);
  }

  const dry = await project.cli(['gc', '--flow', 'PolicyFlow', '--keep-last', '1', '--keep-tag', 'keep', '--grace', '0s', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, new RegExp(`^Would delete run PolicyFlow/${ids[2]}\\nWould delete run PolicyFlow/${ids[1]}\\n`));
  assert.match(dry.stdout, /Would delete 2 run\(s\); kept 1 among the newest \(--keep-last\), 1 with a --keep-tag tag(, \d+ of other flows)?\./);
  assert.match(dry.stdout, /Would delete [1-9]\d* of \d+ blob\(s\)/);
  assert.match(dry.stdout, /Dry run: nothing was changed\./);
  assert.deepEqual(storeFiles(), snapshot, '--dry-run changed nothing');

  const report = await gc({ flow: 'PolicyFlow', keepLast: 1, keepTags: ['keep'], grace: 0 });
  assert.deepEqual(report.runs.deleted.sort(), [`PolicyFlow/${ids[1]}`, `PolicyFlow/${ids[2]}`].sort());
  assert.ok(report.blobs.deleted > 0 && report.blobs.bytes > 0);
  for (const id of [ids[1], ids[2]]) assert.equal(await exists(id!, 'PolicyFlow'), false);
  await readEverything(ids[0]!, 'PolicyFlow');
  await readEverything(ids[3]!, 'PolicyFlow');
});

test('gc removes temporary files a crashed write left behind, once they are old', async () => {
  const dir = join(project.store, 'blobs', 'ab');
  mkdirSync(dir, { recursive: true });
  const old = join(dir, '.abcdef.123-x.1.tmp');
  const fresh = join(dir, '.abcdef.123-x.2.tmp');
  writeFileSync(old, 'partial');
  writeFileSync(fresh, 'being written');
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  utimesSync(old, twoHoursAgo, twoHoursAgo);
  const dry = await project.cli(['gc', '--dry-run']);
  assert.match(dry.stdout, /Would remove 1 leftover temporary file/);
  assert.equal(existsSync(old), true);
  const r = await project.cli(['gc']);
  assert.match(r.stdout, /Removed 1 leftover temporary file/);
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(fresh), true, 'a write that may still be going is left alone');
});

test('a run writing new blobs and reusing deleted ones while gc sweeps again and again loses nothing', async () => {
  // The blobs of seed 9 become garbage; the run below writes the same bytes again while gc runs.
  const first = await run('--seed', '9', '--width', '12');
  assert.equal((await project.cli(['delete', `CleanFlow/${first}`])).code, 0);
  const bg = project.start(['run', FLOW, '--seed', '9', '--width', '12', '--sleep', '150', '--max-workers', '3', '--run-id-file', 'racing.txt']);
  let sweeps = 0;
  let deletedWhileRunning = 0;
  let ended = false;
  void bg.exited.then(() => (ended = true));
  await bg.waitFor(/started 9/);
  while (!ended) {
    const report = await gc({ grace: 0 });
    sweeps++;
    deletedWhileRunning += report.blobs.deleted;
    // The local store works synchronously: give the event loop a turn to hear the run end.
    await new Promise((r) => setTimeout(r, 5));
  }
  const result = await bg.exited;
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.ok(sweeps >= 3, `gc swept ${sweeps} times while the run went`);
  assert.ok(deletedWhileRunning > 0, 'the old run left garbage that gc found while the new one ran');
  const racing = readFileSync(join(project.dir, 'racing.txt'), 'utf8');
  assert.ok((await readEverything(racing)) > 30);
  await gc({ grace: 0 });
  await readEverything(racing);
});
