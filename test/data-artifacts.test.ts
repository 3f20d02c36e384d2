/**
 * Binary artifacts end to end: typed arrays and Buffers stored as raw bytes, passed on by hash
 * when a step only reads them, stored again when a step changes them in place, read back with
 * their type through the client; a damaged blob is an integrity error naming the artifact; a disk
 * that fills up mid-write fails the task clearly and leaves no partial blob.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project, sharedProject } from './helpers.js';
import { Flow, useDatastore, type Run } from '../src/index.js';

const project = sharedProject();

const FLOW = project.write(
  'binary.ts',
  `import { FlowSpec, step } from 'cairnflow';
export class BinaryFlow extends FlowSpec {
  declare values: Float64Array;
  declare bytes: Buffer;
  declare total: number;
  @step start() {
    this.values = new Float64Array(${1 << 19}).map((_, i) => i * 0.5);
    this.bytes = Buffer.from('raw bytes');
    this.next(this.read);
  }
  @step read() {
    let t = 0;
    for (const v of this.values) t += v;
    this.total = t;
    if (!(this.bytes instanceof Buffer)) throw new Error('not a Buffer');
    this.next(this.change);
  }
  @step change() {
    this.values[0] = -1;
    this.next(this.end);
  }
  @step end() {}
}
`,
);

async function artifactOf(run: Run, step: string, name: string) {
  return (await (await run.step(step)).task()).artifact(name);
}

test('a typed array is stored raw, passed on by hash when only read, and stored again when changed in place', async () => {
  const r = await project.cli(['run', FLOW]);
  assert.equal(r.code, 0, r.stderr);
  const run = (await (await Flow.get('BinaryFlow')).latestRun())!;
  const start = await artifactOf(run, 'start', 'values');
  const read = await artifactOf(run, 'read', 'values');
  const changed = await artifactOf(run, 'change', 'values');
  assert.equal(start.encoding, 'raw');
  assert.equal(start.type, 'Float64Array');
  assert.ok(start.size > 4 * 1024 * 1024 && start.size < 4 * 1024 * 1024 + 200, 'the bytes and a small header');
  assert.equal(read.sha, start.sha);
  assert.notEqual(changed.sha, start.sha);
  const v = (await changed.data()) as Float64Array;
  assert.ok(v instanceof Float64Array);
  assert.equal(v.length, 1 << 19);
  assert.equal(v[0], -1);
  assert.equal(v[3], 1.5);
  const original = (await start.data()) as Float64Array;
  assert.equal(original[0], 0);
  assert.equal(await run.data.total, (((1 << 19) - 1) * (1 << 19)) / 4);
  const bytes = await run.data.bytes;
  assert.ok(Buffer.isBuffer(bytes));
  assert.equal(bytes.toString(), 'raw bytes');
});

test('a damaged raw blob fails the step that reads it with an integrity error naming the artifact', async () => {
  const first = (await (await Flow.get('BinaryFlow')).latestRun())!;
  const start = await artifactOf(first, 'start', 'values');
  const path = join(project.store, 'blobs', start.sha.slice(0, 2), start.sha);
  const good = readFileSync(path);
  const bad = Buffer.from(good);
  bad[bad.length - 3]! ^= 0xff;
  writeFileSync(path, bad);
  try {
    const r = await project.cli(['resume', FLOW, '--origin-run-id', first.id, 'read']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, new RegExp(`CORRUPT_BLOB.*artifact 'values' in step read.*${start.sha}`));
    await assert.rejects(start.data(), (e: Error & { code?: string }) => e.code === 'CORRUPT_BLOB' && e.message.includes('BinaryFlow/'));
  } finally {
    writeFileSync(path, good);
  }
});

function tryMount(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('a disk that fills up while an artifact is written fails the task clearly, leaves no partial blob, and earlier runs stay readable', async (t) => {
  using small = new Project();
  mkdirSync(small.store);
  if (!tryMount(small.store, '6m')) {
    t.skip('mounting a small tmpfs needs root');
    return;
  }
  try {
    const flow = small.write(
      'fill.ts',
      `import { FlowSpec, step } from 'cairnflow';
export class FillFlow extends FlowSpec {
  declare values: Float64Array;
  @step start() {
    this.values = new Float64Array(Number(process.env.FILL_COUNT)).fill(1);
    this.next(this.end);
  }
  @step end() {}
}
`,
    );
    const ok = await small.cli(['run', flow], { FILL_COUNT: '1000' });
    assert.equal(ok.code, 0, ok.stderr);
    const full = await small.cli(['run', flow], { FILL_COUNT: String(2_000_000) }); // 16 MB on a 6 MB disk
    assert.notEqual(full.code, 0);
    assert.match(full.stdout + full.stderr, /Step start \(task-id \d+\) failed: .*disk is full \(ENOSPC\)/);
    const leftovers = readdirSync(join(small.store, 'blobs'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .filter((p) => readFileSync(p).byteLength > 1024 * 1024 || p.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
    useDatastore(small.store);
    try {
      const runs = [];
      for await (const run of (await Flow.get('FillFlow')).runs()) runs.push(run);
      assert.equal(runs.length, 2);
      const earlier = runs.find((r) => r.successful)!;
      assert.equal(((await earlier.data.values) as Float64Array).length, 1000);
    } finally {
      useDatastore(project.store);
    }
  } finally {
    execFileSync('umount', ['--lazy', small.store]); // the client may still hold the database open
  }
});

test('compression is chosen per artifact with this.setCompression, recorded in the encoding, and read back transparently', async () => {
  const flow = project.write(
    'squeeze.ts',
    `import { FlowSpec, step } from 'cairnflow';
export class SqueezeFlow extends FlowSpec {
  declare rows: Array<{ id: number; name: string }>;
  declare plain: Array<{ id: number; name: string }>;
  declare zipped: Float64Array;
  @step start() {
    this.rows = Array.from({ length: 20000 }, (_, i) => ({ id: i, name: 'user' + i }));
    this.plain = this.rows.slice();
    this.zipped = new Float64Array(100000);
    this.setCompression('plain', 'none');
    this.setCompression(['zipped'], 'gzip');
    if (process.env.BAD_CHOICE) this.setCompression('rows', process.env.BAD_CHOICE as 'gzip');
    this.next(this.end);
  }
  @step end() {
    if (this.rows.length !== 20000 || this.plain[5]!.name !== 'user5' || this.zipped.length !== 100000) throw new Error('bad values');
  }
}
`,
  );
  const r = await project.cli(['run', flow]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const run = (await (await Flow.get('SqueezeFlow')).latestRun())!;
  const rows = await artifactOf(run, 'start', 'rows');
  const plain = await artifactOf(run, 'start', 'plain');
  const zipped = await artifactOf(run, 'start', 'zipped');
  assert.equal(rows.encoding, 'v8+gzip');
  assert.equal(plain.encoding, 'v8');
  assert.equal(zipped.encoding, 'raw+gzip');
  assert.ok(rows.size * 4 < plain.size);
  assert.ok(zipped.size < 10_000);
  assert.equal(((await rows.data()) as unknown[]).length, 20000);
  assert.ok((await zipped.data()) instanceof Float64Array);

  const bad = await project.cli(['run', flow], { BAD_CHOICE: 'zstd' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /this\.setCompression\(\) with "zstd": use one of 'gzip', 'none'/);
});
