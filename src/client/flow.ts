/** `Flow`: a flow's runs as the current namespace sees them. */
import type { FlowSpec } from '../authoring/flow-spec.js';
import { CairnError } from '../errors.js';
import type { RunQuery, RunRow } from '../storage/types.js';
import { clientContext, storeCall, type ClientContext } from './context.js';
import type { FlowClassOf } from './data.js';
import { checkFlowVisible, loadRun } from './lookup.js';
import { getNamespace } from './namespace.js';
import { parsePathspec } from './pathspec.js';
import { Run } from './run.js';
import { validateTags } from '../core/tags.js';

export interface RunsOptions {
  /** Only runs that carry every one of these tags (user or system tags). */
  tags?: readonly string[];
  /** How many runs are read from the store at a time (default 100). */
  pageSize?: number;
  /**
   * Only runs older than this one (by creation time, then id): pass the last run of a page to read
   * the next page. A run, or `{ createdAt, id }` of one.
   */
  before?: { readonly createdAt: Date | number; readonly id: string };
}

const DEFAULT_PAGE_SIZE = 100;

/**
 * A flow as the store knows it: its runs, newest first, in the current namespace.
 *
 * @example
 * ```ts
 * import { Flow } from 'cairnflow';
 * const flow = await Flow.get('TrainFlow');
 * const last = await flow.latestSuccessfulRun();
 * for await (const run of flow.runs({ tags: ['nightly'] })) console.log(run.id, run.status);
 * ```
 */
export class Flow<F = unknown> {
  /** The flow name (its class name). */
  readonly id: string;
  readonly name: string;
  /** The flow name: a flow's pathspec has one component. */
  readonly pathspec: string;
  /** The namespace this object reads in, fixed when it was loaded (null: every namespace). */
  readonly namespace: string | null;
  /** Flows carry no tags (runs do). */
  readonly tags: readonly string[] = Object.freeze([]);
  readonly userTags: readonly string[] = Object.freeze([]);
  readonly systemTags: readonly string[] = Object.freeze([]);
  readonly #ctx: ClientContext;

  /** Built by `Flow.get()` and `Flow.list()`; not meant to be called directly. */
  constructor(ctx: ClientContext, name: string, ns: string | null) {
    this.#ctx = ctx;
    this.id = name;
    this.name = name;
    this.pathspec = name;
    this.namespace = ns;
  }

  /**
   * `Flow.get('ArtFlow')`, or `Flow.get(ArtFlow)` with the flow class, which types `run.data`. The
   * flow is visible when one of its runs is in the current namespace.
   */
  static get<F extends FlowSpec>(flow: FlowClassOf<F>): Promise<Flow<F>>;
  static get<F = unknown>(name: string): Promise<Flow<F>>;
  static async get(flow: unknown): Promise<Flow> {
    const name = typeof flow === 'function' && typeof flow.name === 'string' && flow.name !== '' ? flow.name : flow;
    const [id] = parsePathspec('Flow', name) as [string];
    const ctx = await clientContext();
    const ns = getNamespace();
    await checkFlowVisible(ctx, id, ns);
    return new Flow(ctx, id, ns);
  }

  /** Every flow with a run in the current namespace, sorted by name. */
  static async list(): Promise<Flow[]> {
    const ctx = await clientContext();
    const ns = getNamespace();
    const names = await storeCall('the list of flows', () => ctx.metadata.listFlows());
    const visible = await Promise.all(
      names.map(async (name) => {
        if (ns === null) return true;
        const runs = await storeCall(`the runs of ${name}`, () => ctx.metadata.listRuns({ flow: name, tags: [ns], limit: 1 }));
        return runs.length > 0;
      }),
    );
    return names
      .filter((_, i) => visible[i])
      .sort()
      .map((name) => new Flow(ctx, name, ns));
  }

  /** The newest run in the namespace, whatever its status. */
  async latestRun(): Promise<Run<F> | undefined> {
    const [row] = await this.#listRuns({ limit: 1 });
    return row ? new Run<F>(this.#ctx, row) : undefined;
  }

  /** The newest successful run in the namespace. */
  async latestSuccessfulRun(): Promise<Run<F> | undefined> {
    const [row] = await this.#listRuns({ limit: 1, successfulOnly: true });
    return row ? new Run<F>(this.#ctx, row) : undefined;
  }

  /** One run of this flow by id (in this flow's namespace). */
  async run(runId: string): Promise<Run<F>> {
    const [, id] = parsePathspec('Run', `${this.name}/${String(runId)}`) as [string, string];
    return new Run<F>(this.#ctx, await loadRun(this.#ctx, this.name, id, this.namespace));
  }

  /**
   * The flow's runs in the namespace, newest first, read from the store a page at a time:
   * `for await (const run of flow.runs({ tags: ['prod'] }))`.
   */
  async *runs(options: RunsOptions = {}): AsyncGenerator<Run<F>, void, undefined> {
    const tags = options.tags === undefined ? [] : validateTags(options.tags, 'runs({ tags })');
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new CairnError('INVALID_ARGUMENT', `runs({ pageSize }) must be a whole number from 1 up, got ${String(pageSize)}.`);
    }
    let before: RunQuery['before'] = options.before === undefined ? undefined : cursorOf(options.before);
    for (;;) {
      const page = await this.#listRuns({ tags, limit: pageSize, ...(before ? { before } : {}) });
      for (const row of page) yield new Run<F>(this.#ctx, row);
      const last = page.at(-1);
      if (page.length < pageSize || !last) return;
      before = { createdAt: last.createdAt, runId: last.runId };
    }
  }

  /**
   * How many runs the flow has in the namespace, by status, counted by the store without reading
   * every run (a lost run counts as failed, as its `status` says).
   */
  async runCounts(): Promise<RunCountsByStatus> {
    const tags = this.namespace === null ? [] : [this.namespace];
    const c = await storeCall(`the run counts of ${this.name}`, () => this.#ctx.metadata.countRuns({ flow: this.name, tags }));
    const out = { runs: c.succeeded + c.failed + c.running.length, succeeded: c.succeeded, failed: c.failed, running: 0 };
    for (const row of c.running) out[new Run<F>(this.#ctx, row).status]++;
    return out;
  }

  toString(): string {
    return `Flow('${this.name}')`;
  }

  #listRuns(q: Omit<RunQuery, 'flow'>): Promise<RunRow[]> {
    const tags = [...new Set([...(this.namespace === null ? [] : [this.namespace]), ...(q.tags ?? [])])];
    return storeCall(`the runs of ${this.name}`, () => this.#ctx.metadata.listRuns({ ...q, flow: this.name, tags }));
  }
}

/** `flow.runCounts()`: every run, and how many of them succeeded, failed (lost ones included) and are running. */
export interface RunCountsByStatus {
  runs: number;
  succeeded: number;
  failed: number;
  running: number;
}

function cursorOf(before: NonNullable<RunsOptions['before']>): NonNullable<RunQuery['before']> {
  const createdAt = before.createdAt instanceof Date ? before.createdAt.getTime() : before.createdAt;
  if (!Number.isFinite(createdAt) || typeof before.id !== 'string') {
    throw new CairnError('INVALID_ARGUMENT', 'runs({ before }) takes a run, or { createdAt, id } of one (createdAt a Date or epoch milliseconds).');
  }
  return { createdAt, runId: before.id };
}
