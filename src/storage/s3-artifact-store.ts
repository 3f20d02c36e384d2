/**
 * The artifact store over an S3-compatible bucket, with the local store's layout under a prefix:
 *
 *   <prefix>/blobs/<sha[0:2]>/<sha>                                       serialized bytes, as is
 *   <prefix>/tasks/<flow>/<runId>/<step>/<taskId>/<attempt>.json           TaskRecord
 *   <prefix>/logs/<flow>/<runId>/<step>/<taskId>/<attempt>.<stream>/<start>-<end>.log   captured output, in segments
 *   <prefix>/cards/<flow>/<runId>/<step>/<taskId>/<attempt>/<cardId>.json  card documents
 *
 * - Blobs are written once: a conditional put (`If-None-Match: *`) that the server refuses with
 *   412 when the blob exists, which counts as success, so concurrent writers of the same blob never
 *   replace each other's object. Blobs of 1 MiB and more are looked up first (HEAD) so that their
 *   bytes are not sent again; from 16 MiB they go up in 8 MiB parts sliced from the caller's buffer,
 *   several at a time. A server without conditional puts (501) gets a HEAD before each put.
 * - Reads are verified against the address and kept in a local, content-addressed read cache
 *   (`BlobCache`). Large blobs are read as parallel ranges.
 * - `getBlobSync` (lazy `this.x` reads in steps) serves from the cache, else fetches through a
 *   helper thread (`SyncBridge`); `prefetchBlobs` fills the cache ahead, in parallel.
 * - Task records, logs and cards are plain puts: S3 replaces an object atomically.
 * - At most `concurrency` requests are in flight per store; batches (hasBlobs, prefetch) queue.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CairnError } from '../errors.js';
import { taskPathspec, type TaskKey } from '../core/types.js';
import { BlobCache, cacheDamaged, isCacheDamage } from './blob-cache.js';
import { blobParts, blobSize, isSha1Hex, sha1Hex, type BlobData } from './hash.js';
import { PLAN_HEAD_BYTES, readBlobFileSync, readHeadSync } from './blob-file.js';
import { cardName, checkAttempt, checkSegment, checkSha } from './keys.js';
import { chainSegments, checkOffset, joinFrom, logFolder, oldLog, segmentName, segmentsFrom } from './log-segments.js';
import {
  createS3Client,
  DEFAULT_CONCURRENCY,
  httpStatus,
  isConditionalConflict,
  isMissingObject,
  isNotImplemented,
  isPreconditionFailed,
  Limiter,
  missingBucket,
  s3Failure,
  type S3Settings,
} from './s3-client.js';
import { SyncBridge } from './s3-sync-bridge.js';
import { checkStoreOptions, type S3ArtifactStoreOptions } from './s3-store-options.js';
import { CHUNK_BYTES, downloadBlob, downloadBlobToFile, partSizeFor, uploadMultipart, type S3Io } from './s3-transfer.js';
import { S3Maintenance } from './s3-maintenance.js';
import { sweepTempFilesIn } from './local-maintenance.js';
export type { S3ArtifactStoreOptions } from './s3-store-options.js';
import type { BlobInfo, BlobPlan, LogSegment, LogStream, MaintainedArtifactStore, StoredLog, TaskRecord } from './types.js';

/** Blobs from this size are looked up before they are sent. */
const HEAD_FIRST_BYTES = 1024 * 1024;


export class S3ArtifactStore implements MaintainedArtifactStore {
  readonly kind = 's3';
  readonly location: string;
  /** The SDK client (exposed so that tools and tests can add middleware). */
  readonly client: S3Client;
  readonly cache: BlobCache | undefined;
  private readonly settings: S3Settings;
  private readonly limit: Limiter;
  private readonly io: S3Io;
  private readonly bridge: SyncBridge;
  private readonly maintenance: S3Maintenance;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  /** Puts of the same blob in flight in this process share one request. */
  private readonly puts = new Map<string, Promise<void>>();
  private conditionalPuts = true;
  private bucketCheck: Promise<void> | undefined;

  constructor(options: S3ArtifactStoreOptions) {
    const { cacheDir, concurrency, multipartThreshold, partSize, singleCopyLimit, settings } = checkStoreOptions(options);
    this.settings = settings;
    this.location = `s3://${settings.bucket}${settings.prefix ? `/${settings.prefix}` : ''}`;
    const n = concurrency;
    this.client = createS3Client(settings, n);
    this.limit = new Limiter(n);
    this.io = { client: this.client, settings, limit: this.limit };
    this.cache = cacheDir ? new BlobCache(cacheDir) : undefined;
    this.partSize = partSize;
    this.multipartThreshold = multipartThreshold;
    this.bridge = new SyncBridge(settings, { ...process.env });
    this.maintenance = new S3Maintenance(this.io, (...parts) => this.key(...parts), singleCopyLimit);
  }

  private key(...parts: string[]): string {
    return (this.settings.prefix ? [this.settings.prefix, ...parts] : parts).join('/');
  }

  blobKey(sha: string): string {
    return this.key('blobs', sha.slice(0, 2), sha);
  }

  private taskKey(area: 'tasks' | 'logs' | 'cards', task: TaskKey, file: string): string {
    return this.key(
      area,
      checkSegment('flow name', task.flow),
      checkSegment('run id', task.runId),
      checkSegment('step name', task.step),
      checkSegment('task id', task.taskId),
      file,
    );
  }

  /**
   * Rejects with a clear message when the bucket does not exist. A server that refuses to say
   * (403: the credentials may not list the bucket) passes; later requests report what is wrong.
   */
  checkBucket(): Promise<void> {
    this.bucketCheck ??= this.limit
      .run(() => this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket })))
      .then(
        () => undefined,
        (e: unknown) => {
          this.bucketCheck = undefined;
          if (httpStatus(e) === 404) throw missingBucket(this.settings, e);
          if (httpStatus(e) === 403) return;
          throw s3Failure(e, this.settings, `Cannot open the artifact store ${this.location}`);
        },
      );
    return this.bucketCheck;
  }

  /** The size of the object at `key`, or undefined when there is none. */
  private async objectSize(key: string): Promise<number | undefined> {
    try {
      const head = await this.limit.run(() => this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key })));
      return head.ContentLength ?? 0;
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      throw e;
    }
  }

  private async objectExists(key: string): Promise<boolean> {
    return (await this.objectSize(key)) !== undefined;
  }

  /** A blob found "already there" is trusted only when its size is right; otherwise it is written again. */
  private async blobIntact(key: string, size: number): Promise<boolean> {
    return (await this.objectSize(key)) === size;
  }

  async putBlob(data: BlobData): Promise<string> {
    const parts = blobParts(data);
    const sha = sha1Hex(parts);
    let put = this.puts.get(sha);
    if (!put) {
      put = this.storeBlob(sha, parts).finally(() => this.puts.delete(sha));
      this.puts.set(sha, put);
    }
    await put;
    return sha;
  }

  private async storeBlob(sha: string, parts: readonly Uint8Array[]): Promise<void> {
    const key = this.blobKey(sha);
    const size = blobSize(parts);
    try {
      // An existing blob is refreshed rather than sent again, so that a `gc` running now keeps it.
      if ((size >= HEAD_FIRST_BYTES || !this.conditionalPuts) && (await this.blobIntact(key, size)) && (await this.maintenance.touch(key, size))) return;
      if (size >= this.multipartThreshold) {
        await uploadMultipart(this.io, key, parts, partSizeFor(size, this.partSize));
        return;
      }
      await this.putIfAbsent(key, parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    } catch (e) {
      throw s3Failure(e, this.settings, `Cannot write blob ${sha} to ${this.location}`);
    }
  }

  private async putIfAbsent(key: string, bytes: Uint8Array): Promise<void> {
    let replace = false; // the object there is damaged: overwrite it
    for (let attempt = 1; ; attempt++) {
      const conditional = this.conditionalPuts && !replace;
      try {
        await this.limit.run(() =>
          this.client.send(
            new PutObjectCommand({
              Bucket: this.settings.bucket,
              Key: key,
              Body: bytes,
              ContentLength: bytes.byteLength,
              ContentType: 'application/octet-stream',
              ...(conditional ? { IfNoneMatch: '*' } : {}),
            }),
          ),
        );
        return;
      } catch (e) {
        if (conditional && isPreconditionFailed(e)) {
          // A blob is there (another writer stored the same bytes): trust it once its size is checked, and
          // refresh it so that a `gc` running now keeps it; put it again if it went meanwhile.
          if (await this.blobIntact(key, bytes.byteLength)) {
            if (await this.maintenance.touch(key, bytes.byteLength)) return;
            continue;
          }
          replace = true;
          continue;
        }
        if (conditional && isConditionalConflict(e) && attempt < 5) continue; // raced with that writer: ask again
        if (conditional && isNotImplemented(e)) {
          this.conditionalPuts = false;
          if ((await this.blobIntact(key, bytes.byteLength)) && (await this.maintenance.touch(key, bytes.byteLength))) return;
          continue;
        }
        throw e;
      }
    }
  }

  async getBlob(sha: string): Promise<Uint8Array> {
    checkSha(sha);
    const cached = await this.cache?.read(sha);
    if (cached) return cached;
    const bytes = await downloadBlob(this.io, this.blobKey(sha), sha);
    await this.cache?.write(sha, bytes);
    return bytes;
  }

  getBlobSync(sha: string): Uint8Array {
    return this.readLocal(sha, (path, corrupt) => readBlobFileSync(path, sha, { corrupt }));
  }

  readBlobSync(sha: string, plan: BlobPlan): void {
    this.readLocal(sha, (path, corrupt) => readBlobFileSync(path, sha, { corrupt }, plan));
  }

  async readBlob(sha: string, plan: BlobPlan): Promise<void> {
    checkSha(sha);
    const cache = this.cache;
    if (!cache) {
      // Without a cache the blob is downloaded whole, then moved into the planned memory.
      const bytes = await downloadBlob(this.io, this.blobKey(sha), sha);
      const { skip, into } = plan(bytes.subarray(0, PLAN_HEAD_BYTES), bytes.byteLength);
      into.set(bytes.subarray(skip));
      return;
    }
    for (let tries = 0; ; tries++) {
      if (!cache.has(sha)) await downloadBlobToFile(this.io, this.blobKey(sha), sha, cache.prepare(sha));
      try {
        readBlobFileSync(cache.path(sha), sha, { corrupt: () => cacheDamaged(sha) }, plan);
        return;
      } catch (e) {
        if (!isCacheDamage(e) || tries > 0) throw e;
        cache.drop(sha);
      }
    }
  }

  async getBlobHead(sha: string, bytes: number): Promise<Uint8Array> {
    checkSha(sha);
    if (this.cache?.has(sha)) {
      try {
        return readHeadSync(this.cache.path(sha), bytes);
      } catch {
        // removed meanwhile: ask the bucket
      }
    }
    const key = this.blobKey(sha);
    try {
      return await this.limit.run(async () => {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key, Range: `bytes=0-${bytes - 1}` }));
        const body = r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
        return body.subarray(0, bytes); // a server may ignore Range
      });
    } catch (e) {
      if (isMissingObject(e)) throw new CairnError('NOT_FOUND', `Blob ${sha} is not in the artifact store ${this.location}.`, { cause: e });
      if (httpStatus(e) === 416) return new Uint8Array(0); // an empty object
      throw s3Failure(e, this.settings, `Cannot read blob ${sha}`);
    }
  }

  /**
   * Reads a blob from a local file: the read cache's (fetched into it through the helper thread
   * when absent; a damaged cache file is fetched again), or a temporary one without a cache.
   */
  private readLocal<T>(sha: string, read: (path: string, corrupt: (actual: string) => CairnError) => T): T {
    checkSha(sha);
    if (this.cache) {
      for (let tries = 0; ; tries++) {
        if (!this.cache.has(sha)) this.bridge.fetch(this.blobKey(sha), sha, this.cache.prepare(sha));
        try {
          return read(this.cache.path(sha), () => cacheDamaged(sha));
        } catch (e) {
          if (!isCacheDamage(e) || tries > 0) throw e;
          this.cache.drop(sha);
        }
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'cairn-s3-read-'));
    try {
      const dest = join(dir, sha);
      this.bridge.fetch(this.blobKey(sha), sha, dest);
      return read(dest, () => cacheDamaged(sha));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Downloads into the read cache, in parallel, the blobs it does not hold yet, so that later
   * `getBlobSync` calls read local files. Best effort: a blob that cannot be fetched is left for
   * the read that needs it to report.
   */
  async prefetchBlobs(shas: readonly string[]): Promise<void> {
    const cache = this.cache;
    if (!cache) return;
    const wanted = [...new Set(shas)].filter((sha) => isSha1Hex(sha) && !cache.has(sha));
    await Promise.all(
      wanted.map((sha) => downloadBlobToFile(this.io, this.blobKey(sha), sha, cache.prepare(sha)).catch(() => undefined)),
    );
  }

  async hasBlobs(shas: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(shas)].filter((sha) => isSha1Hex(sha));
    const found = new Set<string>();
    let absent = false;
    await Promise.all(
      unique.map(async (sha) => {
        let exists: boolean;
        try {
          exists = await this.objectExists(this.blobKey(sha));
        } catch (e) {
          throw s3Failure(e, this.settings, `Cannot look up blob ${sha} in ${this.location}`);
        }
        if (exists) found.add(sha);
        else absent = true;
      }),
    );
    // A HEAD request cannot tell a missing blob from a missing bucket.
    if (absent) await this.checkBucket();
    return found;
  }

  private async putObject(key: string, body: Uint8Array | string, contentType: string, what: string): Promise<void> {
    try {
      await this.limit.run(() => this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: body, ContentType: contentType })));
    } catch (e) {
      throw s3Failure(e, this.settings, what);
    }
  }

  /** The object's bytes, or undefined when it does not exist. */
  private async getObject(key: string, what: string): Promise<Uint8Array | undefined> {
    try {
      return await this.limit.run(async () => {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key }));
        return r.Body ? await r.Body.transformToByteArray() : new Uint8Array(0);
      });
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      throw s3Failure(e, this.settings, what);
    }
  }

  async putTaskRecord(task: TaskKey, attempt: number, record: TaskRecord): Promise<void> {
    const key = this.taskKey('tasks', task, `${checkAttempt(attempt)}.json`);
    await this.putObject(key, JSON.stringify(record), 'application/json', `Cannot write the task record of ${taskPathspec(task)}`);
  }

  async getTaskRecord(task: TaskKey, attempt: number): Promise<TaskRecord | undefined> {
    const key = this.taskKey('tasks', task, `${checkAttempt(attempt)}.json`);
    const bytes = await this.getObject(key, `Cannot read the task record of ${taskPathspec(task)}`);
    if (bytes === undefined) return undefined;
    let record: unknown;
    try {
      record = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (e) {
      throw new CairnError('STORE', `The task record of ${taskPathspec(task)} attempt ${attempt} at s3://${this.settings.bucket}/${key} is not valid JSON.`, {
        cause: e,
      });
    }
    const r = record as Partial<TaskRecord> | null;
    if (r === null || typeof r !== 'object' || r.version !== 1 || typeof r.artifacts !== 'object' || r.artifacts === null) {
      throw new CairnError('STORE', `The task record at s3://${this.settings.bucket}/${key} has an unknown format (expected version 1).`);
    }
    return r as TaskRecord;
  }

  async appendLog(task: TaskKey, attempt: number, stream: LogStream, segment: LogSegment): Promise<string> {
    const folder = this.taskKey('logs', task, `${logFolder(attempt, stream)}/`);
    if (segment.bytes.byteLength > 0) {
      const key = `${folder}${segmentName(segment.start, segment.bytes.byteLength)}`;
      await this.putObject(key, segment.bytes, 'text/plain; charset=utf-8', `Cannot write the ${stream} of ${taskPathspec(task)}`);
    }
    return `s3://${this.settings.bucket}/${folder}`;
  }

  async readLog(task: TaskKey, attempt: number, stream: LogStream, from = 0): Promise<StoredLog | undefined> {
    checkOffset('offset', from);
    const what = `Cannot read the ${stream} of ${taskPathspec(task)}`;
    const folder = this.taskKey('logs', task, `${logFolder(attempt, stream)}/`);
    const chain = chainSegments(await this.listNames(folder, what));
    if (chain.length === 0) {
      const old = await this.getObject(this.taskKey('logs', task, `${logFolder(attempt, stream)}.log`), what);
      return old && oldLog(old, from);
    }
    const wanted = segmentsFrom(chain, from);
    const parts = await Promise.all(
      wanted.map(async (seg) => {
        const bytes = await this.getObject(`${folder}${seg.name}`, what);
        if (!bytes) throw new CairnError('STORE', `${what}: segment ${seg.name} was listed but is gone; read the log again.`);
        return bytes;
      }),
    );
    const end = chain.at(-1)!.end;
    return { format: 'records', bytes: joinFrom(wanted, parts, from), start: Math.min(from, end), end };
  }

  /** The names of the objects right under `prefix` (not in its subfolders). */
  private async listNames(prefix: string, what: string): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.limit.run(() =>
          this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token })),
        );
        for (const o of page.Contents ?? []) {
          const name = o.Key?.slice(prefix.length) ?? '';
          if (name !== '' && !name.includes('/')) names.push(name);
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      throw s3Failure(e, this.settings, what);
    }
    return names;
  }

  private cardKey(task: TaskKey, attempt: number, file: string): string {
    return this.taskKey('cards', task, `${checkAttempt(attempt)}/${file}`);
  }

  async putCard(task: TaskKey, attempt: number, cardId: string, bytes: Uint8Array): Promise<void> {
    const key = this.cardKey(task, attempt, cardName(cardId));
    await this.putObject(key, bytes, 'application/json', `Cannot write card ${cardId} of ${taskPathspec(task)}`);
  }

  async getCard(task: TaskKey, attempt: number, cardId: string): Promise<Uint8Array | undefined> {
    const key = this.cardKey(task, attempt, cardName(cardId));
    return this.getObject(key, `Cannot read card ${cardId} of ${taskPathspec(task)}`);
  }

  async listCards(task: TaskKey, attempt: number): Promise<string[]> {
    const names = await this.listNames(this.cardKey(task, attempt, ''), `Cannot list the cards of ${taskPathspec(task)}`);
    return names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)).sort();
  }

  touchBlobs(shas: readonly string[]): Promise<Set<string>> {
    return this.maintenance.touchAll(shas, (sha) => this.blobKey(sha));
  }

  listBlobs(): AsyncIterable<BlobInfo[]> {
    return this.maintenance.listBlobs();
  }

  deleteBlob(sha: string, cutoff: number): Promise<number | undefined> {
    return this.maintenance.deleteBlob(this.blobKey(checkSha(sha)), cutoff);
  }

  listStoredRuns(): Promise<Array<{ flow: string; runId: string }>> {
    return this.maintenance.listStoredRuns();
  }

  readRunRecords(flow: string, runId: string): Promise<TaskRecord[]> {
    return this.maintenance.readRunRecords(flow, runId);
  }

  deleteRunData(flow: string, runId: string): Promise<number> {
    return this.maintenance.deleteRunData(flow, runId);
  }

  /** Unfinished multipart uploads of blobs, and temporary files of the local read cache. */
  async sweepTemporary(olderThan: number, opts: { dryRun?: boolean } = {}): Promise<{ files: number; bytes: number }> {
    const dryRun = opts.dryRun === true;
    const uploads = await this.maintenance.abortStaleUploads(olderThan, dryRun);
    const local = this.cache ? sweepTempFilesIn([this.cache.dir], olderThan, dryRun) : { files: 0, bytes: 0 };
    return { files: uploads.files + local.files, bytes: uploads.bytes + local.bytes };
  }

  async close(): Promise<void> {
    await this.bridge.close();
    this.client.destroy();
  }
}
