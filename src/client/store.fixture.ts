/**
 * Test fixtures for the client: a temporary store seeded directly through the storage classes.
 * (Files named `*.fixture.ts` are not built into the package.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ForeachFrame, TaskException, TaskKey } from '../core/types.js';
import { encodeArtifact } from '../storage/codec.js';
import { openArtifactStore, openMetadataStore, storeConfigAt } from '../storage/config.js';
import type { ArtifactInfo, ArtifactStore, LogStream, MetadataStore, RunStatus } from '../storage/types.js';
import { LogRecorder } from '../storage/log-format.js';
import { useDatastore } from './context.js';

const SqliteDatabase = createRequire(import.meta.url)('better-sqlite3') as typeof Database;

export interface SeedAttempt {
  status: 'succeeded' | 'failed' | 'running';
  artifacts?: Record<string, unknown>;
  stdout?: string;
  stderr?: string;
  exception?: TaskException;
}

export interface SeedTask {
  step: string;
  taskId: string;
  attempts?: SeedAttempt[];
  foreachStack?: ForeachFrame[];
  parents?: string[];
  originPathspec?: string;
  /** Offset from the run's createdAt, in ms (default: the task's position). */
  at?: number;
}

export interface SeedRun {
  flow: string;
  runId: string;
  createdAt: number;
  user?: string;
  userTags?: string[];
  systemTags?: string[];
  /** Default: succeeded. */
  status?: RunStatus;
  params?: Record<string, unknown>;
  originRunId?: string;
  tasks?: SeedTask[];
  /** The orchestrator's heartbeat interval (ms); the run gets no heartbeat without one. */
  heartbeatIntervalMs?: number;
  /** How long ago its last heartbeat was (ms; default: just now). */
  heartbeatAgeMs?: number;
}

/** A temporary store the client is pointed at; `close()` removes it. */
export class TestStore {
  readonly root: string;
  readonly artifacts: ArtifactStore;
  readonly metadata: MetadataStore;

  private constructor(root: string, artifacts: ArtifactStore, metadata: MetadataStore) {
    this.root = root;
    this.artifacts = artifacts;
    this.metadata = metadata;
  }

  static async open(): Promise<TestStore> {
    const root = mkdtempSync(join(tmpdir(), 'cairn-client-'));
    const cfg = storeConfigAt(root);
    const metadata = await openMetadataStore(cfg, { create: true });
    const artifacts = await openArtifactStore(cfg, { create: true });
    useDatastore(root);
    return new TestStore(root, artifacts, metadata);
  }

  async close(): Promise<void> {
    useDatastore(undefined);
    await this.metadata.close();
    await this.artifacts.close?.();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Creates a run with its tasks and attempts, artifacts and logs. */
  async seedRun(run: SeedRun): Promise<void> {
    const user = run.user ?? 'alice';
    await this.metadata.createRun({
      flow: run.flow,
      runId: run.runId,
      user,
      createdAt: run.createdAt,
      userTags: run.userTags ?? [],
      systemTags: run.systemTags ?? [`user:${user}`],
      params: run.params ?? {},
      codePackage: null,
      originRunId: run.originRunId ?? null,
      heartbeatIntervalMs: run.heartbeatIntervalMs ?? null,
    });
    if (run.heartbeatAgeMs !== undefined) this.setHeartbeat(run.flow, run.runId, Date.now() - run.heartbeatAgeMs);
    for (const [i, t] of (run.tasks ?? []).entries()) {
      await this.seedTask(run, t, run.createdAt + (t.at ?? i + 1));
    }
    const status = run.status ?? 'succeeded';
    if (status !== 'running') await this.metadata.finishRun(run.flow, run.runId, status, run.createdAt + 1000);
  }

  private async seedTask(run: SeedRun, t: SeedTask, at: number): Promise<void> {
    const key: TaskKey = { flow: run.flow, runId: run.runId, step: t.step, taskId: t.taskId };
    await this.metadata.createTask({
      ...key,
      createdAt: at,
      foreachStack: t.foreachStack ?? [],
      parents: t.parents ?? [],
      originPathspec: t.originPathspec ?? null,
    });
    let done: number | null = null;
    let last: SeedAttempt | undefined;
    for (const [n, a] of (t.attempts ?? []).entries()) {
      last = a;
      await this.metadata.startAttempt(key, n, at + n, 4242);
      if (a.status === 'running') continue;
      const logs = { stdout: null as string | null, stderr: null as string | null };
      if (a.stdout !== undefined) logs.stdout = await this.putOutput(key, n, 'stdout', a.stdout, at + n);
      if (a.stderr !== undefined) logs.stderr = await this.putOutput(key, n, 'stderr', a.stderr, at + n);
      if (a.artifacts) await this.putRecord(key, n, a.artifacts);
      await this.metadata.finishAttempt(key, n, {
        status: a.status,
        finishedAt: at + n + 1,
        exception: a.exception ?? null,
        logs,
      });
      if (a.status === 'succeeded') done = n;
    }
    if (last && last.status !== 'running') {
      await this.metadata.finishTask(key, done === null ? 'failed' : 'succeeded', at + 100, done);
    }
  }

  /** Stores `text` as what an attempt printed on `stream` at `at`, as a task's capture would. */
  async putOutput(key: TaskKey, attempt: number, stream: LogStream, text: string, at: number, start = 0): Promise<string> {
    const recorder = new LogRecorder();
    recorder.write(text, at);
    return this.artifacts.appendLog(key, attempt, stream, { start, bytes: Buffer.from(recorder.take({ open: true })) });
  }

  /** Sets the run's last heartbeat, as an orchestrator that stopped beating at `at` would have left it. */
  setHeartbeat(flow: string, runId: string, at: number): void {
    const db = new SqliteDatabase(join(this.root, 'metadata.db'));
    try {
      db.prepare('UPDATE runs SET heartbeat_at = ? WHERE flow = ? AND run_id = ?').run(at, flow, runId);
    } finally {
      db.close();
    }
  }

  /** Stores values as blobs and writes the task record of one attempt. */
  async putRecord(key: TaskKey, attempt: number, values: Record<string, unknown>): Promise<void> {
    const artifacts: Record<string, ArtifactInfo> = {};
    for (const [name, value] of Object.entries(values)) {
      const enc = encodeArtifact(value, { name, step: key.step });
      const sha = await this.artifacts.putBlob(enc.parts);
      artifacts[name] = { sha, size: enc.size, type: enc.type, encoding: enc.encoding };
    }
    await this.artifacts.putTaskRecord(key, attempt, { version: 1, artifacts });
  }
}

/** A linear run start → end with `data` as the end task's artifacts. */
export function linearRun(
  flow: string,
  runId: string,
  createdAt: number,
  data: Record<string, unknown>,
  extra: Partial<SeedRun> = {},
): SeedRun {
  return {
    flow,
    runId,
    createdAt,
    tasks: [
      { step: '_parameters', taskId: '0', attempts: [{ status: 'succeeded', artifacts: {} }] },
      { step: 'start', taskId: '1', attempts: [{ status: 'succeeded', artifacts: data }], parents: ['_parameters/0'] },
      { step: 'end', taskId: '2', attempts: [{ status: 'succeeded', artifacts: data }], parents: ['start/1'] },
    ],
    ...extra,
  };
}
