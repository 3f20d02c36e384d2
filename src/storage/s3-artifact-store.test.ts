/**
 * The S3 artifact store against a real S3-compatible server (Ceph's RADOS Gateway from
 * `scripts/services.sh`), in a bucket of its own that is deleted at the end. Skipped, saying why,
 * when CAIRN_TEST_S3_ENDPOINT is not set.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { HeadBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { artifactStoreContract } from './artifact-store.contract.js';
import { decodeArtifact, encodeArtifact, readArtifact, readArtifactSync } from './codec.js';
import { openArtifactStore, type StoreConfig } from './config.js';
import { sha1Hex } from './hash.js';
import { createS3Client, httpStatus } from './s3-client.js';
import { S3ArtifactStore, type S3ArtifactStoreOptions } from './s3-artifact-store.js';
import { awsEnv, S3_SKIP_REASON, s3TestEnv, TestBucket } from './s3-test-bucket.fixture.js';
import { rejectsWithCode } from './store-helpers.fixture.js';

const env = s3TestEnv();
const run = promisify(execFile);
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);

if (!env) {
  it('S3 artifact store tests', { skip: S3_SKIP_REASON }, () => {});
} else {
  // Stores built without explicit credentials use the SDK's default chain: point it at the server.
  Object.assign(process.env, awsEnv(env));
  const bucket = new TestBucket(env);
  const dirs: string[] = [];
  const stores: S3ArtifactStore[] = [];
  let prefixes = 0;

  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-s3-test-'));
    dirs.push(dir);
    return dir;
  };
  /** A store under a fresh prefix (credentials from the environment unless given). */
  const makeStore = (options: Partial<S3ArtifactStoreOptions> = {}): S3ArtifactStore => {
    const { credentials: _, ...settings } = bucket.settings(`t${++prefixes}`);
    const store = new S3ArtifactStore({ ...settings, cacheDir: tempDir(), ...options });
    stores.push(store);
    return store;
  };

  before(() => bucket.create());
  after(async () => {
    await Promise.allSettled(stores.map((s) => s.close()));
    await bucket.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  artifactStoreContract('s3 (Ceph RADOS Gateway)', async () => {
    const store = makeStore();
    return {
      store,
      cleanup: () => store.close(),
      corruptBlob: async (sha: string) => {
        await bucket.client.send(new PutObjectCommand({ Bucket: bucket.name, Key: store.blobKey(sha), Body: 'tampered' }));
      },
    };
  });

  /** Records every command a client sends, with its HTTP status, and the most sent at once. */
  const watch = (client: S3Client) => {
    const log: Array<{ command: string; status: number | undefined }> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    client.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          const r = await next(args);
          log.push({ command: context.commandName, status: r.output?.$metadata?.httpStatusCode });
          return r;
        } catch (e) {
          log.push({ command: context.commandName, status: httpStatus(e) });
          throw e;
        } finally {
          inFlight--;
        }
      },
      { step: 'initialize', name: 'cairnTestWatch' },
    );
    return {
      log,
      get maxInFlight() {
        return maxInFlight;
      },
      count: (command: string, status?: number) => log.filter((r) => r.command === command && (status === undefined || r.status === status)).length,
      reset: () => {
        log.length = 0;
        maxInFlight = 0;
      },
    };
  };

  describe('S3ArtifactStore', () => {
    it('lays out blobs, task records and logs under the prefix like the local store', async () => {
      const store = makeStore();
      const prefix = store.location.slice(`s3://${bucket.name}/`.length);
      const sha = await store.putBlob(bytesOf('layout'));
      const task = { flow: 'LayoutFlow', runId: '1700000000000001', step: 'start', taskId: '1' };
      await store.putTaskRecord(task, 0, { version: 1, artifacts: {} });
      const logAt = await store.appendLog(task, 2, 'stderr', { start: 0, bytes: bytesOf('1 oops\n') });
      assert.deepEqual((await bucket.keys(`${prefix}/`)).sort(), [
        `${prefix}/blobs/${sha.slice(0, 2)}/${sha}`,
        `${prefix}/logs/LayoutFlow/1700000000000001/start/1/2.stderr/000000000000000-000000000000007.log`,
        `${prefix}/tasks/LayoutFlow/1700000000000001/start/1/0.json`,
      ]);
      assert.equal(logAt, `s3://${bucket.name}/${prefix}/logs/LayoutFlow/1700000000000001/start/1/2.stderr/`);
      assert.equal(store.location, `s3://${bucket.name}/${prefix}`);
    });

    it('lets concurrent writers of the same blob all succeed while exactly one object write happens', async () => {
      const writers = Array.from({ length: 4 }, () => makeStore({ prefix: 'shared-writes' }));
      const watched = writers.map((w) => watch(w.client));
      for (const bytes of [bytesOf('written by everyone'), new Uint8Array(2 * 1024 * 1024).fill(42)]) {
        for (const w of watched) w.reset();
        const shas = await Promise.all(writers.flatMap((w) => [w.putBlob(bytes), w.putBlob(bytes)]));
        assert.deepEqual(new Set(shas), new Set([sha1Hex(bytes)]));
        const puts = watched.flatMap((w) => w.log.filter((r) => r.command === 'PutObjectCommand'));
        // Each HEAD-first writer that saw the blob sends nothing; of the puts sent, the server took one.
        assert.equal(puts.filter((r) => r.status === 200).length, 1, JSON.stringify(puts));
        assert.ok(puts.every((r) => r.status === 200 || r.status === 412), JSON.stringify(puts));
        assert.ok(Buffer.from(await writers[3]!.getBlob(shas[0]!)).equals(Buffer.from(bytes)));
      }
      // Multipart: every writer succeeds and the object holds the blob, whoever completed first.
      const big = new Uint8Array(18 * 1024 * 1024).map((_, i) => (i * 7) & 0xff);
      const shas = await Promise.all(writers.slice(0, 2).map((w) => w.putBlob(big)));
      assert.deepEqual(new Set(shas), new Set([sha1Hex(big)]));
      const reader = makeStore({ prefix: 'shared-writes', cacheDir: undefined });
      assert.ok(Buffer.from(await reader.getBlob(shas[0]!)).equals(Buffer.from(big)));
    });

    it('does not send the bytes of a large blob that is already stored', async () => {
      const store = makeStore();
      const other = makeStore({ prefix: store.location.split('/').pop()! });
      const [w, w2] = [watch(store.client), watch(other.client)];
      const bytes = new Uint8Array(3 * 1024 * 1024).fill(7);
      await store.putBlob(bytes);
      assert.equal(w.count('PutObjectCommand', 200), 1);
      w.reset();
      await other.putBlob(bytes);
      await store.putBlob(bytes);
      assert.equal(w.count('PutObjectCommand') + w2.count('PutObjectCommand'), 0);
      // Found by refreshing it in place (a server-side copy, so that a gc running now keeps it).
      assert.equal(w.count('CopyObjectCommand', 200) + w2.count('CopyObjectCommand', 200), 2);
    });

    it('refreshes a blob larger than one CopyObject takes by a multipart copy of its ranges', async () => {
      const store = makeStore({ singleCopyLimit: 6 * 1024 * 1024, cacheDir: undefined });
      const w = watch(store.client);
      const bytes = new Uint8Array(13 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
      const sha = await store.putBlob(bytes);
      const key = { Bucket: bucket.name, Key: store.blobKey(sha) };
      const before = await bucket.client.send(new HeadObjectCommand(key));
      w.reset();
      await store.putBlob(bytes); // stored already: refreshed in place
      assert.equal(w.count('CopyObjectCommand'), 0);
      assert.equal(w.count('UploadPartCopyCommand', 200), 3); // 6 + 6 + 1 MiB
      assert.equal(w.count('CompleteMultipartUploadCommand', 200), 1);
      assert.equal(w.count('UploadPartCommand') + w.count('PutObjectCommand'), 0);
      const after = await bucket.client.send(new HeadObjectCommand(key));
      assert.equal(after.ContentLength, bytes.byteLength);
      assert.ok(after.Metadata?.['cairn-refreshed'], 'the copy carries the refresh metadata');
      assert.notEqual(after.ETag, before.ETag);
      assert.ok(Buffer.from(await store.getBlob(sha)).equals(Buffer.from(bytes)), 'the refreshed blob reads back verified');
    });

    it('round-trips a 40 MiB Float64Array through a multipart upload and parallel ranged reads', async () => {
      const values = new Float64Array(5 * 1024 * 1024);
      for (let i = 0; i < values.length; i++) values[i] = Math.sin(i) * i;
      const encoded = encodeArtifact(values, { name: 'weights', step: 'train' });
      assert.ok(encoded.bytes.byteLength > 40 * 1024 * 1024);
      const writer = makeStore();
      const w = watch(writer.client);
      const sha = await writer.putBlob(encoded.parts); // the header and a view of the array: sliced, not joined
      assert.equal(sha, sha1Hex(encoded.bytes));
      assert.equal(w.count('UploadPartCommand', 200), 6); // 8 MiB parts
      assert.equal(w.count('CompleteMultipartUploadCommand', 200), 1);
      assert.equal(w.count('PutObjectCommand'), 0);
      const head = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.name, Key: writer.blobKey(sha) }));
      assert.match(head.ETag ?? '', /-6"?$/);

      const reader = makeStore({ prefix: writer.location.split('/').pop()!, cacheDir: undefined });
      const r = watch(reader.client);
      const back = await reader.getBlob(sha);
      assert.equal(r.count('GetObjectCommand', 206), 6);
      assert.ok(r.maxInFlight > 1, 'the ranges are read in parallel');
      assert.ok(Buffer.from(back).equals(Buffer.from(encoded.bytes)));
      const decoded = decodeArtifact(back, encoded.encoding) as Float64Array;
      assert.ok(decoded instanceof Float64Array);
      assert.ok(Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength).equals(Buffer.from(values.buffer)));

      // Read through the codec, straight into the array's memory: without a cache, through a cache, and synchronously.
      const info = { sha, size: encoded.size, type: encoded.type, encoding: encoded.encoding };
      const cached = makeStore({ prefix: writer.location.split('/').pop()! });
      for (const v of [await readArtifact(reader, info, 'weights'), await readArtifact(cached, info, 'weights'), readArtifactSync(cached, info, 'weights')]) {
        assert.ok(v instanceof Float64Array);
        assert.equal(v.buffer.byteLength, values.byteLength);
        assert.ok(Buffer.from(v.buffer).equals(Buffer.from(values.buffer)));
      }
    });

    it('serves the second read from the local cache without a request, and heals a damaged cache file', async () => {
      const store = makeStore();
      const w = watch(store.client);
      const sha = await store.putBlob(bytesOf('cache me'));
      w.reset();
      assert.equal(Buffer.from(await store.getBlob(sha)).toString(), 'cache me');
      assert.equal(w.log.length, 1);
      assert.equal(Buffer.from(await store.getBlob(sha)).toString(), 'cache me');
      assert.equal(Buffer.from(store.getBlobSync(sha)).toString(), 'cache me');
      assert.equal(w.log.length, 1, 'the second and third reads came from the cache');

      const sameCache = makeStore({ prefix: store.location.split('/').pop()!, cacheDir: store.cache!.dir });
      const w2 = watch(sameCache.client);
      assert.equal(Buffer.from(await sameCache.getBlob(sha)).toString(), 'cache me');
      assert.equal(w2.log.length, 0, 'another store on the same cache folder reads it too');

      writeFileSync(store.cache!.path(sha), 'cache mE');
      assert.equal(Buffer.from(await store.getBlob(sha)).toString(), 'cache me');
      assert.equal(w.count('GetObjectCommand'), 2, 'a damaged cache file is fetched again');
      assert.equal(Buffer.from(store.getBlobSync(sha)).toString(), 'cache me');
    });

    it('reads synchronously through the helper thread when the cache is cold', async () => {
      const writer = makeStore();
      const small = bytesOf('read me synchronously');
      const large = new Uint8Array(12 * 1024 * 1024).map((_, i) => (i * 13) & 0xff); // two ranges
      const [s1, s2] = [await writer.putBlob(small), await writer.putBlob(large)];
      const reader = makeStore({ prefix: writer.location.split('/').pop()! });
      const w = watch(reader.client);
      assert.ok(Buffer.from(reader.getBlobSync(s1)).equals(Buffer.from(small)));
      assert.ok(Buffer.from(reader.getBlobSync(s2)).equals(Buffer.from(large)));
      assert.equal(w.log.length, 0, 'the thread has a client of its own');
      assert.ok(existsSync(reader.cache!.path(s1)) && existsSync(reader.cache!.path(s2)));
      assert.deepEqual(readdirSync(join(reader.cache!.dir, s2.slice(0, 2))).filter((f) => f.endsWith('.tmp')), []);

      const uncached = makeStore({ prefix: writer.location.split('/').pop()!, cacheDir: undefined });
      assert.ok(Buffer.from(uncached.getBlobSync(s1)).equals(Buffer.from(small)));
    });

    it('does not keep a process alive after a synchronous read, and prints no SDK warning', async () => {
      const writer = makeStore();
      const sha = await writer.putBlob(bytesOf('from a child process'));
      const moduleUrl = pathToFileURL(fileURLToPath(new URL('./s3-artifact-store.ts', import.meta.url))).href;
      const settings = { ...bucket.settings(writer.location.split('/').pop()!), credentials: undefined, cacheDir: tempDir() };
      const script = `
        import { S3ArtifactStore } from ${JSON.stringify(moduleUrl)};
        const store = new S3ArtifactStore(${JSON.stringify(settings)});
        process.stdout.write(Buffer.from(store.getBlobSync(${JSON.stringify(sha)})).toString());
        await store.putBlob(new TextEncoder().encode('and a write'));
      `;
      const childEnv = { ...process.env, ...awsEnv(env) };
      const r = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: childEnv, timeout: 60_000 });
      assert.equal(r.stdout, 'from a child process');
      assert.equal(r.stderr, '');
    });

    it('fills the cache for many blobs at once with prefetchBlobs, in parallel and bounded', async () => {
      const writer = makeStore();
      const shas = await Promise.all(Array.from({ length: 120 }, (_, i) => writer.putBlob(bytesOf(`input ${i}`))));
      const reader = makeStore({ prefix: writer.location.split('/').pop()!, concurrency: 8 });
      const w = watch(reader.client);
      await reader.prefetchBlobs([...shas, ...shas, 'not a sha']);
      assert.equal(w.count('GetObjectCommand', 206), 120);
      assert.ok(w.maxInFlight > 1 && w.maxInFlight <= 8, `max in flight ${w.maxInFlight}`);
      w.reset();
      shas.forEach((sha, i) => assert.equal(Buffer.from(reader.getBlobSync(sha)).toString(), `input ${i}`));
      assert.equal(w.log.length, 0);
    });

    it('looks many blobs up in parallel with bounded concurrency', async () => {
      const store = makeStore({ concurrency: 6 });
      const present = await Promise.all(Array.from({ length: 40 }, (_, i) => store.putBlob(bytesOf(`present ${i}`))));
      const absent = Array.from({ length: 40 }, (_, i) => sha1Hex(bytesOf(`absent ${i}`)));
      const w = watch(store.client);
      const found = await store.hasBlobs([...absent, ...present, ...present]);
      assert.deepEqual([...found].sort(), [...present].sort());
      assert.equal(w.count('HeadObjectCommand'), 80);
      assert.ok(w.maxInFlight > 1 && w.maxInFlight <= 6, `max in flight ${w.maxInFlight}`);
    });

    it('reports a missing blob as NOT_FOUND, asynchronously and synchronously', async () => {
      const store = makeStore();
      const missing = sha1Hex(bytesOf('nobody stored this'));
      await rejectsWithCode(() => store.getBlob(missing), 'NOT_FOUND', new RegExp(missing), new RegExp(`s3://${bucket.name}/`));
      await rejectsWithCode(() => store.getBlobSync(missing), 'NOT_FOUND', new RegExp(missing));
      assert.equal(existsSync(store.cache!.path(missing)), false);
    });

    it('says the credentials were refused, from every kind of call', async () => {
      const writer = makeStore();
      const sha = await writer.putBlob(bytesOf('guarded'));
      const credentials = { accessKeyId: env.accessKeyId, secretAccessKey: 'not-the-secret' };
      const store = makeStore({ prefix: writer.location.split('/').pop()!, credentials });
      const refused = [/refused the request/, /credentials/, /AWS_ACCESS_KEY_ID/];
      await rejectsWithCode(() => store.getBlob(sha), 'STORE', ...refused, /SignatureDoesNotMatch/);
      await rejectsWithCode(() => store.getBlobSync(sha), 'STORE', ...refused);
      await rejectsWithCode(() => store.putBlob(bytesOf('intruder')), 'STORE', ...refused);
      await rejectsWithCode(() => store.hasBlobs([sha]), 'STORE', ...refused);
      await rejectsWithCode(() => store.getTaskRecord({ flow: 'F', runId: '1', step: 's', taskId: '1' }, 0), 'STORE', ...refused);
    });

    it('says that a missing bucket does not exist and is not created', async () => {
      const settings = { ...bucket.settings(''), bucket: `${bucket.name}-missing`, credentials: undefined };
      const store = new S3ArtifactStore({ ...settings, cacheDir: tempDir() });
      stores.push(store);
      const missing = [new RegExp(`bucket "${bucket.name}-missing" does not exist`), /create it/, /CAIRN_DATASTORE_ROOT/];
      await rejectsWithCode(() => store.putBlob(bytesOf('x')), 'STORE', ...missing);
      await rejectsWithCode(() => store.getBlob(sha1Hex(bytesOf('x'))), 'STORE', ...missing);
      await rejectsWithCode(() => store.getBlobSync(sha1Hex(bytesOf('x'))), 'STORE', ...missing);
      await rejectsWithCode(() => store.hasBlobs([sha1Hex(bytesOf('x'))]), 'STORE', ...missing);
      await rejectsWithCode(() => store.putTaskRecord({ flow: 'F', runId: '1', step: 's', taskId: '1' }, 0, { version: 1, artifacts: {} }), 'STORE', ...missing);

      const root = join(tempDir(), '.cairn');
      const { credentials: _, ...s3 } = settings;
      const cfg: StoreConfig = {
        root,
        artifacts: { kind: 's3', ...s3, cacheDir: join(root, 'cache', 'blobs') },
        metadata: { kind: 'sqlite', path: join(root, 'metadata.db') },
      };
      await rejectsWithCode(() => openArtifactStore(cfg, { create: true }), 'STORE', ...missing);
      await rejectsWithCode(() => openArtifactStore(cfg, { create: false }), 'STORE', ...missing);
      await assert.rejects(bucket.client.send(new HeadBucketCommand({ Bucket: settings.bucket })), (e) => httpStatus(e) === 404);
      assert.equal(existsSync(root), false);
    });

    it('opens for reading without creating anything, and reads without a cache where there is no local folder', async () => {
      const writer = makeStore();
      const sha = await writer.putBlob(bytesOf('read-only'));
      const root = join(tempDir(), 'nowhere', '.cairn');
      const { credentials: _, ...s3 } = bucket.settings(writer.location.split('/').pop()!);
      const cfg: StoreConfig = {
        root,
        artifacts: { kind: 's3', ...s3, cacheDir: join(root, 'cache', 'blobs') },
        metadata: { kind: 'sqlite', path: join(root, 'metadata.db') },
      };
      const reader = await openArtifactStore(cfg, { create: false });
      try {
        assert.equal(reader.kind, 's3');
        assert.equal(Buffer.from(await reader.getBlob(sha)).toString(), 'read-only');
        assert.equal(Buffer.from(reader.getBlobSync!(sha)).toString(), 'read-only');
        assert.equal(existsSync(join(root, '..')), false);
      } finally {
        await reader.close?.();
      }
    });

    it('restores process.emitWarning after creating a client', () => {
      const before = process.emitWarning;
      createS3Client(bucket.settings('')).destroy();
      assert.equal(process.emitWarning, before);
    });
  });
}
