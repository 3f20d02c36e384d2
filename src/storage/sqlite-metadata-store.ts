/**
 * The metadata store in one SQLite file (better-sqlite3), in WAL mode so that several processes can
 * use it at once: runs writing in parallel, a client reading while a run writes. Writes are grouped:
 * those made in one turn of the event loop commit together in one immediate transaction (which
 * waits, up to the busy timeout, for other writers instead of failing), and each call's promise
 * settles with its own result once that transaction commits.
 */
import { rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { CairnError } from '../errors.js';
import { taskPathspec, type TaskException, type TaskKey } from '../core/types.js';
import { migrate } from './sqlite-schema.js';
import type {
  AttemptRow, CacheEntry, MetadataStore, NewRun, NewTask, RunCounts, RunQuery, RunRow, RunStatus, StepRow, TaskRow,
} from './types.js';

// Loaded with require: importing a CommonJS package from ESM makes Node scan its source for names.
const SqliteDatabase = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

type Db = Database.Database;
type Statement = Database.Statement;

export interface SqliteMetadataStoreOptions {
  /** Create the file when it does not exist (default true); otherwise opening fails with NOT_FOUND. */
  create?: boolean;
  /** How long to wait for another process's write lock, in ms (default 10 000). */
  busyTimeoutMs?: number;
}

interface RunDbRow {
  flow: string; run_id: string; user: string; created_at: number; finished_at: number | null;
  status: RunStatus; user_tags: string; system_tags: string; params: string;
  code_package: string | null; origin_run_id: string | null;
  heartbeat_at?: number | null; heartbeat_interval_ms?: number | null;
}
interface TaskDbRow {
  flow: string; run_id: string; step: string; task_id: string; created_at: number; finished_at: number | null;
  status: TaskRow['status']; attempt: number; done_attempt: number | null; foreach_stack: string; parents: string;
  origin_pathspec: string | null;
}
interface AttemptDbRow {
  flow: string; run_id: string; step: string; task_id: string; attempt: number; started_at: number;
  finished_at: number | null; status: AttemptRow['status']; exception: string | null;
  stdout_log: string | null; stderr_log: string | null; pid: number | null;
}
interface CacheDbRow {
  flow: string; run_id: string; step: string; task_id: string; attempt: number; cache_key: string; namespace: string; created_at: number;
}
interface StepDbRow { step: string; created_at: number; finished_at: number | null; task_count: number }

const TASK_ORDER = 'ORDER BY seq IS NULL, seq, rowid';

const SQL = {
  insertRun: `INSERT INTO runs (flow, run_id, user, created_at, finished_at, status, user_tags, system_tags, params, code_package, origin_run_id,
                heartbeat_at, heartbeat_interval_ms)
              VALUES (?, ?, ?, ?, NULL, 'running', ?, ?, ?, ?, ?, ?, ?)`,
  heartbeat: `UPDATE runs SET heartbeat_at = ? WHERE flow = ? AND run_id = ? AND status = 'running' AND heartbeat_at IS NOT NULL`,
  insertTag: 'INSERT OR IGNORE INTO run_tags (flow, run_id, tag, kind) VALUES (?, ?, ?, ?)',
  deleteUserTags: `DELETE FROM run_tags WHERE flow = ? AND run_id = ? AND kind = 'user'`,
  setUserTags: 'UPDATE runs SET user_tags = ? WHERE flow = ? AND run_id = ?',
  deleteRun: 'DELETE FROM runs WHERE flow = ? AND run_id = ?',
  finishRun: 'UPDATE runs SET status = ?, finished_at = ? WHERE flow = ? AND run_id = ?',
  getRun: 'SELECT * FROM runs WHERE flow = ? AND run_id = ?',
  listFlows: 'SELECT DISTINCT flow FROM runs ORDER BY flow',
  insertTask: `INSERT INTO tasks (flow, run_id, step, task_id, seq, created_at, finished_at, status, attempt, done_attempt, foreach_stack, parents, origin_pathspec)
               VALUES (?, ?, ?, ?, ?, ?, NULL, 'pending', 0, NULL, ?, ?, ?)`,
  insertAttempt: `INSERT INTO attempts (flow, run_id, step, task_id, attempt, started_at, finished_at, status, exception, stdout_log, stderr_log, pid)
                  VALUES (?, ?, ?, ?, ?, ?, NULL, 'running', NULL, NULL, NULL, ?)`,
  taskStarted: `UPDATE tasks SET status = 'running', attempt = max(attempt, ?) WHERE flow = ? AND run_id = ? AND step = ? AND task_id = ?`,
  finishAttempt: `UPDATE attempts SET status = ?, finished_at = ?, exception = ?,
                    stdout_log = coalesce(?, stdout_log), stderr_log = coalesce(?, stderr_log)
                  WHERE flow = ? AND run_id = ? AND step = ? AND task_id = ? AND attempt = ?`,
  finishTask: 'UPDATE tasks SET status = ?, finished_at = ?, done_attempt = ? WHERE flow = ? AND run_id = ? AND step = ? AND task_id = ?',
  getTask: 'SELECT * FROM tasks WHERE flow = ? AND run_id = ? AND step = ? AND task_id = ?',
  listTasks: `SELECT * FROM tasks WHERE flow = ? AND run_id = ? ${TASK_ORDER}`,
  listStepTasks: `SELECT * FROM tasks WHERE flow = ? AND run_id = ? AND step = ? ${TASK_ORDER}`,
  listSteps: `SELECT step, min(created_at) AS created_at, count(*) AS task_count,
                CASE WHEN count(finished_at) = count(*) THEN max(finished_at) END AS finished_at
              FROM tasks WHERE flow = ? AND run_id = ?
              GROUP BY step ORDER BY min(created_at), min(coalesce(seq, 9007199254740991)), step`,
  insertCacheEntry: `INSERT OR IGNORE INTO task_cache (flow, run_id, step, task_id, attempt, cache_key, namespace, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  findCacheEntry: `SELECT * FROM task_cache WHERE flow = ? AND cache_key = ? AND namespace = ?
                   ORDER BY created_at DESC, run_id DESC LIMIT 1`,
  listAttempts: 'SELECT * FROM attempts WHERE flow = ? AND run_id = ? AND step = ? AND task_id = ? ORDER BY attempt',
  listStepAttempts: 'SELECT * FROM attempts WHERE flow = ? AND run_id = ? AND step = ? ORDER BY task_id, attempt',
} as const;

export class SqliteMetadataStore implements MetadataStore {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly location: string;
  private readonly db: Db;
  private readonly stmts: { [K in keyof typeof SQL]: Statement };
  private readonly runQueries = new Map<string, Statement>();
  private readonly runCounts = new Map<number, { counts: Statement; running: Statement }>();
  private readonly pending: PendingWrite[] = [];

  constructor(path: string, opts: SqliteMetadataStoreOptions = {}) {
    this.path = path;
    this.location = path;
    try {
      this.db = new SqliteDatabase(path, { fileMustExist: opts.create === false, timeout: opts.busyTimeoutMs ?? 10_000 });
    } catch (e) {
      if (opts.create === false && sqliteCode(e) === 'SQLITE_CANTOPEN') {
        throw new CairnError('NOT_FOUND', `No metadata database at ${path}.`, { cause: e });
      }
      throw new CairnError('STORE', `Cannot open the metadata database ${path}: ${message(e)}`, { cause: e });
    }
    try {
      withBusyRetry(() => this.db.pragma('journal_mode = WAL'));
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db, path);
      if (opts.create !== false) keepReserve(reservePath(path));
      const stmts: Partial<Record<keyof typeof SQL, Statement>> = {};
      for (const key of Object.keys(SQL) as (keyof typeof SQL)[]) stmts[key] = this.db.prepare(SQL[key]);
      this.stmts = stmts as { [K in keyof typeof SQL]: Statement };
    } catch (e) {
      this.db.close();
      if (e instanceof CairnError) throw e;
      throw new CairnError('STORE', `Cannot open the metadata database ${path}: ${message(e)}`, { cause: e });
    }
  }

  async createRun(run: NewRun): Promise<void> {
    const s = this.stmts;
    const userTags = unique(run.userTags);
    const systemTags = unique(run.systemTags);
    await this.write(`create run ${run.flow}/${run.runId}`, () => {
      this.db.transaction(() => {
        s.insertRun.run(
          run.flow, run.runId, run.user, run.createdAt, JSON.stringify(userTags), JSON.stringify(systemTags),
          JSON.stringify(run.params ?? {}), run.codePackage ?? null, run.originRunId ?? null,
          run.heartbeatIntervalMs ? Date.now() : null, run.heartbeatIntervalMs || null,
        );
        for (const tag of userTags) s.insertTag.run(run.flow, run.runId, tag, 'user');
        for (const tag of systemTags) s.insertTag.run(run.flow, run.runId, tag, 'system');
      })();
    }, { duplicate: `Run ${run.flow}/${run.runId} already exists: run ids must be unique within a flow.` });
  }

  async finishRun(flow: string, runId: string, status: Exclude<RunStatus, 'running'>, finishedAt: number): Promise<void> {
    await this.write(`finish run ${flow}/${runId}`, () => {
      if (this.stmts.finishRun.run(status, finishedAt, flow, runId).changes === 0) throw runNotFound(flow, runId);
    });
  }

  async heartbeat(flow: string, runId: string): Promise<void> {
    await this.write(`record the heartbeat of run ${flow}/${runId}`, () => {
      this.stmts.heartbeat.run(Date.now(), flow, runId);
    });
  }

  async getRun(flow: string, runId: string): Promise<RunRow | undefined> {
    const row = this.stmts.getRun.get(flow, runId) as RunDbRow | undefined;
    return row && toRun(row);
  }

  async listRuns(q: RunQuery): Promise<RunRow[]> {
    const tags = unique(q.tags ?? []);
    const successfulOnly = q.successfulOnly === true;
    const key = `${tags.length}|${successfulOnly ? 1 : 0}|${q.before ? 1 : 0}`;
    let stmt = this.runQueries.get(key);
    if (!stmt) {
      stmt = this.db.prepare(runQuerySql(tags.length, successfulOnly, q.before !== undefined));
      this.runQueries.set(key, stmt);
    }
    const params: unknown[] = [q.flow];
    if (q.before) params.push(q.before.createdAt, q.before.runId);
    params.push(...tags);
    const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
    params.push(limit);
    return (stmt.all(...params) as RunDbRow[]).map(toRun);
  }

  async countRuns(q: { flow: string; tags?: readonly string[] }): Promise<RunCounts> {
    const tags = unique(q.tags ?? []);
    let stmts = this.runCounts.get(tags.length);
    if (!stmts) this.runCounts.set(tags.length, (stmts = runCountSql(tags.length, (sql) => this.db.prepare(sql))));
    const out: RunCounts = { succeeded: 0, failed: 0, running: (stmts.running.all(q.flow, ...tags) as RunDbRow[]).map(toRun) };
    for (const r of stmts.counts.all(q.flow, ...tags) as Array<{ status: RunStatus; n: number }>) if (r.status !== 'running') out[r.status] = r.n;
    return out;
  }

  async listFlows(): Promise<string[]> {
    return (this.stmts.listFlows.all() as { flow: string }[]).map((r) => r.flow);
  }

  async setUserTags(flow: string, runId: string, userTags: readonly string[]): Promise<void> {
    const s = this.stmts;
    const tags = unique(userTags);
    await this.write(`set the tags of run ${flow}/${runId}`, () =>
      this.db.transaction(() => {
        if (s.setUserTags.run(JSON.stringify(tags), flow, runId).changes === 0) throw runNotFound(flow, runId);
        s.deleteUserTags.run(flow, runId);
        for (const tag of tags) s.insertTag.run(flow, runId, tag, 'user');
      })(),
    );
  }

  async deleteRun(flow: string, runId: string): Promise<boolean> {
    // Tags, tasks and attempts go with it (ON DELETE CASCADE).
    return this.write(`delete run ${flow}/${runId}`, () => this.stmts.deleteRun.run(flow, runId).changes > 0);
  }

  async createTask(task: NewTask): Promise<void> {
    await this.write(`create task ${taskPathspec(task)}`, () =>
      this.stmts.insertTask.run(
        task.flow, task.runId, task.step, task.taskId, taskSeq(task.taskId), task.createdAt,
        JSON.stringify(task.foreachStack ?? []), JSON.stringify(task.parents ?? []), task.originPathspec ?? null,
      ),
    {
      duplicate: `Task ${taskPathspec(task)} already exists.`,
      missing: `Cannot create task ${taskPathspec(task)}: run ${task.flow}/${task.runId} does not exist.`,
    });
  }

  async startAttempt(task: TaskKey, attempt: number, startedAt: number, pid: number | null): Promise<void> {
    const s = this.stmts;
    const where = [task.flow, task.runId, task.step, task.taskId] as const;
    await this.write(`start attempt ${attempt} of task ${taskPathspec(task)}`, () =>
      this.db.transaction(() => {
        s.insertAttempt.run(...where, attempt, startedAt, pid);
        s.taskStarted.run(attempt, ...where);
      })(),
    {
      duplicate: `Attempt ${attempt} of task ${taskPathspec(task)} was already started.`,
      missing: `Cannot start attempt ${attempt}: task ${taskPathspec(task)} does not exist.`,
    });
  }

  async finishAttempt(
    task: TaskKey,
    attempt: number,
    outcome: { status: 'succeeded' | 'failed'; finishedAt: number; exception?: TaskException | null; logs?: { stdout: string | null; stderr: string | null } },
  ): Promise<void> {
    const exception = outcome.exception ? JSON.stringify(outcome.exception) : null;
    await this.write(`finish attempt ${attempt} of task ${taskPathspec(task)}`, () => {
      const changes = this.stmts.finishAttempt.run(
        outcome.status, outcome.finishedAt, exception, outcome.logs?.stdout ?? null, outcome.logs?.stderr ?? null,
        task.flow, task.runId, task.step, task.taskId, attempt,
      ).changes;
      if (changes === 0) throw new CairnError('NOT_FOUND', `Attempt ${attempt} of task ${taskPathspec(task)} was never started.`);
    });
  }

  async finishTask(task: TaskKey, status: 'succeeded' | 'failed', finishedAt: number, doneAttempt: number | null): Promise<void> {
    await this.write(`finish task ${taskPathspec(task)}`, () => {
      const changes = this.stmts.finishTask.run(status, finishedAt, doneAttempt, task.flow, task.runId, task.step, task.taskId).changes;
      if (changes === 0) throw new CairnError('NOT_FOUND', `Task ${taskPathspec(task)} does not exist.`);
    });
  }

  async getTask(task: TaskKey): Promise<TaskRow | undefined> {
    const row = this.stmts.getTask.get(task.flow, task.runId, task.step, task.taskId) as TaskDbRow | undefined;
    return row && toTask(row);
  }

  async listTasks(flow: string, runId: string, step?: string): Promise<TaskRow[]> {
    const rows = step === undefined ? this.stmts.listTasks.all(flow, runId) : this.stmts.listStepTasks.all(flow, runId, step);
    return (rows as TaskDbRow[]).map(toTask);
  }

  async listSteps(flow: string, runId: string): Promise<StepRow[]> {
    return (this.stmts.listSteps.all(flow, runId) as StepDbRow[]).map((r) => ({
      flow, runId, step: r.step, createdAt: r.created_at, finishedAt: r.finished_at, taskCount: r.task_count,
    }));
  }

  async listAttempts(task: TaskKey): Promise<AttemptRow[]> {
    const rows = this.stmts.listAttempts.all(task.flow, task.runId, task.step, task.taskId) as AttemptDbRow[];
    return rows.map(toAttempt);
  }

  async listStepAttempts(flow: string, runId: string, step: string): Promise<AttemptRow[]> {
    return (this.stmts.listStepAttempts.all(flow, runId, step) as AttemptDbRow[]).map(toAttempt);
  }

  async recordCacheEntry(e: CacheEntry): Promise<void> {
    await this.write(`file task ${taskPathspec(e)} in the step cache`, () =>
      this.stmts.insertCacheEntry.run(e.flow, e.runId, e.step, e.taskId, e.attempt, e.key, e.namespace, e.createdAt),
    { missing: `Cannot file task ${taskPathspec(e)} in the step cache: it does not exist.` });
  }

  async findCacheEntry(flow: string, key: string, namespace: string): Promise<CacheEntry | undefined> {
    const r = this.stmts.findCacheEntry.get(flow, key, namespace) as CacheDbRow | undefined;
    return r && { flow: r.flow, runId: r.run_id, step: r.step, taskId: r.task_id, attempt: r.attempt, key: r.cache_key, namespace: r.namespace, createdAt: r.created_at };
  }

  async close(): Promise<void> {
    this.flush();
    if (this.db.open) this.db.close();
  }

  /** Queues a write for the next group commit; settles with its own result or error. */
  private write<T>(what: string, fn: () => T, msgs: WriteMessages = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ what, fn, msgs, resolve: resolve as (v: unknown) => void, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * Commits every queued write in one transaction; a write that fails is undone alone. While
   * another process holds the write lock beyond the busy timeout, the batch is tried again every
   * 200 ms (the event loop runs meanwhile) for up to `LOCKED_PATIENCE_MS`.
   */
  private flush(retryOf?: { batch: PendingWrite[]; since: number }): void {
    const batch = retryOf?.batch ?? this.pending.splice(0);
    if (batch.length === 0) return;
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    const commit = (): void =>
      withBusyRetry(() =>
        this.db.transaction(() => {
          results.length = 0;
          for (const op of batch) {
            try {
              // One statement fails alone; writes of several statements are savepoints of their own.
              results.push({ ok: true, value: op.fn() });
            } catch (error) {
              if (sqliteCode(error) === 'SQLITE_FULL') throw error; // the whole batch is retried below
              results.push({ ok: false, error: this.explain(op.what, error, op.msgs) });
            }
          }
        }).immediate(),
      );
    try {
      try {
        commit();
      } catch (e) {
        // The disk filled: give back the space kept in reserve, so that what is being recorded (a
        // task's end, the run's end) still is, and try once more.
        if (sqliteCode(e) !== 'SQLITE_FULL' || !releaseReserve(reservePath(this.path))) throw e;
        commit();
      }
    } catch (e) {
      const since = retryOf?.since ?? Date.now();
      if (sqliteCode(e) === 'SQLITE_BUSY' && Date.now() - since < LOCKED_PATIENCE_MS && this.db.open) {
        setTimeout(() => this.flush({ batch, since }), 200);
        return;
      }
      for (const op of batch) op.reject(this.explain(op.what, e, op.msgs));
      return;
    }
    batch.forEach((op, i) => {
      const r = results[i]!;
      if (r.ok) op.resolve(r.value);
      else op.reject(r.error);
    });
  }

  /** Turns what a failed write threw into a CairnError that says what happened. */
  private explain(what: string, e: unknown, msgs: WriteMessages): CairnError {
    const code = sqliteCode(e);
    if ((code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') && msgs.duplicate) {
      return new CairnError('INVALID_ARGUMENT', msgs.duplicate, { cause: e });
    }
    if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' && msgs.missing) return new CairnError('NOT_FOUND', msgs.missing, { cause: e });
    if (code?.startsWith('SQLITE_CONSTRAINT')) {
      return new CairnError('INVALID_ARGUMENT', `Cannot ${what}: ${message(e)}`, { cause: e });
    }
    if (e instanceof CairnError) return e;
    if (code === 'SQLITE_FULL') {
      return new CairnError('STORE', `Cannot ${what} in ${this.path}: the disk is full. Free space on the disk that holds it, then run again.`, { cause: e });
    }
    return new CairnError('STORE', `Cannot ${what} in ${this.path}: ${message(e)}`, { cause: e });
  }
}

interface WriteMessages {
  duplicate?: string;
  missing?: string;
}

interface PendingWrite {
  what: string;
  fn: () => unknown;
  msgs: WriteMessages;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** The SQL of one shape of `listRuns` query (exported for the query-plan test). */
function runWhereSql(tagCount: number, successfulOnly: boolean, before: boolean): string {
  const where = ['r.flow = ?'];
  if (successfulOnly) where.push(`r.status = 'succeeded'`);
  if (before) where.push('(r.created_at, r.run_id) < (?, ?)');
  for (let i = 0; i < tagCount; i++) {
    where.push('EXISTS (SELECT 1 FROM run_tags t WHERE t.flow = r.flow AND t.run_id = r.run_id AND t.tag = ?)');
  }
  return where.join(' AND ');
}

export function runQuerySql(tagCount: number, successfulOnly: boolean, before: boolean): string {
  return `SELECT r.* FROM runs r WHERE ${runWhereSql(tagCount, successfulOnly, before)} ORDER BY r.created_at DESC, r.run_id DESC LIMIT ?`;
}

/** Counts by status (answered from the runs_newest_by_status index), and the running runs' rows. */
function runCountSql<T>(tagCount: number, prepare: (sql: string) => T): { counts: T; running: T } {
  const where = runWhereSql(tagCount, false, false);
  const running = `SELECT r.* FROM runs r WHERE ${where} AND r.status = 'running' ORDER BY r.created_at DESC, r.run_id DESC`;
  return { counts: prepare(`SELECT r.status AS status, COUNT(*) AS n FROM runs r WHERE ${where} GROUP BY r.status`), running: prepare(running) };
}

function toRun(r: RunDbRow): RunRow {
  return {
    flow: r.flow, runId: r.run_id, user: r.user, createdAt: r.created_at, finishedAt: r.finished_at, status: r.status,
    userTags: JSON.parse(r.user_tags) as string[], systemTags: JSON.parse(r.system_tags) as string[],
    params: JSON.parse(r.params) as Record<string, unknown>, codePackage: r.code_package, originRunId: r.origin_run_id,
    heartbeatAt: r.heartbeat_at ?? null, heartbeatIntervalMs: r.heartbeat_interval_ms ?? null,
  };
}

function toTask(r: TaskDbRow): TaskRow {
  return {
    flow: r.flow, runId: r.run_id, step: r.step, taskId: r.task_id, createdAt: r.created_at, finishedAt: r.finished_at,
    status: r.status, attempt: r.attempt, doneAttempt: r.done_attempt,
    foreachStack: JSON.parse(r.foreach_stack) as TaskRow['foreachStack'], parents: JSON.parse(r.parents) as string[],
    originPathspec: r.origin_pathspec,
  };
}

function toAttempt(r: AttemptDbRow): AttemptRow {
  return {
    flow: r.flow, runId: r.run_id, step: r.step, taskId: r.task_id, attempt: r.attempt, startedAt: r.started_at,
    finishedAt: r.finished_at, status: r.status, exception: r.exception === null ? null : (JSON.parse(r.exception) as TaskException),
    logs: { stdout: r.stdout_log, stderr: r.stderr_log }, pid: r.pid,
  };
}

/** Task ids are numeric strings: order by their value (`10` after `9`). */
function taskSeq(taskId: string): number | null {
  return /^\d{1,15}$/.test(taskId) ? Number(taskId) : null;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function runNotFound(flow: string, runId: string): CairnError {
  return new CairnError('NOT_FOUND', `Run ${flow}/${runId} does not exist.`);
}

/** How long writes wait, in all, for another process that keeps the database locked. */
const LOCKED_PATIENCE_MS = 120_000;

/** Space kept beside the database so that, when the disk fills, the ends of tasks and runs can still be recorded. */
const RESERVE_BYTES = 1 << 20;

function reservePath(dbPath: string): string {
  return `${dbPath}.reserve`;
}

/** Writes the reserve file when it is missing (quietly not, when there is no room for it). */
function keepReserve(path: string): void {
  if (statSync(path, { throwIfNoEntry: false })?.size === RESERVE_BYTES) return;
  try {
    writeFileSync(path, Buffer.alloc(RESERVE_BYTES));
  } catch {
    rmSync(path, { force: true });
  }
}

/** Deletes the reserve file; whether there was one to give back. */
function releaseReserve(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

function sqliteCode(e: unknown): string | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Switching a new database to WAL needs a moment of exclusive access; wait for it. */
function withBusyRetry<T>(fn: () => T): T {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (sqliteCode(e) !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}
