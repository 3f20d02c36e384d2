/**
 * The step cache: a task whose key equals that of an earlier successful task of the same flow, in
 * the same namespace, reuses that task (its record, logs and cards) instead of running, as resume
 * clones a task. The key covers everything the task's outcome can be told to depend on:
 *
 * - the code: the hash of the whole code package (the flow file and its local imports, compiled),
 *   the hash of the project's lock file (the npm packages the package imports), cairn's version
 *   and Node's major version;
 * - the step, and its decorators (`@environment` variables, ...; `@cache` itself aside);
 * - the content hashes of every input artifact: each parent task's record (a join's inputs in
 *   order) and the `_parameters` record (parameters and class constants);
 * - the foreach frames (the list's hash and the index) and the loop iteration.
 *
 * What the key cannot see (the clock, randomness, the environment outside `@environment`, files
 * and services the step reads) makes a cached step wrong: cache only steps that are functions of
 * their inputs. Anything uncertain is a miss: a parent record that cannot be read, an earlier task
 * whose record or blobs are gone, or whose transition no longer fits the graph.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { sha1Hex } from '../storage/hash.js';
import type { TaskAttemptKey, TaskKey } from '../core/types.js';
import type { FlowGraph } from '../graph/types.js';
import type { ArtifactStore, MetadataStore, TaskRecord } from '../storage/types.js';
import { VERSION } from '../version.js';
import type { PlannedTask } from './scheduler.js';
import { transitionFits } from './resume-plan.js';

/** Everything a cache key is made of (see the file comment). */
export interface CacheKeyInputs {
  flow: string;
  step: string;
  codeSha: string;
  dependencies: string | null;
  decorators: Record<string, Record<string, unknown>>;
  /** name → sha of each parent's record, in order. */
  inputs: Array<Record<string, string>>;
  parameters: Record<string, string>;
  foreach: PlannedTask['foreachStack'];
  iteration: number;
}

/** The cache key: the sha1 of the inputs in a canonical form (keys sorted). */
export function cacheKey(k: CacheKeyInputs): string {
  const { cache: _, ...decorators } = k.decorators;
  return sha1Hex(Buffer.from(
    canonical({
      v: 1, cairn: VERSION, node: process.versions.node.split('.')[0], flow: k.flow, step: k.step, code: k.codeSha,
      dependencies: k.dependencies, decorators, inputs: k.inputs, parameters: k.parameters,
      foreach: k.foreach.map((f) => [f.step, f.var, f.numSplits, f.index, f.listSha, f.listEncoding ?? null]), iteration: k.iteration,
    }),
  ));
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, x]) => `${JSON.stringify(key)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

const LOCK_FILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lock', 'bun.lockb'];

/** The hash of the lock file nearest the flow file (or of package.json when there is none); null without either. */
export function dependenciesHash(flowFile: string): string | null {
  for (let dir = dirname(resolve(flowFile)); ; dir = dirname(dir)) {
    for (const name of [...LOCK_FILES, 'package.json']) {
      const path = join(dir, name);
      if (statSync(path, { throwIfNoEntry: false })?.isFile()) return `${name}:${sha1Hex(readFileSync(path))}`;
    }
    if (dirname(dir) === dir) return null;
  }
}

function shas(record: TaskRecord): Record<string, string> {
  return Object.fromEntries(Object.entries(record.artifacts).map(([name, a]) => [name, a.sha]));
}

export interface StepCacheSetup {
  flow: string;
  flowFile: string;
  graph: FlowGraph;
  codeSha: string;
  namespace: string;
  artifacts: ArtifactStore;
  metadata: MetadataStore;
  /** Each step's decorators, `--with` ones included. */
  decorators: ReadonlyMap<string, Record<string, Record<string, unknown>>>;
  /** `run --cache` (true), `--no-cache` (false), or neither. */
  mode: boolean | undefined;
}

/** A task the cache found: where it is, and its record. */
export interface CacheHit {
  key: TaskAttemptKey;
  record: TaskRecord;
}

export class StepCache {
  private readonly dependencies: string | null;
  /** Parent records, read once each (a foreach's tasks share their parent). */
  private readonly records = new Map<string, Promise<TaskRecord | undefined>>();

  constructor(private readonly s: StepCacheSetup) {
    this.dependencies = dependenciesHash(s.flowFile);
  }

  /** Whether tasks of `step` use the cache: `--no-cache` wins, then the step's `@cache`, then `--cache`. */
  enabled(step: string): boolean {
    if (this.s.mode === false) return false;
    const own = this.s.decorators.get(step)?.['cache'];
    if (own !== undefined) return own['enabled'] !== false;
    return this.s.mode === true;
  }

  private record(key: TaskAttemptKey): Promise<TaskRecord | undefined> {
    const id = `${key.step}/${key.taskId}/${key.attempt}`;
    let r = this.records.get(id);
    if (!r) {
      r = this.s.artifacts.getTaskRecord(key, key.attempt).catch(() => undefined);
      this.records.set(id, r);
      if (this.records.size > 4096) this.records.delete(this.records.keys().next().value!);
    }
    return r;
  }

  /** The key of a planned task, or undefined when an input cannot be read (a miss). */
  async keyOf(planned: PlannedTask, params: TaskAttemptKey): Promise<string | undefined> {
    const [parameters, ...inputs] = await Promise.all([this.record(params), ...planned.parents.map((p) => this.record(p))]);
    if (!parameters || inputs.some((r) => r === undefined)) return undefined;
    return cacheKey({
      flow: this.s.flow, step: planned.step, codeSha: this.s.codeSha, dependencies: this.dependencies,
      decorators: this.s.decorators.get(planned.step) ?? {}, inputs: inputs.map((r) => shas(r!)), parameters: shas(parameters),
      foreach: planned.foreachStack, iteration: planned.iteration,
    });
  }

  /** An earlier task filed under `key` whose record is still stored and still fits the graph. */
  async find(key: string, step: string): Promise<CacheHit | undefined> {
    const entry = await this.s.metadata.findCacheEntry(this.s.flow, key, this.s.namespace);
    if (!entry || entry.step !== step) return undefined;
    const record = await this.s.artifacts.getTaskRecord(entry, entry.attempt).catch(() => undefined);
    const node = this.s.graph.steps.get(step);
    if (!record || !node || !transitionFits(node, record)) return undefined;
    return { key: { flow: entry.flow, runId: entry.runId, step: entry.step, taskId: entry.taskId, attempt: entry.attempt }, record };
  }

  /** Files a task that succeeded (or was reused) under its key. */
  remember(task: TaskKey, attempt: number, key: string): Promise<void> {
    return this.s.metadata.recordCacheEntry({ ...task, attempt, key, namespace: this.s.namespace, createdAt: Date.now() });
  }
}
