/**
 * The artifact store over a local folder:
 *
 *   <root>/blobs/<sha[0:2]>/<sha>                                          serialized bytes, as is
 *   <root>/tasks/<flow>/<runId>/<step>/<taskId>/<attempt>.json              TaskRecord
 *   <root>/logs/<flow>/<runId>/<step>/<taskId>/<attempt>.<stream>/<start>-<end>.log   captured output, in segments
 *   <root>/cards/<flow>/<runId>/<step>/<taskId>/<attempt>/<cardId>.json     card documents
 *
 * Every write goes to a uniquely named temporary file in the target folder and is then moved into
 * place, so a reader sees a whole file or none. Blobs are never overwritten: the temporary file is
 * hard-linked to its final name (which fails if the blob exists) and then removed; the one exception
 * is a blob found damaged when the same bytes are stored again (wrong size, or wrong content when
 * small), which is replaced. A large blob
 * (from 1 MiB) is written from its parts in chunks and hashed as it is written; a smaller one is
 * hashed first and not written at all when it exists. A failed write (a full disk) removes its
 * temporary file: no partial blob is ever left under a blob's name. Nothing is fsynced: a crash
 * of the machine can lose recent writes, but never leaves a partial file.
 *
 * The work is done with synchronous fs calls (a task does a few small writes and the async
 * machinery would cost more than the I/O); the async methods wrap them.
 */
import { linkSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CairnError } from '../errors.js';
import { taskPathspec, type TaskKey } from '../core/types.js';
import { blobParts, blobSize, isSha1Hex, sha1Hex, type BlobData } from './hash.js';
import { readBlobFileSync, readHeadSync, writeHashedSync } from './blob-file.js';
import { cardName, checkAttempt, checkSegment, checkSha } from './keys.js';
import { chainSegments, checkOffset, joinFrom, logFolder, oldLog, segmentName, segmentsFrom } from './log-segments.js';
import {
  deleteBlobFile, listBlobFiles, listRunFolders, readRecordFiles, removeRunFolders, sweepTempFiles, touchFile,
} from './local-maintenance.js';
import type { BlobInfo, BlobPlan, LogSegment, LogStream, MaintainedArtifactStore, StoredLog, TaskRecord } from './types.js';

/** Distinguishes temporary files of this process from those of other processes and hosts. */
const TMP_TAG = `${process.pid}-${randomBytes(3).toString('hex')}`;
let tmpCounter = 0;
/** Blobs from this size are written while they are hashed. */
const STREAM_BYTES = 1024 * 1024;

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as { code?: string }).code : undefined;
}

export class LocalArtifactStore implements MaintainedArtifactStore {
  readonly kind = 'local';
  readonly location: string;
  readonly root: string;
  /** Folders known to exist (created by this instance or seen to exist). */
  private readonly dirs = new Set<string>();
  private linkWorks = true;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = this.root;
  }

  blobPath(sha: string): string {
    return join(this.root, 'blobs', sha.slice(0, 2), sha);
  }

  private taskDir(area: 'tasks' | 'logs' | 'cards', task: TaskKey): string {
    return join(
      this.root,
      area,
      checkSegment('flow name', task.flow),
      checkSegment('run id', task.runId),
      checkSegment('step name', task.step),
      checkSegment('task id', task.taskId),
    );
  }

  private ensureDir(dir: string): void {
    if (this.dirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.dirs.add(dir);
  }

  /** Writes `data` to a fresh temporary file in `dir` and returns its path. */
  private writeTemp(dir: string, base: string, data: Uint8Array | string): string {
    this.ensureDir(dir);
    const tmp = join(dir, `.${base}.${TMP_TAG}.${++tmpCounter}.tmp`);
    try {
      writeFileSync(tmp, data, { flag: 'wx' });
    } catch (e) {
      tryUnlink(tmp);
      if (errCode(e) !== 'ENOENT') throw e;
      // The folder was removed behind our back: forget it and try once more.
      this.dirs.delete(dir);
      this.ensureDir(dir);
      try {
        writeFileSync(tmp, data, { flag: 'wx' });
      } catch (e2) {
        tryUnlink(tmp);
        throw e2;
      }
    }
    return tmp;
  }

  /** Atomically writes (or replaces) a file. */
  private writeAtomic(dir: string, base: string, data: Uint8Array | string): string {
    const path = join(dir, base);
    try {
      const tmp = this.writeTemp(dir, base, data);
      try {
        renameSync(tmp, path);
      } catch (e) {
        tryUnlink(tmp);
        throw e;
      }
    } catch (e) {
      throw storeError(`Cannot write ${path}`, e);
    }
    return path;
  }

  putBlobSync(data: BlobData): string {
    const parts = blobParts(data);
    if (blobSize(parts) >= STREAM_BYTES) return this.putLargeBlob(parts);
    const sha = sha1Hex(parts);
    const dir = join(this.root, 'blobs', sha.slice(0, 2));
    const path = join(dir, sha);
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    let found = blobState(path, bytes.byteLength, bytes);
    // Already stored: refresh its time, so that a `gc` running now keeps it (see local-maintenance.ts).
    if (found === 'intact') {
      if (touchFile(path)) return sha;
      found = 'missing'; // deleted a moment ago
    }
    try {
      const tmp = this.writeTemp(dir, sha, bytes);
      try {
        if (found === 'damaged') renameSync(tmp, path); // replaces the damaged file at once
        else this.publish(tmp, path);
      } finally {
        tryUnlink(tmp);
      }
    } catch (e) {
      throw storeError(`Cannot write blob ${sha} to ${path}`, e);
    }
    return sha;
  }

  /** Writes a large blob to a temporary file while hashing it, then moves it under its address. */
  private putLargeBlob(parts: readonly Uint8Array[]): string {
    const dir = join(this.root, 'blobs', 'tmp');
    const tmp = join(dir, `.blob.${TMP_TAG}.${++tmpCounter}.tmp`);
    let sha: string;
    try {
      this.ensureDir(dir);
      try {
        sha = writeHashedSync(tmp, parts).sha;
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw e;
        this.dirs.delete(dir); // the folder was removed behind our back
        this.ensureDir(dir);
        sha = writeHashedSync(tmp, parts).sha;
      }
      const final = join(this.root, 'blobs', sha.slice(0, 2));
      this.ensureDir(final);
      const place = (): void => {
        const target = join(final, sha);
        if (blobState(target, blobSize(parts)) === 'damaged') renameSync(tmp, target); // replaces a damaged blob
        else this.publish(tmp, target);
      };
      try {
        place();
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw e;
        this.dirs.delete(final); // the folder was removed behind our back (a gc of empty folders)
        this.ensureDir(final);
        place();
      }
    } catch (e) {
      tryUnlink(tmp);
      throw storeError(`Cannot write a blob of ${blobSize(parts)} bytes to ${this.root}`, e);
    }
    tryUnlink(tmp);
    return sha;
  }

  /** Moves a finished temporary file to `path` unless `path` exists (never replaces a blob). */
  private publish(tmp: string, path: string): void {
    // Twice at most: a blob found there is refreshed (for `gc`); one that `gc` took a moment ago is linked again.
    for (let tries = 0; this.linkWorks && tries < 2; tries++) {
      try {
        linkSync(tmp, path);
        return;
      } catch (e) {
        const code = errCode(e);
        if (code === 'EEXIST') {
          if (touchFile(path)) return;
          continue;
        }
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
        this.linkWorks = false; // a file system without hard links
      }
    }
    if (!touchFile(path)) renameSync(tmp, path);
  }

  getBlobSync(sha: string): Uint8Array {
    return this.readFile(sha);
  }

  readBlobSync(sha: string, plan: BlobPlan): void {
    this.readFile(sha, plan);
  }

  private readFile(sha: string, plan?: BlobPlan): Uint8Array {
    const path = this.blobPath(checkSha(sha));
    const corrupt = (actual: string) =>
      new CairnError(
        'CORRUPT_BLOB',
        `Blob ${sha} at ${path} is corrupt: its content hashes to ${actual}. The file was changed or damaged on disk; ` +
          'delete it and re-run the task that produced it.',
      );
    try {
      return readBlobFileSync(path, sha, { corrupt }, plan);
    } catch (e) {
      if (errCode(e) === 'ENOENT') {
        throw new CairnError('NOT_FOUND', `Blob ${sha} is not in the artifact store at ${this.root} (expected at ${path}).`, { cause: e });
      }
      throw storeError(`Cannot read blob ${sha} at ${path}`, e);
    }
  }

  hasBlobsSync(shas: readonly string[]): Set<string> {
    const found = new Set<string>();
    for (const sha of shas) {
      if (isSha1Hex(sha) && fileExists(this.blobPath(sha))) found.add(sha);
    }
    return found;
  }

  putTaskRecordSync(task: TaskKey, attempt: number, record: TaskRecord): void {
    const dir = this.taskDir('tasks', task);
    this.writeAtomic(dir, `${checkAttempt(attempt)}.json`, JSON.stringify(record));
  }

  getTaskRecordSync(task: TaskKey, attempt: number): TaskRecord | undefined {
    const path = join(this.taskDir('tasks', task), `${checkAttempt(attempt)}.json`);
    const text = readIfExists(path, 'utf8');
    if (text === undefined) return undefined;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (e) {
      throw new CairnError('STORE', `The task record of ${taskPathspec(task)} attempt ${attempt} at ${path} is not valid JSON.`, { cause: e });
    }
    const r = record as Partial<TaskRecord> | null;
    if (r === null || typeof r !== 'object' || r.version !== 1 || typeof r.artifacts !== 'object' || r.artifacts === null) {
      throw new CairnError('STORE', `The task record at ${path} has an unknown format (expected version 1).`);
    }
    return r as TaskRecord;
  }

  appendLogSync(task: TaskKey, attempt: number, stream: LogStream, segment: LogSegment): string {
    const dir = join(this.taskDir('logs', task), logFolder(attempt, stream));
    if (segment.bytes.byteLength > 0) this.writeAtomic(dir, segmentName(segment.start, segment.bytes.byteLength), segment.bytes);
    return `${dir}/`;
  }

  readLogSync(task: TaskKey, attempt: number, stream: LogStream, from = 0): StoredLog | undefined {
    checkOffset('offset', from);
    const dir = join(this.taskDir('logs', task), logFolder(attempt, stream));
    // A segment read away between listing and reading (a rewrite of the folder) is looked for again.
    for (let tries = 0; ; tries++) {
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw storeError(`Cannot read the ${stream} of ${taskPathspec(task)} at ${dir}`, e);
        return this.readOldLog(task, attempt, stream, from);
      }
      const chain = chainSegments(names);
      if (chain.length === 0) return this.readOldLog(task, attempt, stream, from);
      const wanted = segmentsFrom(chain, from);
      try {
        const parts = wanted.map((seg) => readFileSync(join(dir, seg.name)));
        const end = chain.at(-1)!.end;
        return { format: 'records', bytes: joinFrom(wanted, parts, from), start: Math.min(from, end), end };
      } catch (e) {
        if (errCode(e) !== 'ENOENT' || tries >= 3) throw storeError(`Cannot read the ${stream} of ${taskPathspec(task)} at ${dir}`, e);
      }
    }
  }

  /** Output stored by older versions: one file, `<attempt>.<stream>.log`. */
  private readOldLog(task: TaskKey, attempt: number, stream: LogStream, from: number): StoredLog | undefined {
    const bytes = readIfExists(join(this.taskDir('logs', task), `${logFolder(attempt, stream)}.log`));
    return bytes && oldLog(bytes, from);
  }


  private cardDir(task: TaskKey, attempt: number): string {
    return join(this.taskDir('cards', task), String(checkAttempt(attempt)));
  }

  putCardSync(task: TaskKey, attempt: number, cardId: string, bytes: Uint8Array): void {
    this.writeAtomic(this.cardDir(task, attempt), cardName(cardId), bytes);
  }

  getCardSync(task: TaskKey, attempt: number, cardId: string): Uint8Array | undefined {
    return readIfExists(join(this.cardDir(task, attempt), cardName(cardId)));
  }

  listCardsSync(task: TaskKey, attempt: number): string[] {
    const dir = this.cardDir(task, attempt);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return [];
      throw storeError(`Cannot list the cards in ${dir}`, e);
    }
    // Temporary files start with "."; a card id never does.
    return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).map((n) => n.slice(0, -'.json'.length)).sort();
  }

  async putBlob(data: BlobData): Promise<string> {
    return this.putBlobSync(data);
  }

  async readBlob(sha: string, plan: BlobPlan): Promise<void> {
    this.readFile(sha, plan);
  }

  async getBlobHead(sha: string, bytes: number): Promise<Uint8Array> {
    const path = this.blobPath(checkSha(sha));
    try {
      return readHeadSync(path, bytes);
    } catch (e) {
      if (errCode(e) === 'ENOENT') throw new CairnError('NOT_FOUND', `Blob ${sha} is not in the artifact store at ${this.root} (expected at ${path}).`, { cause: e });
      throw storeError(`Cannot read blob ${sha} at ${path}`, e);
    }
  }

  async getBlob(sha: string): Promise<Uint8Array> {
    return this.getBlobSync(sha);
  }

  async hasBlobs(shas: readonly string[]): Promise<Set<string>> {
    return this.hasBlobsSync(shas);
  }

  async putTaskRecord(task: TaskKey, attempt: number, record: TaskRecord): Promise<void> {
    this.putTaskRecordSync(task, attempt, record);
  }

  async getTaskRecord(task: TaskKey, attempt: number): Promise<TaskRecord | undefined> {
    return this.getTaskRecordSync(task, attempt);
  }

  async appendLog(task: TaskKey, attempt: number, stream: LogStream, segment: LogSegment): Promise<string> {
    return this.appendLogSync(task, attempt, stream, segment);
  }

  async readLog(task: TaskKey, attempt: number, stream: LogStream, from?: number): Promise<StoredLog | undefined> {
    return this.readLogSync(task, attempt, stream, from);
  }

  async putCard(task: TaskKey, attempt: number, cardId: string, bytes: Uint8Array): Promise<void> {
    this.putCardSync(task, attempt, cardId, bytes);
  }

  async getCard(task: TaskKey, attempt: number, cardId: string): Promise<Uint8Array | undefined> {
    return this.getCardSync(task, attempt, cardId);
  }

  async listCards(task: TaskKey, attempt: number): Promise<string[]> {
    return this.listCardsSync(task, attempt);
  }

  async touchBlobs(shas: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const sha of shas) if (isSha1Hex(sha) && touchFile(this.blobPath(sha))) found.add(sha);
    return found;
  }

  async *listBlobs(): AsyncIterable<BlobInfo[]> {
    yield* listBlobFiles(this.root);
  }

  async deleteBlob(sha: string, cutoff: number): Promise<number | undefined> {
    checkSha(sha);
    return deleteBlobFile(join(this.root, 'blobs', sha.slice(0, 2)), sha, cutoff, `${TMP_TAG}.${++tmpCounter}`);
  }

  async listStoredRuns(): Promise<Array<{ flow: string; runId: string }>> {
    return listRunFolders(this.root);
  }

  async readRunRecords(flow: string, runId: string): Promise<TaskRecord[]> {
    return readRecordFiles(this.root, flow, runId);
  }

  async deleteRunData(flow: string, runId: string): Promise<number> {
    this.dirs.clear();
    return removeRunFolders(this.root, flow, runId);
  }

  async sweepTemporary(olderThan: number, opts: { dryRun?: boolean } = {}): Promise<{ files: number; bytes: number }> {
    return sweepTempFiles(this.root, olderThan, opts.dryRun === true);
  }

  async close(): Promise<void> {}
}

/** Blobs up to this size found "already there" are checked by content, larger ones by size. */
const VERIFY_CONTENT_BYTES = 256 * 1024;

/**
 * Whether the blob file at `path` holds the blob of `size` bytes (`bytes`, when given and small,
 * compared too): a blob found there is trusted only when it matches, so a damaged blob is written
 * again instead of being taken for the new value.
 */
function blobState(path: string, size: number, bytes?: Uint8Array): 'missing' | 'intact' | 'damaged' {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 'missing';
  if (stat.size !== size) return 'damaged';
  if (bytes === undefined || stat.size > VERIFY_CONTENT_BYTES) return 'intact';
  const stored = readIfExists(path);
  if (stored === undefined) return 'missing';
  return Buffer.compare(stored, bytes) === 0 ? 'intact' : 'damaged';
}

function fileExists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

function readIfExists(path: string): Buffer | undefined;
function readIfExists(path: string, encoding: 'utf8'): string | undefined;
function readIfExists(path: string, encoding?: 'utf8'): Buffer | string | undefined {
  try {
    return encoding ? readFileSync(path, encoding) : readFileSync(path);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw storeError(`Cannot read ${path}`, e);
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function storeError(what: string, e: unknown): CairnError {
  if (e instanceof CairnError) return e;
  if (errCode(e) === 'ENOSPC') {
    return new CairnError('STORE', `${what}: the disk is full (ENOSPC). Nothing partial was kept; free some space and run the task again.`, { cause: e });
  }
  return new CairnError('STORE', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
