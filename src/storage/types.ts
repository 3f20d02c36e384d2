/**
 * The two storage interfaces. Every backend (local folder / S3 for artifacts, SQLite / Postgres for
 * metadata) implements one of them and passes the same contract test suite.
 */
import type { ForeachFrame, TaskException, TaskKey } from '../core/types.js';
import type { BlobData } from './hash.js';

export type { BlobData } from './hash.js';

/** Where a read puts a blob: its bytes from `skip` on go to `into` (whose length is the size less `skip`). */
export interface BlobLayout {
  skip: number;
  into: Uint8Array;
}

/**
 * Lays out the read of a blob from its first bytes (up to 4 KiB, all of them for a smaller blob)
 * and its size: the codec reads a large typed array straight into the array's own memory.
 */
export type BlobPlan = (head: Uint8Array, size: number) => BlobLayout;

/** What a task attempt recorded about one artifact. */
export interface ArtifactInfo {
  /** sha1 (hex) of the serialized bytes: the blob's address. */
  sha: string;
  /** Serialized size in bytes. */
  size: number;
  /** A readable type name: `number`, `Array`, `Map`, `Float64Array`, a registered class name... */
  type: string;
  /** Which codec wrote the bytes: `v8`, `serializer:<name>` or `v8+registered`. */
  encoding: string;
}

/**
 * Everything one task attempt persisted: artifact name → info (parameters included), and where the
 * run went next (so that resume can clone the task without running it), written once when the
 * attempt succeeds.
 */
export interface TaskRecord {
  version: 1;
  artifacts: Record<string, ArtifactInfo>;
  /** Where the run went after this task: the steps it chose, and the split it produced, if any. */
  next?: string[];
  foreach?: { var: string; numSplits: number; listSha: string; listEncoding?: string };
  /** Only in a run's `_parameters` record: the blob (JSON, `core/run-graph.ts`) of the graph the run ran. */
  graph?: string;
}

export type LogStream = 'stdout' | 'stderr';

/** Bytes [start, start + bytes.length) of the records of one stream of a task attempt. */
export interface LogSegment {
  start: number;
  bytes: Uint8Array;
}

/** One stream of a task attempt's output, as stored, from some offset on. */
export interface StoredLog {
  /** `records` (see `log-format.ts`), or `text`: plain output stored by an older version, without times. */
  format: 'records' | 'text';
  /** The stored bytes from the offset asked for. */
  bytes: Uint8Array;
  /** The offset of the first byte of `bytes`. */
  start: number;
  /** The offset just past `bytes`: what is stored so far. */
  end: number;
}

export interface ArtifactStore {
  /** `local`, `s3`, ... */
  readonly kind: string;
  /** A description of where data lives, for messages (`/home/u/proj/.cairn`). */
  readonly location: string;
  /**
   * Stores bytes under their sha1 and returns it. Idempotent; never overwrites an existing blob.
   * Given parts, stores their concatenation without concatenating them in memory.
   */
  putBlob(data: BlobData): Promise<string>;
  /** Reads a blob and verifies it against its address; `CairnError('CORRUPT_BLOB')` if it does not match, `NOT_FOUND` if absent. */
  getBlob(sha: string): Promise<Uint8Array>;
  /** Synchronous read, offered by stores that can (the local folder); used for lazy `this.x` reads. */
  getBlobSync?(sha: string): Uint8Array;
  /**
   * Reads a blob into the memory `plan` lays out (verified against the address as it is read, with
   * the errors of `getBlob`), in chunks, without holding another copy of it. Synchronous where
   * `getBlobSync` is offered.
   */
  readBlobSync?(sha: string, plan: BlobPlan): void;
  readBlob?(sha: string, plan: BlobPlan): Promise<void>;
  /**
   * The first `bytes` bytes of a blob (fewer when it is smaller), NOT verified against its address:
   * for formats whose head carries its own checksum (a data frame's preview header).
   */
  getBlobHead?(sha: string, bytes: number): Promise<Uint8Array>;
  /**
   * Offered by stores whose synchronous reads are slow (remote stores with a local cache): fetches
   * these blobs ahead, in parallel, so that later `getBlobSync` calls are local. Best effort: a blob
   * that cannot be fetched is left for the read that needs it to report.
   */
  prefetchBlobs?(shas: readonly string[]): Promise<void>;
  /** Which of these blobs exist. */
  hasBlobs(shas: readonly string[]): Promise<Set<string>>;
  /** Atomically writes (or replaces) the record of one task attempt. */
  putTaskRecord(task: TaskKey, attempt: number, record: TaskRecord): Promise<void>;
  getTaskRecord(task: TaskKey, attempt: number): Promise<TaskRecord | undefined>;
  /**
   * Appends one segment of a task attempt's output (records of `log-format.ts`, bytes
   * [start, start + length) of the stream), written once and atomically; returns where the stream
   * is stored, to record in the metadata store.
   */
  appendLog(task: TaskKey, attempt: number, stream: LogStream, segment: LogSegment): Promise<string>;
  /** The same, synchronously, offered by stores that can (the local folder): a task's prints are not held back. */
  appendLogSync?(task: TaskKey, attempt: number, stream: LogStream, segment: LogSegment): string;
  /** What is stored of one stream of a task attempt, from byte offset `from` (default 0); undefined when nothing is. */
  readLog(task: TaskKey, attempt: number, stream: LogStream, from?: number): Promise<StoredLog | undefined>;
  /**
   * Atomically writes (or replaces: live cards are rewritten while the task runs) the document of
   * card `cardId` of one task attempt. The bytes are the card document's JSON.
   */
  putCard(task: TaskKey, attempt: number, cardId: string, bytes: Uint8Array): Promise<void>;
  /** The document of one card of a task attempt, or undefined when it was never written. */
  getCard(task: TaskKey, attempt: number, cardId: string): Promise<Uint8Array | undefined>;
  /** The ids of the cards stored for a task attempt, sorted. */
  listCards(task: TaskKey, attempt: number): Promise<string[]>;
  close?(): Promise<void>;
}

/** One stored blob, as `listBlobs` sees it. */
export interface BlobInfo {
  sha: string;
  size: number;
  /** Epoch ms of its last write or refresh (`touchBlobs`): the file's mtime, the object's LastModified. */
  modifiedAt: number;
}

/**
 * What deleting runs and collecting garbage need of an artifact store (both backends offer it).
 * The safety of `gc` against runs writing at the same time rests on two rules: a writer that
 * reuses a blob already stored (a `putBlob` of existing bytes, a resume clone, a cache hit)
 * refreshes its modification time first (`touchBlobs`), and `deleteBlob` removes a blob only if
 * its modification time is still older than the cutoff when it is removed.
 */
export interface MaintainedArtifactStore extends ArtifactStore {
  /** Refreshes the modification time of these blobs; resolves to the ones that exist. */
  touchBlobs(shas: readonly string[]): Promise<Set<string>>;
  /** Every stored blob, a page at a time. */
  listBlobs(): AsyncIterable<BlobInfo[]>;
  /**
   * Deletes the blob if it was last written or refreshed before `cutoff` (epoch ms); resolves to
   * the bytes freed, or undefined when it was kept (refreshed since, or already gone).
   */
  deleteBlob(sha: string, cutoff: number): Promise<number | undefined>;
  /** The runs that have task records, logs or cards in the store. */
  listStoredRuns(): Promise<Array<{ flow: string; runId: string }>>;
  /** Every task record stored for a run (every attempt). */
  readRunRecords(flow: string, runId: string): Promise<TaskRecord[]>;
  /** Removes the task records, logs and cards of a run; resolves to the bytes freed. */
  deleteRunData(flow: string, runId: string): Promise<number>;
  /**
   * Removes what writes that never finished left behind (temporary files, unfinished uploads)
   * older than `olderThan` (epoch ms); with `dryRun`, only counts them.
   */
  sweepTemporary(olderThan: number, opts?: { dryRun?: boolean }): Promise<{ files: number; bytes: number }>;
}

export function isMaintained(store: ArtifactStore): store is MaintainedArtifactStore {
  const s = store as Partial<MaintainedArtifactStore>;
  return typeof s.listBlobs === 'function' && typeof s.deleteBlob === 'function' && typeof s.deleteRunData === 'function';
}

export type RunStatus = 'running' | 'succeeded' | 'failed';
export type TaskStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export type AttemptStatus = 'running' | 'succeeded' | 'failed';

export interface RunRow {
  flow: string;
  runId: string;
  user: string;
  /** epoch milliseconds */
  createdAt: number;
  finishedAt: number | null;
  status: RunStatus;
  userTags: string[];
  systemTags: string[];
  /** Parameter values as given (JSON-able), for display; the values steps see live in `_parameters`. */
  params: Record<string, unknown>;
  /** Address of the run's code package in the artifact store. */
  codePackage: string | null;
  /** The run this one resumed, if any. */
  originRunId: string | null;
  /**
   * Epoch ms of the orchestrator's last heartbeat (in this reader's clock), or null for a run that
   * records none. See `core/liveness.ts`: a running run whose heartbeat is too old is lost.
   */
  heartbeatAt: number | null;
  /** How often the orchestrator promised to beat, in ms; null when it records no heartbeat. */
  heartbeatIntervalMs: number | null;
}

export interface NewRun {
  flow: string;
  runId: string;
  user: string;
  createdAt: number;
  userTags: string[];
  systemTags: string[];
  params: Record<string, unknown>;
  codePackage: string | null;
  originRunId?: string | null;
  /** The orchestrator will call `heartbeat` this often (ms); the first heartbeat is the creation. Absent: no heartbeat. */
  heartbeatIntervalMs?: number | null;
}

export interface TaskRow extends TaskKey {
  createdAt: number;
  finishedAt: number | null;
  status: TaskStatus;
  /** Latest attempt started (0-based). */
  attempt: number;
  /** The attempt whose record counts (the latest successful one), or null. */
  doneAttempt: number | null;
  foreachStack: ForeachFrame[];
  /** Pathspecs of the parent tasks (`step/taskId`, within the run). */
  parents: string[];
  /** For a task cloned by resume: the origin task's pathspec. */
  originPathspec: string | null;
}

export interface NewTask extends TaskKey {
  createdAt: number;
  foreachStack: ForeachFrame[];
  parents: string[];
  originPathspec?: string | null;
}

export interface AttemptRow extends TaskKey {
  attempt: number;
  startedAt: number;
  finishedAt: number | null;
  status: AttemptStatus;
  exception: TaskException | null;
  /** Where the attempt's stdout / stderr were stored (as returned by `ArtifactStore.appendLog`). */
  logs: { stdout: string | null; stderr: string | null };
  pid: number | null;
}

export interface StepRow {
  flow: string;
  runId: string;
  step: string;
  createdAt: number;
  finishedAt: number | null;
  taskCount: number;
}

/** A successful task that the step cache may reuse, filed under its cache key. */
export interface CacheEntry extends TaskKey {
  /** The attempt whose record counts. */
  attempt: number;
  /** The task's cache key (see `orchestrator/step-cache.ts`). */
  key: string;
  /** The namespace of its run (`user:alice`): a hit is looked for only in the same one. */
  namespace: string;
  createdAt: number;
}

export interface RunQuery {
  flow: string;
  /** Every tag listed must be on the run (user or system tag). */
  tags?: readonly string[];
  /** Only runs whose status is `succeeded`. */
  successfulOnly?: boolean;
  limit?: number;
  /** Paging: only runs strictly older than this (createdAt, runId) position. */
  before?: { createdAt: number; runId: string };
}

/** A flow's runs counted by their recorded status (`countRuns`). */
export interface RunCounts {
  succeeded: number;
  failed: number;
  /** The runs recorded as running, newest first: some may be lost (see `core/liveness.ts`), which only their rows tell. */
  running: RunRow[];
}

export interface MetadataStore {
  readonly kind: string;
  /** Where the store is, for messages (a file path, or a database URL without its password). */
  readonly location: string;
  /** Creates the run; rejects with `CairnError('INVALID_ARGUMENT')` if that id exists for the flow. */
  createRun(run: NewRun): Promise<void>;
  finishRun(flow: string, runId: string, status: Exclude<RunStatus, 'running'>, finishedAt: number): Promise<void>;
  /** Records that the run's orchestrator is alive, now (in the store's clock); a no-op for a finished run. */
  heartbeat(flow: string, runId: string): Promise<void>;
  getRun(flow: string, runId: string): Promise<RunRow | undefined>;
  /** Newest first (createdAt, then runId, descending). */
  listRuns(q: RunQuery): Promise<RunRow[]>;
  /** A flow's runs (with every tag given) counted by status, without reading the finished ones' rows. */
  countRuns(q: { flow: string; tags?: readonly string[] }): Promise<RunCounts>;
  listFlows(): Promise<string[]>;
  setUserTags(flow: string, runId: string, userTags: readonly string[]): Promise<void>;
  /** Deletes the run with its tags, tasks and attempts; resolves to false when there was no such run. */
  deleteRun(flow: string, runId: string): Promise<boolean>;

  createTask(task: NewTask): Promise<void>;
  startAttempt(task: TaskKey, attempt: number, startedAt: number, pid: number | null): Promise<void>;
  finishAttempt(
    task: TaskKey,
    attempt: number,
    outcome: { status: 'succeeded' | 'failed'; finishedAt: number; exception?: TaskException | null; logs?: { stdout: string | null; stderr: string | null } },
  ): Promise<void>;
  /** Marks the task finished; `doneAttempt` is the attempt whose record counts (null when it failed). */
  finishTask(task: TaskKey, status: 'succeeded' | 'failed', finishedAt: number, doneAttempt: number | null): Promise<void>;
  getTask(task: TaskKey): Promise<TaskRow | undefined>;
  /** In creation order (task id order). */
  listTasks(flow: string, runId: string, step?: string): Promise<TaskRow[]>;
  listSteps(flow: string, runId: string): Promise<StepRow[]>;
  listAttempts(task: TaskKey): Promise<AttemptRow[]>;
  /** The attempts of every task of a step, in one read (by task id, then attempt). */
  listStepAttempts(flow: string, runId: string, step: string): Promise<AttemptRow[]>;
  /** Files a successful task under its cache key (the task must exist; deleting its run removes the entry). */
  recordCacheEntry(entry: CacheEntry): Promise<void>;
  /** The newest task filed under this key in this flow and namespace, if any. */
  findCacheEntry(flow: string, key: string, namespace: string): Promise<CacheEntry | undefined>;
  close(): Promise<void>;
}
