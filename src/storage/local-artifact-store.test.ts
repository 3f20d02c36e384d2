import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { artifactStoreContract } from './artifact-store.contract.js';
import { sha1Hex } from './hash.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import { rejectsWithCode } from './store-helpers.fixture.js';

const run = promisify(execFile);
const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'cairn-artifacts-'));
  roots.push(root);
  return root;
}
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

artifactStoreContract('local folder', async () => {
  const root = tempRoot();
  const store = new LocalArtifactStore(root);
  return {
    store,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
    corruptBlob: (sha: string) => writeFileSync(store.blobPath(sha), 'tampered'),
  };
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const task = { flow: 'LayoutFlow', runId: '1700000000000001', step: 'start', taskId: '1' };

describe('LocalArtifactStore', () => {
  it('lays out blobs, task records and logs as documented', async () => {
    const root = tempRoot();
    const store = new LocalArtifactStore(root);
    const sha = await store.putBlob(new TextEncoder().encode('layout'));
    await store.putTaskRecord(task, 0, { version: 1, artifacts: {} });
    const logPath = await store.appendLog(task, 2, 'stderr', { start: 0, bytes: new TextEncoder().encode('1 oops\n') });
    assert.ok(existsSync(join(root, 'blobs', sha.slice(0, 2), sha)));
    assert.ok(existsSync(join(root, 'tasks', 'LayoutFlow', '1700000000000001', 'start', '1', '0.json')));
    assert.equal(logPath, `${join(root, 'logs', 'LayoutFlow', '1700000000000001', 'start', '1', '2.stderr')}/`);
    assert.ok(existsSync(join(logPath, '000000000000000-000000000000007.log')));
    assert.equal(store.location, root);
  });

  it('keeps cards per attempt under cards/, replaces them atomically, and lists no temporary file', async () => {
    const root = tempRoot();
    const store = new LocalArtifactStore(root);
    const dir = join(root, 'cards', 'LayoutFlow', '1700000000000001', 'start', '1', '0');
    await store.putCard(task, 0, 'default', new TextEncoder().encode('{"n":1}'));
    assert.equal(readFileSync(join(dir, 'default.json'), 'utf8'), '{"n":1}');
    const before = statSync(join(dir, 'default.json')).ino;
    await store.putCard(task, 0, 'default', new TextEncoder().encode('{"n":2}'));
    assert.notEqual(statSync(join(dir, 'default.json')).ino, before, 'a new file renamed into place, not an in-place write');
    writeFileSync(join(dir, '.default.json.123.tmp'), '{"n"'); // a writer that died half way
    assert.deepEqual(await store.listCards(task, 0), ['default']);
    assert.equal(Buffer.from((await store.getCard(task, 0, 'default'))!).toString(), '{"n":2}');
  });

  it('stores blob bytes as they are, without compression or framing', async () => {
    const root = tempRoot();
    const store = new LocalArtifactStore(root);
    const bytes = new TextEncoder().encode('raw bytes on disk');
    const sha = await store.putBlob(bytes);
    assert.ok(readFileSync(join(root, 'blobs', sha.slice(0, 2), sha)).equals(Buffer.from(bytes)));
  });

  it('never rewrites a blob that already exists, only refreshes its time (for gc)', async () => {
    const store = new LocalArtifactStore(tempRoot());
    const bytes = new TextEncoder().encode('write once');
    const sha = await store.putBlob(bytes);
    const before = statSync(store.blobPath(sha));
    await new LocalArtifactStore(store.root).putBlob(bytes); // a fresh instance knows no folders yet
    await store.putBlob(bytes);
    const afterPut = statSync(store.blobPath(sha));
    assert.equal(afterPut.ino, before.ino);
    assert.ok(afterPut.mtimeMs >= before.mtimeMs);
    assert.equal(afterPut.size, before.size);
  });

  it('leaves no temporary files behind', async () => {
    const root = tempRoot();
    const store = new LocalArtifactStore(root);
    for (let i = 0; i < 20; i++) {
      await store.putBlob(new TextEncoder().encode(`blob ${i % 5}`));
      await store.putTaskRecord({ ...task, taskId: String(i) }, 0, { version: 1, artifacts: {} });
      await store.appendLog({ ...task, taskId: String(i) }, 0, 'stdout', { start: 0, bytes: new TextEncoder().encode('x') });
    }
    assert.deepEqual(filesUnder(root).filter((f) => f.endsWith('.tmp')), []);
    assert.equal(readdirSync(join(root, 'blobs'), { recursive: true }).filter((f) => String(f).length > 2).length, 5);
  });

  it('recreates a blob folder that was removed while the store was open', async () => {
    const root = tempRoot();
    const store = new LocalArtifactStore(root);
    const sha = await store.putBlob(new TextEncoder().encode('first'));
    rmSync(join(root, 'blobs'), { recursive: true });
    await rejectsWithCode(() => store.getBlob(sha), 'NOT_FOUND');
    assert.equal(await store.putBlob(new TextEncoder().encode('first')), sha);
    assert.equal(Buffer.from(await store.getBlob(sha)).toString(), 'first');
    // A large blob (written while hashed, through blobs/tmp) too.
    const big = new Uint8Array(2 * 1024 * 1024).fill(7);
    const bigSha = await store.putBlob(big);
    rmSync(join(root, 'blobs'), { recursive: true });
    assert.equal(await store.putBlob([big.subarray(0, 10), big.subarray(10)]), bigSha);
    assert.equal((await store.getBlob(bigSha)).byteLength, big.byteLength);
  });

  it('names the blob and its path when a blob is corrupt', async () => {
    const store = new LocalArtifactStore(tempRoot());
    const sha = await store.putBlob(new TextEncoder().encode('intact'));
    writeFileSync(store.blobPath(sha), 'intacT');
    await rejectsWithCode(() => store.getBlob(sha), 'CORRUPT_BLOB', new RegExp(sha), new RegExp(store.blobPath(sha).replace(/[.\\]/g, '\\$&')));
  });

  it('refuses task keys that would leave the store folder', async () => {
    const store = new LocalArtifactStore(tempRoot());
    for (const bad of ['..', '.', 'a/b', 'a\\b', '']) {
      await rejectsWithCode(() => store.putTaskRecord({ ...task, step: bad }, 0, { version: 1, artifacts: {} }), 'INVALID_ARGUMENT');
      await rejectsWithCode(() => store.readLog({ ...task, runId: bad }, 0, 'stdout'), 'INVALID_ARGUMENT');
    }
    await rejectsWithCode(() => store.putTaskRecord(task, -1, { version: 1, artifacts: {} }), 'INVALID_ARGUMENT');
  });

  it('reads a log stored by an older version as one file, with or without its header', async () => {
    const root = tempRoot();
    const store = new LocalArtifactStore(root);
    const dir = join(root, 'logs', 'LayoutFlow', '1700000000000001', 'start', '1');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '0.stdout.log'), 'cairn-log 1\n12 old\n');
    writeFileSync(join(dir, '0.stderr.log'), 'plain\n');
    const out = await store.readLog(task, 0, 'stdout');
    assert.deepEqual([out?.format, Buffer.from(out!.bytes).toString(), out?.end], ['records', '12 old\n', 7]);
    const err = await store.readLog(task, 0, 'stderr');
    assert.deepEqual([err?.format, Buffer.from(err!.bytes).toString()], ['text', 'plain\n']);
  });

  it('reports a task record that is not valid JSON', async () => {
    const root = tempRoot();
    const store = new LocalArtifactStore(root);
    await store.putTaskRecord(task, 0, { version: 1, artifacts: {} });
    writeFileSync(join(root, 'tasks', task.flow, task.runId, task.step, task.taskId, '0.json'), '{"version":');
    await rejectsWithCode(() => store.getTaskRecord(task, 0), 'STORE', /not valid JSON/);
  });

  it('lets two processes write the same blobs at the same time', async () => {
    const root = tempRoot();
    const moduleUrl = pathToFileURL(fileURLToPath(new URL('./local-artifact-store.ts', import.meta.url))).href;
    const script = `
      import { LocalArtifactStore } from ${JSON.stringify(moduleUrl)};
      const [root, startAt] = [process.argv[1], Number(process.argv[2])];
      const store = new LocalArtifactStore(root);
      while (Date.now() < startAt) {}
      for (let i = 0; i < 300; i++) {
        store.putBlobSync(new TextEncoder().encode('blob ' + i + ' ' + 'y'.repeat(i * 200)));
      }
    `;
    const startAt = String(Date.now() + 1500);
    const args = ['--import', 'tsx', '--input-type=module', '-e', script, root, startAt];
    await Promise.all([run(process.execPath, args), run(process.execPath, args)]);
    const store = new LocalArtifactStore(root);
    for (let i = 0; i < 300; i++) {
      const bytes = new TextEncoder().encode(`blob ${i} ${'y'.repeat(i * 200)}`);
      assert.equal(Buffer.from(store.getBlobSync(sha1Hex(bytes))).toString(), Buffer.from(bytes).toString());
    }
    const files = filesUnder(join(root, 'blobs'));
    assert.equal(files.length, 300);
    assert.deepEqual(files.filter((f) => f.endsWith('.tmp')), []);
  });
});
