/**
 * The task writes of the Postgres metadata store, which an orchestrator makes in bursts (four per
 * task). Each is one row of a set statement: the group commit sends the writes of one kind that
 * follow one another as one statement over arrays (`unnest ... WITH ORDINALITY`), which answers for
 * each row whether its parent was found and whether the write was done. A refused row (a duplicate,
 * a missing parent) changes nothing and raises nothing.
 */
import { CairnError } from '../errors.js';
import { taskPathspec, type TaskException, type TaskKey } from '../core/types.js';
import type { RowStatement, RowWrite } from './postgres-group-commit.js';
import type { NewTask } from './types.js';

const KEY_COLUMNS = '$1::text[], $2::text[], $3::text[], $4::text[]';
const SAME_TASK = (a: string, b: string): string =>
  `${a}.flow = ${b}.flow AND ${a}.run_id = ${b}.run_id AND ${a}.step = ${b}.step AND ${a}.task_id = ${b}.task_id`;

const CREATE_TASKS: RowStatement = {
  sql: `WITH input AS (
      SELECT * FROM unnest(${KEY_COLUMNS}, $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[])
        WITH ORDINALITY AS i (flow, run_id, step, task_id, seq, created_at, foreach_stack, parents, origin_pathspec, n)
    ), checked AS (
      SELECT i.*, EXISTS (SELECT 1 FROM runs r WHERE r.flow = i.flow AND r.run_id = i.run_id) AS found FROM input i
    ), ins AS (
      INSERT INTO tasks (flow, run_id, step, task_id, seq, created_at, status, attempt, foreach_stack, parents, origin_pathspec)
      SELECT flow, run_id, step, task_id, seq, created_at, 'pending', 0, foreach_stack::json, parents::jsonb, origin_pathspec
      FROM checked WHERE found ORDER BY n
      ON CONFLICT DO NOTHING
      RETURNING flow, run_id, step, task_id
    )
    SELECT c.found, ins.task_id IS NOT NULL AS done
    FROM checked c LEFT JOIN ins ON ${SAME_TASK('ins', 'c')} ORDER BY c.n`,
};

const START_ATTEMPTS: RowStatement = {
  sql: `WITH input AS (
      SELECT * FROM unnest(${KEY_COLUMNS}, $5::int[], $6::bigint[], $7::int[])
        WITH ORDINALITY AS i (flow, run_id, step, task_id, attempt, started_at, pid, n)
    ), checked AS (
      SELECT i.*, EXISTS (SELECT 1 FROM tasks t WHERE ${SAME_TASK('t', 'i')}) AS found FROM input i
    ), ins AS (
      INSERT INTO attempts (flow, run_id, step, task_id, attempt, started_at, status, pid)
      SELECT flow, run_id, step, task_id, attempt, started_at, 'running', pid FROM checked WHERE found ORDER BY n
      ON CONFLICT DO NOTHING
      RETURNING flow, run_id, step, task_id, attempt
    ), started AS (
      UPDATE tasks t SET status = 'running', attempt = greatest(t.attempt, ins.attempt)
      FROM ins WHERE ${SAME_TASK('t', 'ins')}
    )
    SELECT c.found, ins.task_id IS NOT NULL AS done
    FROM checked c LEFT JOIN ins ON ${SAME_TASK('ins', 'c')} AND ins.attempt = c.attempt ORDER BY c.n`,
};

const FINISH_ATTEMPTS: RowStatement = {
  sql: `WITH input AS (
      SELECT * FROM unnest(${KEY_COLUMNS}, $5::int[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[])
        WITH ORDINALITY AS i (flow, run_id, step, task_id, attempt, status, finished_at, exception, stdout_log, stderr_log, n)
    ), upd AS (
      UPDATE attempts a SET status = i.status, finished_at = i.finished_at, exception = i.exception::json,
        stdout_log = coalesce(i.stdout_log, a.stdout_log), stderr_log = coalesce(i.stderr_log, a.stderr_log)
      FROM input i WHERE ${SAME_TASK('a', 'i')} AND a.attempt = i.attempt
      RETURNING i.n
    )
    SELECT u.n IS NOT NULL AS found, u.n IS NOT NULL AS done FROM input i LEFT JOIN upd u ON u.n = i.n ORDER BY i.n`,
};

const FINISH_TASKS: RowStatement = {
  sql: `WITH input AS (
      SELECT * FROM unnest(${KEY_COLUMNS}, $5::text[], $6::bigint[], $7::int[])
        WITH ORDINALITY AS i (flow, run_id, step, task_id, status, finished_at, done_attempt, n)
    ), upd AS (
      UPDATE tasks t SET status = i.status, finished_at = i.finished_at, done_attempt = i.done_attempt
      FROM input i WHERE ${SAME_TASK('t', 'i')}
      RETURNING i.n
    )
    SELECT u.n IS NOT NULL AS found, u.n IS NOT NULL AS done FROM input i LEFT JOIN upd u ON u.n = i.n ORDER BY i.n`,
};

const keyOf = (t: TaskKey): string => JSON.stringify([t.flow, t.runId, t.step, t.taskId]);
const keyRow = (t: TaskKey): unknown[] => [t.flow, t.runId, t.step, t.taskId];

export function createTaskWrite(task: NewTask): RowWrite {
  const path = taskPathspec(task);
  const msgs = {
    duplicate: `Task ${path} already exists.`,
    missing: `Cannot create task ${path}: run ${task.flow}/${task.runId} does not exist.`,
  };
  return {
    what: `create task ${path}`,
    msgs,
    statement: CREATE_TASKS,
    key: keyOf(task),
    row: [
      ...keyRow(task), taskSeq(task.taskId), task.createdAt, JSON.stringify(task.foreachStack ?? []),
      JSON.stringify(task.parents ?? []), task.originPathspec ?? null,
    ],
    check: (r) => {
      if (!r.found) return new CairnError('NOT_FOUND', msgs.missing);
      return r.done ? undefined : new CairnError('INVALID_ARGUMENT', msgs.duplicate);
    },
  };
}

export function startAttemptWrite(task: TaskKey, attempt: number, startedAt: number, pid: number | null): RowWrite {
  const path = taskPathspec(task);
  const msgs = {
    duplicate: `Attempt ${attempt} of task ${path} was already started.`,
    missing: `Cannot start attempt ${attempt}: task ${path} does not exist.`,
  };
  return {
    what: `start attempt ${attempt} of task ${path}`,
    msgs,
    statement: START_ATTEMPTS,
    key: keyOf(task),
    row: [...keyRow(task), attempt, startedAt, pid],
    check: (r) => {
      if (!r.found) return new CairnError('NOT_FOUND', msgs.missing);
      return r.done ? undefined : new CairnError('INVALID_ARGUMENT', msgs.duplicate);
    },
  };
}

export function finishAttemptWrite(
  task: TaskKey,
  attempt: number,
  outcome: { status: 'succeeded' | 'failed'; finishedAt: number; exception?: TaskException | null; logs?: { stdout: string | null; stderr: string | null } },
): RowWrite {
  const path = taskPathspec(task);
  return {
    what: `finish attempt ${attempt} of task ${path}`,
    statement: FINISH_ATTEMPTS,
    key: keyOf(task),
    row: [
      ...keyRow(task), attempt, outcome.status, outcome.finishedAt, outcome.exception ? JSON.stringify(outcome.exception) : null,
      outcome.logs?.stdout ?? null, outcome.logs?.stderr ?? null,
    ],
    check: (r) => (r.done ? undefined : new CairnError('NOT_FOUND', `Attempt ${attempt} of task ${path} was never started.`)),
  };
}

export function finishTaskWrite(task: TaskKey, status: 'succeeded' | 'failed', finishedAt: number, doneAttempt: number | null): RowWrite {
  const path = taskPathspec(task);
  return {
    what: `finish task ${path}`,
    statement: FINISH_TASKS,
    key: keyOf(task),
    row: [...keyRow(task), status, finishedAt, doneAttempt],
    check: (r) => (r.done ? undefined : new CairnError('NOT_FOUND', `Task ${path} does not exist.`)),
  };
}

/** Task ids are numeric strings: order by their value (`10` after `9`). */
function taskSeq(taskId: string): number | null {
  return /^\d{1,15}$/.test(taskId) ? Number(taskId) : null;
}
