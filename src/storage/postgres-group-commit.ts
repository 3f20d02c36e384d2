/**
 * Group commit for the Postgres metadata store. The writes made in one turn of the event loop go to
 * the server in one transaction, pipelined on one connection (BEGIN, every statement, COMMIT, sent
 * without waiting for each answer). Consecutive row writes of one kind (the task writes) share one
 * statement over arrays, so a burst of thousands of task writes costs a few statements and about
 * one round trip. Each write's promise settles with its own result.
 *
 * A write's statements are written so that the expected refusals (a duplicate id, a missing parent)
 * change nothing and raise nothing: the write reads its own result rows to tell. Anything else that
 * fails aborts the batch's transaction; the batch is then replayed one write per transaction, so
 * that only the write at fault fails. A deadlock or serialization failure replays the batch as is.
 */
import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { CairnError } from '../errors.js';

export interface WriteMessages {
  /** What a unique violation means for this write (INVALID_ARGUMENT). */
  duplicate?: string;
  /** What a foreign-key violation means for this write (NOT_FOUND). */
  missing?: string;
}

/** A write of its own statements (the run writes). */
export interface StatementWrite {
  /** What the write does, for messages: `create run F/123`. */
  what: string;
  msgs?: WriteMessages;
  /** Run in order, inside the batch's transaction. */
  statements: QueryConfig[];
  /** Reads the statements' results: the error to report when the write was refused, else undefined. */
  check(results: QueryResult[]): CairnError | undefined;
}

/**
 * A statement that applies many row writes of one kind at once: `sql` takes one array parameter per
 * column (row i of the writes is element i of each) and returns, for each row in order, whether its
 * parent was `found` and whether the write was `done`.
 */
export interface RowStatement {
  sql: string;
}

/** A one-row write (the task writes): the writes of one kind that follow one another share a statement. */
export interface RowWrite {
  what: string;
  msgs?: WriteMessages;
  statement: RowStatement;
  /** Two writes with the same key never share a statement, so each sees the other's effect in order. */
  key: string;
  row: unknown[];
  check(result: RowResult): CairnError | undefined;
}

export interface RowResult {
  found: boolean;
  done: boolean;
}

export type WriteOp = StatementWrite | RowWrite;

interface Queued {
  op: WriteOp;
  resolve(): void;
  reject(error: CairnError): void;
}

/** What a write's queries answered: its statements' results, or its row's. */
type Answer = QueryResult[] | RowResult;

type Outcome =
  | { kind: 'committed'; answers: Answer[] }
  | { kind: 'failed'; error: unknown; retry: boolean; connection: boolean };

/** At most this many writes share one transaction; the rest go in the next. */
const MAX_BATCH = 2000;
const MAX_RETRIES = 3;

export class GroupCommit {
  readonly #pool: Pool;
  readonly #location: string;
  #pending: Queued[] = [];
  #scheduled = false;
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(pool: Pool, location: string) {
    this.#pool = pool;
    this.#location = location;
  }

  /** Queues a write for the next group commit. */
  write(op: WriteOp): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new CairnError('STORE', `Cannot ${op.what}: the Postgres metadata store was closed.`));
    }
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ op, resolve, reject });
      this.#schedule();
    });
  }

  /** Commits what is queued, then refuses new writes. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running || this.#pending.length > 0) {
      if (!this.#running) this.#running = this.#flush();
      await this.#running;
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#running) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#running) this.#running = this.#flush();
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending.splice(0, MAX_BATCH);
    try {
      if (batch.length > 0) await this.#commit(batch);
    } finally {
      this.#running = undefined;
      // Writes queued meanwhile wait for the next turn, so that the writes it makes join them.
      if (this.#pending.length > 0 && !this.#closed) this.#schedule();
    }
  }

  async #commit(batch: Queued[]): Promise<void> {
    let client: PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      for (const q of batch) q.reject(this.#explain(q.op, e));
      return;
    }
    let broken: Error | undefined;
    try {
      const outcome = await transactionWithRetries(client, batch.map((q) => q.op));
      if (outcome.kind === 'committed') {
        batch.forEach((q, i) => settle(q, check(q.op, outcome.answers[i])));
        return;
      }
      if (outcome.connection || outcome.retry) {
        if (outcome.connection) broken = asError(outcome.error);
        for (const q of batch) q.reject(this.#explain(q.op, outcome.error));
        return;
      }
      // One write failed in a way it could not foresee: replay them one transaction each.
      for (const [i, q] of batch.entries()) {
        const one = await transactionWithRetries(client, [q.op]);
        if (one.kind === 'committed') {
          settle(q, check(q.op, one.answers[0]));
        } else {
          q.reject(this.#explain(q.op, one.error));
          if (one.connection) {
            broken = asError(one.error);
            for (const rest of batch.slice(i + 1)) rest.reject(this.#explain(rest.op, one.error));
            return;
          }
        }
      }
    } finally {
      client.release(broken);
    }
  }

  #explain(op: WriteOp, e: unknown): CairnError {
    return explainWriteError(op.what, e, op.msgs ?? {}, this.#location);
  }
}

function settle(q: Queued, refused: CairnError | undefined): void {
  if (refused) q.reject(refused);
  else q.resolve();
}

function check(op: WriteOp, answer: Answer | undefined): CairnError | undefined {
  if ('statements' in op) return op.check(Array.isArray(answer) ? answer : []);
  return op.check(answer && !Array.isArray(answer) ? answer : { found: false, done: false });
}

interface Part {
  /** Indexes of the writes whose queries these are. */
  ops: number[];
  queries: QueryConfig[];
  rows: boolean;
}

/** The queries of a batch, in order: a run of row writes of one kind, with distinct keys, is one query. */
function partsOf(ops: readonly WriteOp[]): Part[] {
  const parts: Part[] = [];
  let group: { statement: RowStatement; ops: number[]; keys: Set<string> } | undefined;
  const closeGroup = (): void => {
    if (!group) return;
    const rows = group.ops.map((i) => (ops[i] as RowWrite).row);
    const columns = (rows[0] ?? []).map((_, c) => rows.map((r) => r[c]));
    // Not a named (prepared) statement: each is planned for its own number of rows.
    parts.push({ ops: group.ops, queries: [{ text: group.statement.sql, values: columns }], rows: true });
    group = undefined;
  };
  ops.forEach((op, i) => {
    if ('statements' in op) {
      closeGroup();
      parts.push({ ops: [i], queries: op.statements, rows: false });
      return;
    }
    if (group && (group.statement !== op.statement || group.keys.has(op.key))) closeGroup();
    group ??= { statement: op.statement, ops: [], keys: new Set() };
    group.ops.push(i);
    group.keys.add(op.key);
  });
  closeGroup();
  return parts;
}

/** A transaction, tried again after a deadlock or a serialization failure. */
async function transactionWithRetries(client: PoolClient, ops: readonly WriteOp[]): Promise<Outcome> {
  let outcome = await transaction(client, ops);
  for (let tries = 1; outcome.kind === 'failed' && outcome.retry && tries < MAX_RETRIES; tries++) {
    outcome = await transaction(client, ops);
  }
  return outcome;
}

/** BEGIN, the writes' queries and COMMIT, pipelined; what became of them. */
async function transaction(client: PoolClient, ops: readonly WriteOp[]): Promise<Outcome> {
  const parts = partsOf(ops);
  const begin = client.query('BEGIN');
  const sent = parts.map((p) => p.queries.map((query) => client.query(query)));
  const commit = client.query('COMMIT');
  const settled = await Promise.allSettled([begin, ...sent.flat(), commit]);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  // After the first error, Postgres refuses the rest of the transaction (25P02): report the first.
  const error = failures.find((e) => sqlState(e) !== '25P02') ?? failures[0];
  if (error !== undefined) {
    const state = sqlState(error);
    return {
      kind: 'failed',
      error,
      retry: state === '40001' || state === '40P01',
      connection: state === undefined || state.startsWith('08') || state.startsWith('57'),
    };
  }
  const done = await commit;
  if (done.command !== 'COMMIT') {
    return { kind: 'failed', error: new Error(`the transaction ended with ${done.command}`), retry: false, connection: false };
  }
  const answers: Answer[] = [];
  for (const [k, part] of parts.entries()) {
    const results = await Promise.all(sent[k]!);
    if (!part.rows) {
      answers[part.ops[0]!] = results;
      continue;
    }
    const rows = results[0]?.rows as RowResult[] | undefined;
    part.ops.forEach((i, j) => {
      answers[i] = rows?.[j] ?? { found: false, done: false };
    });
  }
  return { kind: 'committed', answers };
}

/** Turns what a failed write threw into a CairnError that says what happened. */
export function explainWriteError(what: string, e: unknown, msgs: WriteMessages, location: string): CairnError {
  if (e instanceof CairnError) return e;
  const state = sqlState(e);
  if (state === '23505' && msgs.duplicate) return new CairnError('INVALID_ARGUMENT', msgs.duplicate, { cause: e });
  if (state === '23503' && msgs.missing) return new CairnError('NOT_FOUND', msgs.missing, { cause: e });
  // Integrity (23) and data (22) errors: the values given do not fit.
  if (state?.startsWith('23') || state?.startsWith('22')) {
    return new CairnError('INVALID_ARGUMENT', `Cannot ${what}: ${errorText(e)}`, { cause: e });
  }
  return new CairnError('STORE', `Cannot ${what} in the Postgres metadata store ${location}: ${errorText(e)}`, { cause: e });
}

/** The SQLSTATE of a server error, undefined for anything else (a lost connection, ...). */
export function sqlState(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('severity' in e)) return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The text of an error; for an AggregateError (every address refused), the text of each. */
export function errorText(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(errorText).join('; ');
  if (e instanceof Error) return e.message || (e as { code?: string }).code || e.name;
  return String(e);
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
