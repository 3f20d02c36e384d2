/**
 * The behaviour every ArtifactStore backend must have. A backend's test file calls
 * `artifactStoreContract(name, make)`; `make` returns a fresh, empty store for each test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskKey } from '../core/types.js';
import { sha1Hex } from './hash.js';
import { rejectsWithCode } from './store-helpers.fixture.js';
import { isMaintained, type ArtifactStore, type StoredLog, type TaskRecord } from './types.js';

export interface ArtifactStoreFixture {
  store: ArtifactStore;
  cleanup(): Promise<void> | void;
  /** Changes the stored bytes of a blob behind the store's back (skips the corruption test if absent). */
  corruptBlob?(sha: string): Promise<void> | void;
}

const task: TaskKey = { flow: 'ContractFlow', runId: '1700000000000001', step: 'train', taskId: '7' };

function record(shas: string[]): TaskRecord {
  const artifacts: TaskRecord['artifacts'] = {};
  shas.forEach((sha, i) => {
    artifacts[`a${i}`] = { sha, size: i, type: 'number', encoding: 'v8' };
  });
  return { version: 1, artifacts };
}

const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

export function artifactStoreContract(name: string, make: () => Promise<ArtifactStoreFixture>): void {
  const withStore = async (fn: (fx: ArtifactStoreFixture) => Promise<void>): Promise<void> => {
    const fx = await make();
    try {
      await fn(fx);
    } finally {
      await fx.store.close?.();
      await fx.cleanup();
    }
  };

  describe(`ArtifactStore contract: ${name}`, () => {
    it('stores bytes under their sha1 and reads the same bytes back', () =>
      withStore(async ({ store }) => {
        const bytes = bytesOf('hello artifacts');
        const sha = await store.putBlob(bytes);
        assert.equal(sha, sha1Hex(bytes));
        assert.deepEqual(Buffer.from(await store.getBlob(sha)), Buffer.from(bytes));
        if (store.getBlobSync) assert.deepEqual(Buffer.from(store.getBlobSync(sha)), Buffer.from(bytes));
      }));

    it('stores an empty blob and a blob of several megabytes', () =>
      withStore(async ({ store }) => {
        const big = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
        for (const bytes of [new Uint8Array(0), big]) {
          const sha = await store.putBlob(bytes);
          assert.equal(sha, sha1Hex(bytes));
          const back = await store.getBlob(sha);
          assert.equal(back.byteLength, bytes.byteLength);
          assert.ok(Buffer.from(back).equals(Buffer.from(bytes)));
        }
      }));

    it('stores parts as one blob (small and large) and reads it into planned memory', () =>
      withStore(async ({ store }) => {
        const data = new Uint8Array(18 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
        for (const body of [data.subarray(0, 100), data]) {
          const parts = [bytesOf('head:'), body.subarray(0, 3), body.subarray(3)];
          const whole = Buffer.concat(parts);
          const sha = await store.putBlob(parts);
          assert.equal(sha, sha1Hex(whole));
          assert.ok(Buffer.from(await store.getBlob(sha)).equals(whole));
          const reads: Array<(plan: Parameters<NonNullable<ArtifactStore['readBlob']>>[1]) => Promise<void> | void> = [];
          if (store.readBlob) reads.push((plan) => store.readBlob!(sha, plan));
          if (store.readBlobSync) reads.push((plan) => store.readBlobSync!(sha, plan));
          for (const read of reads) {
            let into: Uint8Array | undefined;
            await read((head, size) => {
              assert.equal(size, whole.byteLength);
              assert.equal(Buffer.from(head.subarray(0, 5)).toString(), 'head:');
              into = new Uint8Array(size - 5);
              return { skip: 5, into };
            });
            assert.ok(Buffer.from(into!).equals(Buffer.from(body)));
          }
        }
      }));

    it('reads the first bytes of a blob (all of a shorter one) without reading the rest', () =>
      withStore(async ({ store }) => {
        if (!store.getBlobHead) return;
        const sha = await store.putBlob(bytesOf('0123456789'));
        assert.equal(Buffer.from(await store.getBlobHead(sha, 4)).toString(), '0123');
        assert.equal(Buffer.from(await store.getBlobHead(sha, 100)).toString(), '0123456789');
        await rejectsWithCode(() => store.getBlobHead!(sha1Hex(bytesOf('absent')), 4), 'NOT_FOUND');
      }));

    it('returns the same address when the same bytes are put again', () =>
      withStore(async ({ store }) => {
        const a = await store.putBlob(bytesOf('same'));
        const b = await store.putBlob(bytesOf('same'));
        assert.equal(a, b);
        assert.deepEqual(Buffer.from(await store.getBlob(a)).toString(), 'same');
      }));

    it('resolves many parallel puts of the same bytes to one readable blob', () =>
      withStore(async ({ store }) => {
        const bytes = bytesOf('x'.repeat(10_000));
        const shas = await Promise.all(Array.from({ length: 50 }, () => store.putBlob(bytes)));
        assert.equal(new Set(shas).size, 1);
        assert.equal((await store.getBlob(shas[0] as string)).byteLength, 10_000);
      }));

    it('rejects a read of a missing blob with NOT_FOUND', () =>
      withStore(async ({ store }) => {
        const missing = sha1Hex(bytesOf('never stored'));
        await rejectsWithCode(() => store.getBlob(missing), 'NOT_FOUND', new RegExp(missing));
        if (store.getBlobSync) await rejectsWithCode(() => store.getBlobSync?.(missing), 'NOT_FOUND');
      }));

    it('rejects an address that is not a sha1 with INVALID_ARGUMENT', () =>
      withStore(async ({ store }) => {
        await rejectsWithCode(() => store.getBlob('../../etc/passwd'), 'INVALID_ARGUMENT');
      }));

    it('verifies what it reads and reports a corrupt blob with CORRUPT_BLOB', async (t) => {
      const fx = await make();
      try {
        if (!fx.corruptBlob) {
          t.skip('this backend cannot corrupt a blob from a test');
          return;
        }
        const sha = await fx.store.putBlob(bytesOf('precious bytes'));
        await fx.corruptBlob(sha);
        await rejectsWithCode(() => fx.store.getBlob(sha), 'CORRUPT_BLOB', new RegExp(sha));
        if (fx.store.getBlobSync) await rejectsWithCode(() => fx.store.getBlobSync?.(sha), 'CORRUPT_BLOB');
        const plan = (_head: Uint8Array, size: number) => ({ skip: 0, into: new Uint8Array(size) });
        if (fx.store.readBlob) await rejectsWithCode(() => fx.store.readBlob!(sha, plan), 'CORRUPT_BLOB', new RegExp(sha));
        if (fx.store.readBlobSync) await rejectsWithCode(() => fx.store.readBlobSync!(sha, plan), 'CORRUPT_BLOB');
      } finally {
        await fx.cleanup();
      }
    });

    it('writes a damaged blob again when the same bytes are stored, instead of trusting it', async (t) => {
      const fx = await make();
      try {
        if (!fx.corruptBlob) {
          t.skip('this backend cannot corrupt a blob from a test');
          return;
        }
        const bytes = bytesOf('bytes a later run produces again');
        const sha = await fx.store.putBlob(bytes);
        await fx.corruptBlob(sha);
        assert.equal(await fx.store.putBlob(bytes), sha);
        assert.deepEqual(Buffer.from(await fx.store.getBlob(sha)), Buffer.from(bytes));
      } finally {
        await fx.cleanup();
      }
    });

    it('tells which of the given blobs exist', () =>
      withStore(async ({ store }) => {
        const a = await store.putBlob(bytesOf('a'));
        const b = await store.putBlob(bytesOf('b'));
        const missing = sha1Hex(bytesOf('c'));
        const found = await store.hasBlobs([a, missing, b]);
        assert.deepEqual([...found].sort(), [a, b].sort());
        assert.equal((await store.hasBlobs([])).size, 0);
      }));

    it('keeps one task record per attempt and returns undefined for attempts never written', () =>
      withStore(async ({ store }) => {
        const s0 = await store.putBlob(bytesOf('0'));
        const s1 = await store.putBlob(bytesOf('1'));
        await store.putTaskRecord(task, 0, record([s0]));
        await store.putTaskRecord(task, 1, record([s0, s1]));
        assert.deepEqual(await store.getTaskRecord(task, 0), record([s0]));
        assert.deepEqual(await store.getTaskRecord(task, 1), record([s0, s1]));
        assert.equal(await store.getTaskRecord(task, 2), undefined);
        assert.equal(await store.getTaskRecord({ ...task, taskId: '8' }, 0), undefined);
      }));

    it('replaces a task record written again for the same attempt', () =>
      withStore(async ({ store }) => {
        const s0 = await store.putBlob(bytesOf('0'));
        const s1 = await store.putBlob(bytesOf('1'));
        await store.putTaskRecord(task, 0, record([s0]));
        await store.putTaskRecord(task, 0, record([s1]));
        assert.deepEqual(await store.getTaskRecord(task, 0), record([s1]));
      }));

    it('keeps the records of different tasks, steps and runs apart', () =>
      withStore(async ({ store }) => {
        const s0 = await store.putBlob(bytesOf('0'));
        const s1 = await store.putBlob(bytesOf('1'));
        const other = { ...task, step: 'evaluate' };
        await store.putTaskRecord(task, 0, record([s0]));
        await store.putTaskRecord(other, 0, record([s1]));
        await store.putTaskRecord({ ...task, runId: '1700000000000002' }, 0, record([s0, s1]));
        assert.deepEqual(await store.getTaskRecord(task, 0), record([s0]));
        assert.deepEqual(await store.getTaskRecord(other, 0), record([s1]));
      }));

    it('appends log segments per attempt and stream, and reads them back from any offset', () =>
      withStore(async ({ store }) => {
        const seg = (start: number, text: string) => ({ start, bytes: bytesOf(text) });
        const text = (log: StoredLog | undefined) => (log ? Buffer.from(log.bytes).toString() : undefined);
        const out0 = await store.appendLog(task, 0, 'stdout', seg(0, '1 out a\n'));
        await store.appendLog(task, 0, 'stdout', seg(8, '2 out b\n'));
        const err0 = await store.appendLog(task, 0, 'stderr', seg(0, '3 err\n'));
        await store.appendLog(task, 1, 'stdout', seg(0, '4 out 1\n'));
        assert.equal(typeof out0, 'string');
        assert.ok(out0.length > 0 && out0 !== err0);
        const all = await store.readLog(task, 0, 'stdout');
        assert.deepEqual({ ...all, bytes: text(all) }, { format: 'records', bytes: '1 out a\n2 out b\n', start: 0, end: 16 });
        const tail = await store.readLog(task, 0, 'stdout', 8);
        assert.deepEqual([text(tail), tail?.start, tail?.end], ['2 out b\n', 8, 16]);
        const mid = await store.readLog(task, 0, 'stdout', 10);
        assert.deepEqual([text(mid), mid?.start], ['out b\n', 10]);
        const past = await store.readLog(task, 0, 'stdout', 16);
        assert.deepEqual([text(past), past?.end], ['', 16]);
        assert.equal(text(await store.readLog(task, 0, 'stderr')), '3 err\n');
        assert.equal(text(await store.readLog(task, 1, 'stdout')), '4 out 1\n');
        assert.equal(await store.readLog(task, 1, 'stderr'), undefined);
      }));

    it('chains log segments from 0, stops at a gap, and reads the segment that reaches furthest', () =>
      withStore(async ({ store }) => {
        const seg = (start: number, text: string) => ({ start, bytes: bytesOf(text) });
        await store.appendLog(task, 0, 'stdout', seg(0, 'aaaa'));
        await store.appendLog(task, 0, 'stdout', seg(8, 'cccc'));
        assert.equal(Buffer.from((await store.readLog(task, 0, 'stdout'))!.bytes).toString(), 'aaaa');
        await store.appendLog(task, 0, 'stdout', seg(4, 'bb'));
        await store.appendLog(task, 0, 'stdout', seg(4, 'bbbb'));
        const log = (await store.readLog(task, 0, 'stdout'))!;
        assert.deepEqual([Buffer.from(log.bytes).toString(), log.end], ['aaaabbbbcccc', 12]);
        await rejectsWithCode(() => store.readLog(task, 0, 'stdout', -1), 'INVALID_ARGUMENT', /byte offset/);
        await rejectsWithCode(() => store.appendLog(task, 0, 'nope' as 'stdout', seg(0, 'x')), 'INVALID_ARGUMENT', /log stream/);
      }));

    it('stores card documents per attempt and card id, replaces them, and lists them sorted', () =>
      withStore(async ({ store }) => {
        assert.deepEqual(await store.listCards(task, 0), []);
        assert.equal(await store.getCard(task, 0, 'default'), undefined);
        await store.putCard(task, 0, 'summary', bytesOf('{"v":1}'));
        await store.putCard(task, 0, 'default', bytesOf('{"v":2}'));
        await store.putCard(task, 1, 'default', bytesOf('{"v":3}'));
        await store.putCard(task, 0, 'summary', bytesOf('{"v":4}'));
        assert.deepEqual(await store.listCards(task, 0), ['default', 'summary']);
        assert.deepEqual(await store.listCards(task, 1), ['default']);
        assert.equal(Buffer.from((await store.getCard(task, 0, 'summary')) ?? []).toString(), '{"v":4}');
        assert.equal(Buffer.from((await store.getCard(task, 1, 'default')) ?? []).toString(), '{"v":3}');
        assert.deepEqual(await store.listCards({ ...task, taskId: '8' }, 0), []);
        assert.deepEqual(await store.listCards(task, 10), [], 'attempt 10 is not a prefix of attempt 1');
      }));

    it('refuses card ids that could leave the task folder, storing nothing', () =>
      withStore(async ({ store }) => {
        for (const id of ['../x', 'a/b', '', '.hidden', 'x'.repeat(65), 'a\\b', 'nul\0']) {
          await rejectsWithCode(() => store.putCard(task, 0, id, bytesOf('{}')), 'INVALID_ARGUMENT', /card id/);
          await rejectsWithCode(() => store.getCard(task, 0, id), 'INVALID_ARGUMENT');
        }
        assert.deepEqual(await store.listCards(task, 0), []);
      }));

    it('lists, refreshes and deletes blobs only when unchanged since the cutoff', () =>
      withStore(async ({ store }) => {
        assert.ok(isMaintained(store), 'every backend offers maintenance');
        const a = await store.putBlob(bytesOf('blob a'));
        const b = await store.putBlob(bytesOf('blob bb'));
        const listed = new Map<string, { size: number; modifiedAt: number }>();
        for await (const page of store.listBlobs()) for (const info of page) listed.set(info.sha, info);
        assert.deepEqual([...listed.keys()].sort(), [a, b].sort());
        assert.equal(listed.get(b)?.size, 7);
        const missing = sha1Hex(bytesOf('absent'));
        assert.deepEqual([...(await store.touchBlobs([a, missing]))], [a]);
        // A cutoff before the blobs were written keeps them; one after deletes them.
        assert.equal(await store.deleteBlob(a, listed.get(a)!.modifiedAt - 60_000), undefined);
        assert.ok((await store.hasBlobs([a])).has(a));
        assert.equal(await store.deleteBlob(b, Date.now() + 60_000), 7);
        assert.equal((await store.hasBlobs([b])).size, 0);
        assert.equal(await store.deleteBlob(b, Date.now() + 60_000), undefined, 'already gone');
        // Putting deleted bytes again stores them again.
        await store.putBlob(bytesOf('blob bb'));
        assert.equal(Buffer.from(await store.getBlob(b)).toString(), 'blob bb');
      }));

    it("lists the runs it holds, reads their records, and deletes one run's files", () =>
      withStore(async ({ store }) => {
        assert.ok(isMaintained(store));
        const s0 = await store.putBlob(bytesOf('r0'));
        const other: TaskKey = { ...task, runId: '1700000000000002' };
        await store.putTaskRecord(task, 0, record([s0]));
        await store.putTaskRecord({ ...task, step: 'end', taskId: '9' }, 1, record([s0, s0]));
        await store.appendLog(task, 0, 'stdout', { start: 0, bytes: bytesOf('1 hi\n') });
        await store.putCard(task, 0, 'default', bytesOf('{}'));
        await store.putTaskRecord(other, 0, record([s0]));
        const runs = (await store.listStoredRuns()).map((r) => `${r.flow}/${r.runId}`).sort();
        assert.deepEqual(runs, [`${task.flow}/${task.runId}`, `${other.flow}/${other.runId}`].sort());
        const records = await store.readRunRecords(task.flow, task.runId);
        assert.deepEqual(records.map((r) => Object.keys(r.artifacts).length).sort(), [1, 2]);
        const freed = await store.deleteRunData(task.flow, task.runId);
        assert.ok(freed > 0);
        assert.equal(await store.getTaskRecord(task, 0), undefined);
        assert.equal(await store.readLog(task, 0, 'stdout'), undefined);
        assert.deepEqual(await store.listCards(task, 0), []);
        assert.deepEqual((await store.listStoredRuns()).map((r) => r.runId), [other.runId]);
        assert.ok(await store.getTaskRecord(other, 0), 'the other run is untouched');
        assert.ok((await store.hasBlobs([s0])).has(s0), 'blobs stay: gc decides about them');
        assert.deepEqual(await store.sweepTemporary(Date.now() - 3_600_000, { dryRun: true }), { files: 0, bytes: 0 });
      }));

    it('describes itself with a kind and a location', () =>
      withStore(async ({ store }) => {
        assert.ok(store.kind.length > 0);
        assert.ok(store.location.length > 0);
      }));
  });
}
