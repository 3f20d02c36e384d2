/**
 * The schema of the Postgres metadata store, as a list of migrations: entry i takes the database
 * from version i to version i + 1. The table `cairn_schema` holds one row per applied version. Add a
 * migration to change the schema; never edit one that has shipped.
 *
 * Text keys use the "C" collation, so run ids, steps and flows sort byte by byte, as in SQLite.
 * Times are epoch milliseconds (`bigint`). Tag arrays are `jsonb`; objects are `json`, which keeps
 * their key order for display.
 */
import type { PoolClient } from 'pg';
import { CairnError } from '../errors.js';

export const MIGRATIONS: readonly string[] = [
  // 0 → 1: runs, their tags, tasks and attempts.
  `
  CREATE TABLE runs (
    flow          text COLLATE "C" NOT NULL,
    run_id        text COLLATE "C" NOT NULL,
    user_name     text NOT NULL,
    created_at    bigint NOT NULL,
    finished_at   bigint,
    status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    user_tags     jsonb NOT NULL,   -- array, in the order given
    system_tags   jsonb NOT NULL,   -- array, in the order given
    params        json NOT NULL,    -- object, as given
    code_package  text,
    origin_run_id text,
    PRIMARY KEY (flow, run_id)
  );
  -- Scanned backwards for "newest first"; the (created_at, run_id) cursor is an index condition.
  CREATE INDEX runs_newest ON runs (flow, created_at, run_id);
  CREATE INDEX runs_newest_by_status ON runs (flow, status, created_at, run_id);

  -- One row per tag of a run, for filtering (the tags to display are the jsonb columns above).
  CREATE TABLE run_tags (
    flow   text COLLATE "C" NOT NULL,
    run_id text COLLATE "C" NOT NULL,
    tag    text COLLATE "C" NOT NULL,
    kind   text NOT NULL CHECK (kind IN ('user', 'system')),
    PRIMARY KEY (flow, run_id, tag, kind),
    FOREIGN KEY (flow, run_id) REFERENCES runs (flow, run_id) ON DELETE CASCADE
  );
  CREATE INDEX run_tags_by_tag ON run_tags (flow, tag, run_id);

  CREATE TABLE tasks (
    flow            text COLLATE "C" NOT NULL,
    run_id          text COLLATE "C" NOT NULL,
    step            text COLLATE "C" NOT NULL,
    task_id         text COLLATE "C" NOT NULL,
    seq             bigint,           -- the task id as a number (null when it is not one), for ordering
    ord             bigint GENERATED ALWAYS AS IDENTITY,  -- insertion order, to break ties
    created_at      bigint NOT NULL,
    finished_at     bigint,
    status          text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
    attempt         integer NOT NULL,
    done_attempt    integer,
    foreach_stack   json NOT NULL,    -- array of ForeachFrame
    parents         jsonb NOT NULL,   -- array of "step/taskId"
    origin_pathspec text,
    PRIMARY KEY (flow, run_id, step, task_id),
    FOREIGN KEY (flow, run_id) REFERENCES runs (flow, run_id) ON DELETE CASCADE
  );
  -- Tasks in id order. Without flow, so that a lookup by the full key (getTask, the foreign-key
  -- checks of attempts) never takes this index for the primary key while the table has no statistics.
  CREATE INDEX tasks_in_order ON tasks (run_id, seq, ord);

  CREATE TABLE attempts (
    flow        text COLLATE "C" NOT NULL,
    run_id      text COLLATE "C" NOT NULL,
    step        text COLLATE "C" NOT NULL,
    task_id     text COLLATE "C" NOT NULL,
    attempt     integer NOT NULL,
    started_at  bigint NOT NULL,
    finished_at bigint,
    status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    exception   json,                 -- TaskException
    stdout_log  text,
    stderr_log  text,
    pid         integer,
    PRIMARY KEY (flow, run_id, step, task_id, attempt),
    FOREIGN KEY (flow, run_id, step, task_id) REFERENCES tasks (flow, run_id, step, task_id) ON DELETE CASCADE
  );
  `,
  // 1 → 2: the orchestrator's heartbeat (in the server's clock), so that readers can tell a run whose
  // orchestrator died.
  `
  ALTER TABLE runs ADD COLUMN heartbeat_at bigint;            -- epoch ms of the last heartbeat, server clock
  ALTER TABLE runs ADD COLUMN heartbeat_interval_ms integer;  -- how often the orchestrator beats
  `,
  // 2 → 3: the step cache: successful tasks by cache key.
  `
  CREATE TABLE task_cache (
    flow       text COLLATE "C" NOT NULL,
    run_id     text COLLATE "C" NOT NULL,
    step       text COLLATE "C" NOT NULL,
    task_id    text COLLATE "C" NOT NULL,
    attempt    integer NOT NULL,
    cache_key  text COLLATE "C" NOT NULL,
    namespace  text COLLATE "C" NOT NULL,
    created_at bigint NOT NULL,
    PRIMARY KEY (flow, run_id, step, task_id),
    FOREIGN KEY (flow, run_id, step, task_id) REFERENCES tasks (flow, run_id, step, task_id) ON DELETE CASCADE
  );
  CREATE INDEX task_cache_by_key ON task_cache (flow, cache_key, namespace, created_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Arbitrary first key of the advisory lock that serializes migrations (the second is the schema). */
const LOCK_CLASS = 0x636e; // "cn"

export interface MigrateOptions {
  /** Create the schema in a database that has none (otherwise: NOT_FOUND). */
  create: boolean;
  /** The database, for messages (with its password hidden). */
  location: string;
  /** The migrations to apply (tests pass a longer list to play a newer cairn). */
  migrations?: readonly string[];
}

/**
 * The schema version of the database (in the connection's current schema): undefined when it has no
 * `cairn_schema` table. The catalog is read with a query rather than `to_regclass`, whose cache can
 * miss a table another session created while this one waited for the lock.
 */
export async function schemaVersion(client: PoolClient): Promise<number | undefined> {
  const present = await client.query<{ present: boolean }>(`SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relname = 'cairn_schema' AND n.nspname = current_schema()) AS present`);
  if (present.rows[0]?.present !== true) return undefined;
  const r = await client.query<{ v: number }>('SELECT coalesce(max(version), 0)::int AS v FROM cairn_schema');
  return r.rows[0]?.v ?? 0;
}

/**
 * Brings the schema up to date. Safe when many processes open a new database at once: the version
 * is read again inside a transaction that holds an advisory lock for this schema, so one of them
 * migrates and the others find the work done.
 */
export async function migrate(client: PoolClient, opts: MigrateOptions): Promise<void> {
  const migrations = opts.migrations ?? MIGRATIONS;
  const target = migrations.length;
  const check = (v: number | undefined): void => {
    if (v === undefined && !opts.create) {
      throw new CairnError(
        'NOT_FOUND',
        `No cairn data was found in the Postgres database ${opts.location}: it has no cairn tables. ` +
          'Run a flow with CAIRN_METADATA=postgres to create them, or check CAIRN_METADATA_URL.',
      );
    }
    if (v !== undefined && v > target) {
      throw new CairnError(
        'STORE',
        `The Postgres database ${opts.location} has cairn schema version ${v}, newer than this version of cairn ` +
          `understands (${target}): upgrade cairn to use it.`,
      );
    }
  };
  const before = await schemaVersion(client);
  check(before);
  if (before === target) return;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))', [LOCK_CLASS]);
    const v = await schemaVersion(client);
    check(v);
    if (v === undefined) {
      await client.query(`CREATE TABLE cairn_schema (
        version    integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
    }
    for (let i = v ?? 0; i < target; i++) {
      await client.query(migrations[i] as string);
      await client.query('INSERT INTO cairn_schema (version) VALUES ($1)', [i + 1]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
