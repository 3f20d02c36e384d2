/**
 * The metadata store in a Postgres database (`pg`), for many orchestrators and clients on many
 * machines at once. Same behaviour as the SQLite store: the schema is created and migrated by cairn
 * when a store opens (`postgres-schema.ts`); writes made in one turn of the event loop commit together
 * in one pipelined transaction (`postgres-group-commit.ts`), each call's promise settling with its
 * own result; reads go straight to the pool.
 */
import pg from 'pg';
import type { CustomTypesConfig, Pool, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { CairnError } from '../errors.js';
import { taskPathspec, type TaskException, type TaskKey } from '../core/types.js';
import { errorText, explainWriteError, GroupCommit, sqlState, type StatementWrite, type WriteOp } from './postgres-group-commit.js';
import { migrate } from './postgres-schema.js';
import { createTaskWrite, finishAttemptWrite, finishTaskWrite, startAttemptWrite } from './postgres-task-writes.js';
import type {
  AttemptRow, CacheEntry, MetadataStore, NewRun, NewTask, RunCounts, RunQuery, RunRow, RunStatus, StepRow, TaskRow,
} from './types.js';

export interface PostgresMetadataStoreOptions {
  /** Create the schema in a database that has none (default true); otherwise opening fails with NOT_FOUND. */
  create?: boolean;
  /** Connections in the pool (default 4). Writes use one at a time; reads share the rest. */
  maxConnections?: number;
  /** How long to wait for a connection, in ms (default 10 000). */
  connectTimeoutMs?: number;
}

interface RunDbRow {
  flow: string; run_id: string; user_name: string; created_at: number; finished_at: number | null;
  status: RunStatus; user_tags: string[]; system_tags: string[]; params: Record<string, unknown>;
  code_package: string | null; origin_run_id: string | null;
  heartbeat_at: number | null; heartbeat_interval_ms: number | null; db_now: number;
}
interface TaskDbRow {
  flow: string; run_id: string; step: string; task_id: string; created_at: number; finished_at: number | null;
  status: TaskRow['status']; attempt: number; done_attempt: number | null; foreach_stack: TaskRow['foreachStack'];
  parents: string[]; origin_pathspec: string | null;
}
interface AttemptDbRow {
  flow: string; run_id: string; step: string; task_id: string; attempt: number; started_at: number;
  finished_at: number | null; status: AttemptRow['status']; exception: TaskException | null;
  stdout_log: string | null; stderr_log: string | null; pid: number | null;
}
interface CacheDbRow {
  flow: string; run_id: string; step: string; task_id: string; attempt: number; cache_key: string; namespace: string; created_at: number;
}
interface StepDbRow { step: string; created_at: number; finished_at: number | null; task_count: number }

// Columns by name, not `*`: a prepared query stays valid when a later migration adds a column.
/** The server's clock, in epoch ms: heartbeats are written and judged in it, so clients' clocks may differ. */
const SERVER_NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
const RUN_COLUMNS =
  'flow, run_id, user_name, created_at, finished_at, status, user_tags, system_tags, params, code_package, origin_run_id, ' +
  `heartbeat_at, heartbeat_interval_ms, ${SERVER_NOW} AS db_now`;
const TASK_COLUMNS =
  'flow, run_id, step, task_id, created_at, finished_at, status, attempt, done_attempt, foreach_stack, parents, origin_pathspec';
const ATTEMPT_COLUMNS =
  'flow, run_id, step, task_id, attempt, started_at, finished_at, status, exception, stdout_log, stderr_log, pid';
const TASK_KEY = 'flow = $1 AND run_id = $2 AND step = $3 AND task_id = $4';
const TASK_ORDER = 'ORDER BY seq, ord'; // ascending puts nulls (non-numeric ids) last

const SQL = {
  createRun: `WITH r AS (
      INSERT INTO runs (flow, run_id, user_name, created_at, status, user_tags, system_tags, params, code_package, origin_run_id,
        heartbeat_at, heartbeat_interval_ms)
      VALUES ($1, $2, $3, $4, 'running', $5::jsonb, $6::jsonb, $7::json, $8, $9,
        CASE WHEN $12::int IS NULL THEN NULL ELSE ${SERVER_NOW} END, $12::int)
      ON CONFLICT (flow, run_id) DO NOTHING RETURNING flow, run_id
    ), t AS (
      INSERT INTO run_tags (flow, run_id, tag, kind)
      SELECT r.flow, r.run_id, x.tag, x.kind
      FROM r, (SELECT unnest($10::text[]) AS tag, 'user' AS kind UNION ALL SELECT unnest($11::text[]), 'system') x
      ON CONFLICT DO NOTHING
    )
    SELECT count(*)::int AS created FROM r`,
  deleteRun: 'DELETE FROM runs WHERE flow = $1 AND run_id = $2',
  finishRun: 'UPDATE runs SET status = $3, finished_at = $4 WHERE flow = $1 AND run_id = $2',
  heartbeat: `UPDATE runs SET heartbeat_at = ${SERVER_NOW}
    WHERE flow = $1 AND run_id = $2 AND status = 'running' AND heartbeat_at IS NOT NULL`,
  // Replacing tags: the UPDATE locks the run, so the two statements after it see any racing
  // replacement committed, and the tag rows always end up matching user_tags.
  setUserTags: 'UPDATE runs SET user_tags = $3::jsonb WHERE flow = $1 AND run_id = $2',
  dropUserTags: `DELETE FROM run_tags WHERE flow = $1 AND run_id = $2 AND kind = 'user' AND tag <> ALL ($3::text[])`,
  addUserTags: `INSERT INTO run_tags (flow, run_id, tag, kind)
    SELECT r.flow, r.run_id, t, 'user' FROM runs r CROSS JOIN unnest($3::text[]) t
    WHERE r.flow = $1 AND r.run_id = $2 ON CONFLICT DO NOTHING`,
  getRun: `SELECT ${RUN_COLUMNS} FROM runs WHERE flow = $1 AND run_id = $2`,
  // Distinct flows by skipping through the primary key, one index probe per flow.
  listFlows: `WITH RECURSIVE f AS (
      (SELECT flow FROM runs ORDER BY flow LIMIT 1)
      UNION ALL
      SELECT (SELECT r.flow FROM runs r WHERE r.flow > f.flow ORDER BY r.flow LIMIT 1) FROM f WHERE f.flow IS NOT NULL
    ) SELECT flow FROM f WHERE flow IS NOT NULL`,
  getTask: `SELECT ${TASK_COLUMNS} FROM tasks WHERE ${TASK_KEY}`,
  listTasks: `SELECT ${TASK_COLUMNS} FROM tasks WHERE flow = $1 AND run_id = $2 ${TASK_ORDER}`,
  listStepTasks: `SELECT ${TASK_COLUMNS} FROM tasks WHERE flow = $1 AND run_id = $2 AND step = $3 ${TASK_ORDER}`,
  listSteps: `SELECT step, min(created_at) AS created_at, count(*)::int AS task_count,
      CASE WHEN count(finished_at) = count(*) THEN max(finished_at) END AS finished_at
    FROM tasks WHERE flow = $1 AND run_id = $2
    GROUP BY step ORDER BY min(created_at), min(coalesce(seq, 9007199254740991)), step`,
  insertCacheEntry: `INSERT INTO task_cache (flow, run_id, step, task_id, attempt, cache_key, namespace, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
  findCacheEntry: `SELECT flow, run_id, step, task_id, attempt, cache_key, namespace, created_at FROM task_cache
    WHERE flow = $1 AND cache_key = $2 AND namespace = $3 ORDER BY created_at DESC, run_id DESC LIMIT 1`,
  listAttempts: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE ${TASK_KEY} ORDER BY attempt`,
  listStepAttempts: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE flow = $1 AND run_id = $2 AND step = $3 ORDER BY task_id, attempt`,
} as const;

/** A named query: prepared once per connection. */
function q(name: keyof typeof SQL, values: unknown[]): QueryConfig {
  return { name: `cairn_${name}`, text: SQL[name], values };
}

const taskWhere = (t: TaskKey): unknown[] => [t.flow, t.runId, t.step, t.taskId];

export class PostgresMetadataStore implements MetadataStore {
  readonly kind = 'postgres';
  /** The database, with its password hidden, for messages. */
  readonly location: string;
  readonly #pool: Pool;
  readonly #writes: GroupCommit;
  #closing: Promise<void> | undefined;

  /**
   * Connects and brings the schema up to date. Rejects with `STORE` when the server cannot be
   * reached or refuses the login, and with `NOT_FOUND` (with `create: false`) when the database
   * holds no cairn schema.
   */
  static async open(url: string, opts: PostgresMetadataStoreOptions = {}): Promise<PostgresMetadataStore> {
    const location = describePostgresUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.maxConnections ?? 4,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      application_name: 'cairn',
      keepAlive: true,
      pipeline: true,
      allowExitOnIdle: true,
      types: { getTypeParser: typeParser as CustomTypesConfig['getTypeParser'] },
    });
    // An idle connection the server dropped: the pool discards it, and the next query opens another.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect().catch((e: unknown) => {
        throw new CairnError(
          'STORE',
          `Cannot connect to the Postgres metadata store ${location}: ${errorText(e)}. ${connectHint(e)}`,
          { cause: e },
        );
      });
      try {
        await migrate(client, { create: opts.create !== false, location });
      } catch (e) {
        if (e instanceof CairnError) throw e;
        throw new CairnError('STORE', `Cannot prepare the cairn schema in ${location}: ${errorText(e)}`, { cause: e });
      } finally {
        client.release();
      }
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return new PostgresMetadataStore(pool, location);
  }

  private constructor(pool: Pool, location: string) {
    this.#pool = pool;
    this.location = location;
    this.#writes = new GroupCommit(pool, location);
  }

  async createRun(run: NewRun): Promise<void> {
    const userTags = unique(run.userTags);
    const systemTags = unique(run.systemTags);
    const duplicate = `Run ${run.flow}/${run.runId} already exists: run ids must be unique within a flow.`;
    await this.#writeStatements(`create run ${run.flow}/${run.runId}`, () => ({
      statements: [q('createRun', [
        run.flow, run.runId, run.user, run.createdAt, JSON.stringify(userTags), JSON.stringify(systemTags),
        JSON.stringify(run.params ?? {}), run.codePackage ?? null, run.originRunId ?? null, userTags, systemTags,
        run.heartbeatIntervalMs || null,
      ])],
      check: ([r]) => (firstRow<{ created: number }>(r)?.created === 1 ? undefined : new CairnError('INVALID_ARGUMENT', duplicate)),
      msgs: { duplicate },
    }));
  }

  async finishRun(flow: string, runId: string, status: Exclude<RunStatus, 'running'>, finishedAt: number): Promise<void> {
    await this.#writeStatements(`finish run ${flow}/${runId}`, () => ({
      statements: [q('finishRun', [flow, runId, status, finishedAt])],
      check: ([r]) => (r?.rowCount ? undefined : runNotFound(flow, runId)),
    }));
  }

  async heartbeat(flow: string, runId: string): Promise<void> {
    await this.#writeStatements(`record the heartbeat of run ${flow}/${runId}`, () => ({
      statements: [q('heartbeat', [flow, runId])],
      check: () => undefined,
    }));
  }

  async getRun(flow: string, runId: string): Promise<RunRow | undefined> {
    const rows = await this.#read<RunDbRow>(`run ${flow}/${runId}`, q('getRun', [flow, runId]));
    return rows[0] && toRun(rows[0]);
  }

  async listRuns(query: RunQuery): Promise<RunRow[]> {
    const tags = unique(query.tags ?? []);
    const successfulOnly = query.successfulOnly === true;
    const before = query.before !== undefined;
    const values: unknown[] = [query.flow];
    if (query.before) values.push(query.before.createdAt, query.before.runId);
    values.push(...tags, query.limit === undefined ? null : Math.max(0, Math.floor(query.limit)));
    // Planned for its values each time (not prepared), so the limit and tags given shape the plan.
    const rows = await this.#read<RunDbRow>(`the runs of ${query.flow}`, { text: runQuerySql(tags.length, successfulOnly, before), values });
    return rows.map(toRun);
  }

  async countRuns(query: { flow: string; tags?: readonly string[] }): Promise<RunCounts> {
    const tags = unique(query.tags ?? []);
    const values = [query.flow, ...tags];
    const sql = runCountSql(tags.length);
    const [counts, running] = await Promise.all([
      this.#read<{ status: RunStatus; n: number }>(`the run counts of ${query.flow}`, { text: sql.counts, values }),
      this.#read<RunDbRow>(`the running runs of ${query.flow}`, { text: sql.running, values }),
    ]);
    const out: RunCounts = { succeeded: 0, failed: 0, running: running.map(toRun) };
    for (const r of counts) if (r.status !== 'running') out[r.status] = Number(r.n);
    return out;
  }

  async listFlows(): Promise<string[]> {
    return (await this.#read<{ flow: string }>('the flows', q('listFlows', []))).map((r) => r.flow);
  }

  async setUserTags(flow: string, runId: string, userTags: readonly string[]): Promise<void> {
    const tags = unique(userTags);
    await this.#writeStatements(`set the tags of run ${flow}/${runId}`, () => ({
      statements: [
        q('setUserTags', [flow, runId, JSON.stringify(tags)]),
        q('dropUserTags', [flow, runId, tags]),
        q('addUserTags', [flow, runId, tags]),
      ],
      check: ([r]) => (r?.rowCount ? undefined : runNotFound(flow, runId)),
    }));
  }

  async deleteRun(flow: string, runId: string): Promise<boolean> {
    // Tags, tasks and attempts go with it (ON DELETE CASCADE).
    let deleted = false;
    await this.#writeStatements(`delete run ${flow}/${runId}`, () => ({
      statements: [q('deleteRun', [flow, runId])],
      check: ([r]) => {
        deleted = (r?.rowCount ?? 0) > 0;
        return undefined;
      },
    }));
    return deleted;
  }

  async createTask(task: NewTask): Promise<void> {
    await this.#write(`create task ${taskPathspec(task)}`, () => createTaskWrite(task));
  }

  async startAttempt(task: TaskKey, attempt: number, startedAt: number, pid: number | null): Promise<void> {
    await this.#write(`start attempt ${attempt} of task ${taskPathspec(task)}`, () => startAttemptWrite(task, attempt, startedAt, pid));
  }

  async finishAttempt(
    task: TaskKey,
    attempt: number,
    outcome: { status: 'succeeded' | 'failed'; finishedAt: number; exception?: TaskException | null; logs?: { stdout: string | null; stderr: string | null } },
  ): Promise<void> {
    await this.#write(`finish attempt ${attempt} of task ${taskPathspec(task)}`, () => finishAttemptWrite(task, attempt, outcome));
  }

  async finishTask(task: TaskKey, status: 'succeeded' | 'failed', finishedAt: number, doneAttempt: number | null): Promise<void> {
    await this.#write(`finish task ${taskPathspec(task)}`, () => finishTaskWrite(task, status, finishedAt, doneAttempt));
  }

  async getTask(task: TaskKey): Promise<TaskRow | undefined> {
    const rows = await this.#read<TaskDbRow>(`task ${taskPathspec(task)}`, q('getTask', taskWhere(task)));
    return rows[0] && toTask(rows[0]);
  }

  async listTasks(flow: string, runId: string, step?: string): Promise<TaskRow[]> {
    const query = step === undefined ? q('listTasks', [flow, runId]) : q('listStepTasks', [flow, runId, step]);
    return (await this.#read<TaskDbRow>(`the tasks of run ${flow}/${runId}`, query)).map(toTask);
  }

  async listSteps(flow: string, runId: string): Promise<StepRow[]> {
    const rows = await this.#read<StepDbRow>(`the steps of run ${flow}/${runId}`, q('listSteps', [flow, runId]));
    return rows.map((r) => ({ flow, runId, step: r.step, createdAt: r.created_at, finishedAt: r.finished_at, taskCount: r.task_count }));
  }

  async listAttempts(task: TaskKey): Promise<AttemptRow[]> {
    const rows = await this.#read<AttemptDbRow>(`the attempts of task ${taskPathspec(task)}`, q('listAttempts', taskWhere(task)));
    return rows.map(toAttempt);
  }

  async listStepAttempts(flow: string, runId: string, step: string): Promise<AttemptRow[]> {
    const rows = await this.#read<AttemptDbRow>(`the attempts of step ${flow}/${runId}/${step}`, q('listStepAttempts', [flow, runId, step]));
    return rows.map(toAttempt);
  }

  async recordCacheEntry(e: CacheEntry): Promise<void> {
    await this.#writeStatements(`file task ${taskPathspec(e)} in the step cache`, () => ({
      statements: [q('insertCacheEntry', [e.flow, e.runId, e.step, e.taskId, e.attempt, e.key, e.namespace, e.createdAt])],
      check: () => undefined,
      msgs: { missing: `Cannot file task ${taskPathspec(e)} in the step cache: it does not exist.` },
    }));
  }

  async findCacheEntry(flow: string, key: string, namespace: string): Promise<CacheEntry | undefined> {
    const rows = await this.#read<CacheDbRow>(`the step cache of ${flow}`, q('findCacheEntry', [flow, key, namespace]));
    const r = rows[0];
    return r && { flow: r.flow, runId: r.run_id, step: r.step, taskId: r.task_id, attempt: r.attempt, key: r.cache_key, namespace: r.namespace, createdAt: r.created_at };
  }

  /** Commits the writes still queued, then closes the connections. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#writes.close();
      await this.#pool.end();
    })();
    return this.#closing;
  }

  /** Queues a write; `build` makes it (a value that cannot be stored rejects this write alone). */
  #writeStatements(what: string, build: () => Omit<StatementWrite, 'what'>): Promise<void> {
    return this.#write(what, () => ({ what, ...build() }));
  }

  #write(what: string, build: () => WriteOp): Promise<void> {
    let op: WriteOp;
    try {
      op = build();
    } catch (e) {
      return Promise.reject(explainWriteError(what, e, {}, this.location));
    }
    return this.#writes.write(op);
  }

  async #read<R extends QueryResultRow>(what: string, query: QueryConfig): Promise<R[]> {
    try {
      return (await this.#pool.query<R>(query)).rows;
    } catch (e) {
      throw new CairnError('STORE', `Cannot read ${what} from the Postgres metadata store ${this.location}: ${errorText(e)}`, { cause: e });
    }
  }
}

/** The SQL of one shape of `listRuns` query (exported for the query-plan test). */
/** The WHERE of a runs query, and the number of the next placeholder. */
function runWhereSql(tagCount: number, successfulOnly: boolean, before: boolean): { where: string; next: number } {
  let n = 1;
  const where = [`r.flow = $${n++}`];
  if (successfulOnly) where.push(`r.status = 'succeeded'`);
  if (before) where.push(`(r.created_at, r.run_id) < ($${n++}::bigint, $${n++}::text)`);
  for (let i = 0; i < tagCount; i++) {
    where.push(`EXISTS (SELECT 1 FROM run_tags t WHERE t.flow = r.flow AND t.run_id = r.run_id AND t.tag = $${n++})`);
  }
  return { where: where.join(' AND '), next: n };
}

export function runQuerySql(tagCount: number, successfulOnly: boolean, before: boolean): string {
  const { where, next } = runWhereSql(tagCount, successfulOnly, before);
  return `SELECT ${RUN_COLUMNS} FROM runs r WHERE ${where} ORDER BY r.created_at DESC, r.run_id DESC LIMIT $${next}`;
}

/** Counts by status (answered from the runs_newest_by_status index), and the running runs' rows. */
function runCountSql(tagCount: number): { counts: string; running: string } {
  const { where } = runWhereSql(tagCount, false, false);
  return {
    counts: `SELECT r.status AS status, COUNT(*)::int AS n FROM runs r WHERE ${where} GROUP BY r.status`,
    running: `SELECT ${RUN_COLUMNS} FROM runs r WHERE ${where} AND r.status = 'running' ORDER BY r.created_at DESC, r.run_id DESC`,
  };
}

/**
 * The URL for messages, with the password (in the URL or its query) hidden. Rejects a string that
 * is not a postgres:// URL without repeating it, since it may hold a password.
 */
export function describePostgresUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CairnError('STORE', 'The Postgres metadata URL (CAIRN_METADATA_URL) is not a valid URL; expected postgres://user:password@host:port/database.');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new CairnError('STORE', `The Postgres metadata URL (CAIRN_METADATA_URL) must start with postgres://, not ${u.protocol}//.`);
  }
  if (u.password) u.password = '***';
  for (const key of [...u.searchParams.keys()]) if (/pass/i.test(key)) u.searchParams.set(key, '***');
  return u.toString();
}

/** What to do about a failed connection. */
function connectHint(e: unknown): string {
  const state = sqlState(e);
  if (state === '28P01' || state === '28000') return 'Check the user and password (CAIRN_METADATA_URL, or PGPASSWORD).';
  if (state === '3D000') return 'Create the database first: cairn creates its tables, not the database.';
  if (/password must be a string/.test(errorText(e))) {
    return 'The server asks for a password and none was given: set PGPASSWORD, or put it in CAIRN_METADATA_URL.';
  }
  return 'Check CAIRN_METADATA_URL and that the server is running.';
}

/** bigint columns (epoch ms, task ids as numbers) come back as numbers; they stay below 2^53. */
function typeParser(oid: number, format?: 'text' | 'binary'): unknown {
  if (oid === pg.types.builtins.INT8) return (text: string) => Number(text);
  return pg.types.getTypeParser(oid, format ?? 'text');
}

function firstRow<R>(r: QueryResult | undefined): R | undefined {
  return r?.rows[0] as R | undefined;
}

function toRun(r: RunDbRow): RunRow {
  return {
    flow: r.flow, runId: r.run_id, user: r.user_name, createdAt: r.created_at, finishedAt: r.finished_at, status: r.status,
    userTags: r.user_tags, systemTags: r.system_tags, params: r.params, codePackage: r.code_package, originRunId: r.origin_run_id,
    // Written in the server's clock; shown in this process's, so that its age is right whatever the clocks say.
    heartbeatAt: r.heartbeat_at === null ? null : Date.now() - (r.db_now - r.heartbeat_at),
    heartbeatIntervalMs: r.heartbeat_interval_ms,
  };
}

function toTask(r: TaskDbRow): TaskRow {
  return {
    flow: r.flow, runId: r.run_id, step: r.step, taskId: r.task_id, createdAt: r.created_at, finishedAt: r.finished_at,
    status: r.status, attempt: r.attempt, doneAttempt: r.done_attempt, foreachStack: r.foreach_stack, parents: r.parents,
    originPathspec: r.origin_pathspec,
  };
}

function toAttempt(r: AttemptDbRow): AttemptRow {
  return {
    flow: r.flow, runId: r.run_id, step: r.step, taskId: r.task_id, attempt: r.attempt, startedAt: r.started_at,
    finishedAt: r.finished_at, status: r.status, exception: r.exception, logs: { stdout: r.stdout_log, stderr: r.stderr_log }, pid: r.pid,
  };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function runNotFound(flow: string, runId: string): CairnError {
  return new CairnError('NOT_FOUND', `Run ${flow}/${runId} does not exist.`);
}
