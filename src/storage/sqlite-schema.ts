/**
 * The schema of `metadata.db`, as a list of migrations: entry i takes the database from version i
 * to version i + 1 (`PRAGMA user_version`). Add a migration to change the schema; never edit one
 * that has shipped.
 */
import type Database from 'better-sqlite3';
import { CairnError } from '../errors.js';

type Db = Database.Database;

export const MIGRATIONS: readonly string[] = [
  // 0 → 1: runs, their tags, tasks and attempts.
  `
  CREATE TABLE runs (
    flow          TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    user          TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    finished_at   INTEGER,
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    user_tags     TEXT NOT NULL,   -- JSON array, in the order given
    system_tags   TEXT NOT NULL,   -- JSON array, in the order given
    params        TEXT NOT NULL,   -- JSON object
    code_package  TEXT,
    origin_run_id TEXT,
    PRIMARY KEY (flow, run_id)
  );
  CREATE INDEX runs_newest ON runs (flow, created_at DESC, run_id DESC);
  CREATE INDEX runs_newest_by_status ON runs (flow, status, created_at DESC, run_id DESC);

  -- One row per tag of a run, for filtering (the tags to display are the JSON columns above).
  CREATE TABLE run_tags (
    flow   TEXT NOT NULL,
    run_id TEXT NOT NULL,
    tag    TEXT NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('user', 'system')),
    PRIMARY KEY (flow, run_id, tag, kind),
    FOREIGN KEY (flow, run_id) REFERENCES runs (flow, run_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX run_tags_by_tag ON run_tags (flow, tag, run_id);

  CREATE TABLE tasks (
    flow            TEXT NOT NULL,
    run_id          TEXT NOT NULL,
    step            TEXT NOT NULL,
    task_id         TEXT NOT NULL,
    seq             INTEGER,          -- the task id as a number (null when it is not one), for ordering
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
    attempt         INTEGER NOT NULL,
    done_attempt    INTEGER,
    foreach_stack   TEXT NOT NULL,    -- JSON array of ForeachFrame
    parents         TEXT NOT NULL,    -- JSON array of "step/taskId"
    origin_pathspec TEXT,
    PRIMARY KEY (flow, run_id, step, task_id),
    FOREIGN KEY (flow, run_id) REFERENCES runs (flow, run_id) ON DELETE CASCADE
  );
  CREATE INDEX tasks_in_order ON tasks (flow, run_id, seq);

  CREATE TABLE attempts (
    flow        TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    step        TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    exception   TEXT,                 -- JSON TaskException
    stdout_log  TEXT,
    stderr_log  TEXT,
    pid         INTEGER,
    PRIMARY KEY (flow, run_id, step, task_id, attempt),
    FOREIGN KEY (flow, run_id, step, task_id) REFERENCES tasks (flow, run_id, step, task_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  `,
  // 1 → 2: the orchestrator's heartbeat, so that readers can tell a run whose orchestrator died.
  `
  ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;            -- epoch ms of the last heartbeat
  ALTER TABLE runs ADD COLUMN heartbeat_interval_ms INTEGER;   -- how often the orchestrator beats
  `,
  // 2 → 3: the step cache: successful tasks by cache key.
  `
  CREATE TABLE task_cache (
    flow       TEXT NOT NULL,
    run_id     TEXT NOT NULL,
    step       TEXT NOT NULL,
    task_id    TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    cache_key  TEXT NOT NULL,
    namespace  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (flow, run_id, step, task_id),
    FOREIGN KEY (flow, run_id, step, task_id) REFERENCES tasks (flow, run_id, step, task_id) ON DELETE CASCADE
  ) WITHOUT ROWID;
  CREATE INDEX task_cache_by_key ON task_cache (flow, cache_key, namespace, created_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

function userVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * @internal (its type is better-sqlite3's, which the package's declarations do not depend on)
 *
 * Brings the schema up to date. Safe when several processes open a new database at once: the
 * version is read again inside an immediate (write-locked) transaction before anything runs.
 */
export function migrate(db: Db, path: string): void {
  const check = (v: number): void => {
    if (v > SCHEMA_VERSION) {
      throw new CairnError(
        'STORE',
        `${path} has schema version ${v}, newer than this version of cairn understands (${SCHEMA_VERSION}): upgrade cairn to read it.`,
      );
    }
  };
  const before = userVersion(db);
  check(before);
  if (before === SCHEMA_VERSION) return;
  db.transaction(() => {
    const v = userVersion(db);
    check(v);
    for (let i = v; i < SCHEMA_VERSION; i++) db.exec(MIGRATIONS[i] as string);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
