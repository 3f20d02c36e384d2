/** `DataArtifact`: one artifact of one task attempt, its metadata, and its value on demand. */
import { NotFoundError } from '../errors.js';
import { readArtifact } from '../storage/codec.js';
import { ARROW_ENCODING, FRAME_HEAD_BYTES, framePreview, POLARS_ENCODING, readFrameHeader } from '../storage/frames.js';
import { previewValue, type ArtifactPreview, type PreviewOptions } from '../storage/preview.js';
import type { ArtifactInfo, TaskRecord } from '../storage/types.js';
import { clientContext, storeCall, type ClientContext } from './context.js';
import {
  invisibleReason,
  loadRecord,
  loadRun,
  loadTaskRow,
  loadTaskState,
  pathOf,
  tagSetOf,
  toDate,
  type TaskState,
} from './lookup.js';
import { getNamespace } from './namespace.js';
import { parsePathspec } from './pathspec.js';

/** Artifacts stored in more bytes than this are not loaded to be previewed (see `DataArtifact.preview`). */
export const DEFAULT_PREVIEW_LOAD_BYTES = 64 * 1024 * 1024;

/** What a `DataArtifact` is built from (by `Task` and `DataArtifact.get`). */
export interface ArtifactInit {
  ctx: ClientContext;
  state: TaskState;
  name: string;
  info: ArtifactInfo;
}

/**
 * One artifact of a task attempt: its name, type, size and content hash, and its value on demand.
 *
 * @example
 * ```ts
 * import { DataArtifact } from 'cairnflow';
 * const a = await DataArtifact.get('TrainFlow/1764151200001234/end/7/model');
 * console.log(a.type, a.size, a.sha);
 * const model = await a.data();
 * ```
 */
export class DataArtifact<T = unknown> {
  /** The artifact's name (same as `name`, like every client object's `id`). */
  readonly id: string;
  readonly name: string;
  /** Content hash (sha1, hex) of the stored bytes. */
  readonly sha: string;
  /** Stored size in bytes. */
  readonly size: number;
  /** Readable type name: `number`, `Array`, `Map`, a registered class name... */
  readonly type: string;
  /** The codec the bytes were written with. */
  readonly encoding: string;
  /** `Flow/run/step/task/name`. */
  readonly pathspec: string;
  readonly flowName: string;
  readonly runId: string;
  readonly stepName: string;
  readonly taskId: string;
  /** The task attempt that recorded the artifact. */
  readonly attempt: number;
  /** When the task was created. */
  readonly createdAt: Date;
  /** When the recording attempt finished. */
  readonly finishedAt: Date | undefined;
  readonly tags: readonly string[];
  readonly userTags: readonly string[];
  readonly systemTags: readonly string[];
  readonly #ctx: ClientContext;
  #value: Promise<T> | undefined;

  /** Built by `Task.artifacts()` and `DataArtifact.get()`; not meant to be called directly. */
  constructor(init: ArtifactInit) {
    const { state, info, name } = init;
    this.#ctx = init.ctx;
    this.id = name;
    this.name = name;
    this.sha = info.sha;
    this.size = info.size;
    this.type = info.type;
    this.encoding = info.encoding;
    this.pathspec = `${pathOf(state.task)}/${name}`;
    this.flowName = state.task.flow;
    this.runId = state.task.runId;
    this.stepName = state.task.step;
    this.taskId = state.task.taskId;
    this.attempt = state.attempt;
    this.createdAt = toDate(state.task.createdAt);
    this.finishedAt = toDate(state.attemptRow?.finishedAt ?? state.task.finishedAt);
    const tags = tagSetOf(state.run);
    this.tags = tags.tags;
    this.userTags = tags.userTags;
    this.systemTags = tags.systemTags;
  }

  /** `DataArtifact.get('Flow/run/step/task/name')`: the artifact of the task's shown attempt. */
  static async get<T = unknown>(pathspec: string): Promise<DataArtifact<T>> {
    const [flow, runId, step, taskId, name] = parsePathspec('DataArtifact', pathspec) as [string, string, string, string, string];
    const ctx = await clientContext();
    const run = await loadRun(ctx, flow, runId, getNamespace());
    const task = await loadTaskRow(ctx, run, step, taskId);
    const state = await loadTaskState(ctx, run, task);
    const record = await loadRecord(ctx, state);
    return artifactFrom(ctx, state, record, name) as DataArtifact<T>;
  }

  /** The artifact's value, loaded and decoded once per object. */
  data(): Promise<T> {
    if (!this.#value) {
      const p = storeCall(`artifact ${this.pathspec}`, async () => {
        const info = { sha: this.sha, size: this.size, type: this.type, encoding: this.encoding };
        return (await readArtifact(this.#ctx.artifacts, info, `artifact ${this.pathspec}`)) as T;
      });
      this.#value = p;
      p.catch(() => {
        if (this.#value === p) this.#value = undefined;
      });
    }
    return this.#value;
  }

  /**
   * A bounded, JSON-able view of the value for people (a table, a summary of numbers, an image, a
   * tree...), as `cairn dump` and the web UI show it. It never rejects: a value that is too large
   * to load (`maxLoadBytes`, default 64 MiB) or cannot be read is an `unavailable` preview that
   * says why (with the error's `code`, `CORRUPT_BLOB` for a damaged blob).
   *
   * @example
   * const p = await artifact.preview({ maxRows: 10 });
   * if (p.kind === 'table') console.log(p.columns.map((c) => c.name), p.rowCount);
   */
  async preview(options: PreviewOptions & { maxLoadBytes?: number } = {}): Promise<ArtifactPreview> {
    const { maxLoadBytes = DEFAULT_PREVIEW_LOAD_BYTES, ...limits } = options;
    const store = this.#ctx.artifacts;
    if ((this.encoding === ARROW_ENCODING || this.encoding === POLARS_ENCODING) && store.getBlobHead) {
      // A data frame's schema, row count and first rows are in the head of its blob, checksummed: nothing else is read.
      try {
        const head = await storeCall(`artifact ${this.pathspec}`, () => store.getBlobHead!(this.sha, FRAME_HEAD_BYTES));
        return framePreview(readFrameHeader(head).header, limits.maxRows ?? 50);
      } catch {
        // a header too large for the head read, or damaged: load the value as for any other
      }
    }
    if (this.size > maxLoadBytes) {
      return { kind: 'unavailable', type: this.type, reason: `it is stored in ${this.size} bytes, more than the ${maxLoadBytes} a preview loads` };
    }
    try {
      return previewValue(await this.data(), limits);
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return { kind: 'unavailable', type: this.type, reason: (e as Error).message ?? String(e), ...(typeof code === 'string' ? { code } : {}) };
    }
  }

  toString(): string {
    return `DataArtifact('${this.pathspec}')`;
  }
}

/** The artifact `name` of a loaded record, or a NotFoundError that says why it is not there. */
export function artifactFrom(ctx: ClientContext, state: TaskState, record: TaskRecord, name: string): DataArtifact {
  if (!state.artifactsVisible) {
    throw new NotFoundError(`Artifact '${name}' was not found: ${invisibleReason(state)}.`);
  }
  const info = Object.hasOwn(record.artifacts, name) ? record.artifacts[name] : undefined;
  if (!info) {
    const visible = Object.keys(record.artifacts).filter((n) => !n.startsWith('_')).sort();
    const has = visible.length > 0 ? `it has ${visible.join(', ')}` : 'it has no artifacts';
    throw new NotFoundError(`Artifact '${name}' was not found in task '${pathOf(state.task)}' (${has}).`);
  }
  return new DataArtifact({ ctx, state, name, info });
}
