/**
 * Deleting runs and collecting the blobs no run uses any more, over any pair of stores that offer
 * maintenance (`MaintainedArtifactStore`: the local folder and S3; SQLite and Postgres metadata).
 *
 * Safe against runs going on at the same time:
 * - no run still going is deleted (unless `force` for `deleteRuns`);
 * - a blob is a candidate only when it was last written or reused before the cutoff: the start of
 *   the collection, or of the oldest run still going if earlier, less the grace window. A writer
 *   that reuses a stored blob refreshes its time first (`touchBlobs`, and `putBlob` of existing
 *   bytes), and `deleteBlob` checks that time again as it deletes;
 * - every task record in the artifact store counts, including those of runs whose metadata is not
 *   written yet, and a record that cannot be read stops the collection before anything is deleted.
 */
import { CairnError } from '../errors.js';
import { stillGoing } from '../core/liveness.js';
import { mapLimit } from '../core/map-limit.js';
import { blobCutoff, checkPolicy, judgeRuns, TEMP_FILE_AGE_MS, type GcOptions, type RunVerdict } from './gc-policy.js';
import { isMaintained, type ArtifactStore, type MaintainedArtifactStore, type MetadataStore, type RunRow } from './types.js';

export interface GcReport {
  dryRun: boolean;
  /** Epoch ms at which the collection started. */
  startedAt: number;
  runs: {
    /** `Flow/runId` of each run deleted (or, in a dry run, that would be). */
    deleted: string[];
    /** Runs kept, by reason: `newest` (--keep-last), `recent` (--older-than), `tagged`, `going`, `other-flow`, `no-policy`. */
    kept: Partial<Record<Exclude<RunVerdict, 'delete'>, number>>;
    /** Bytes of task records, logs and cards deleted with the runs. */
    bytes: number;
  };
  blobs: {
    /** Blobs in the store when the collection started. */
    total: number;
    deleted: number;
    bytes: number;
    /** Blobs written or reused after the cutoff: not considered, whether used or not. */
    recent: number;
  };
  /** Epoch ms: blobs written or reused since then were not candidates. */
  cutoff: number;
  /** The run still going that moved the cutoff back, if any. */
  heldBy?: string;
  temporary: { files: number; bytes: number };
}

const RUN_CONCURRENCY = 16;
const BLOB_CONCURRENCY = 32;

function unmaintained(store: ArtifactStore): CairnError {
  return new CairnError('INVALID_ARGUMENT', `The ${store.kind} artifact store at ${store.location} cannot delete runs or blobs.`);
}

export function maintained(store: ArtifactStore): MaintainedArtifactStore {
  if (!isMaintained(store)) throw unmaintained(store);
  return store;
}

/** Removes one run: its metadata first (so it is gone for readers at once), then its files; returns the bytes freed. */
async function removeRun(metadata: MetadataStore, artifacts: MaintainedArtifactStore, row: RunRow): Promise<number> {
  await metadata.deleteRun(row.flow, row.runId);
  try {
    return await artifacts.deleteRunData(row.flow, row.runId);
  } catch (e) {
    throw new CairnError(
      'STORE',
      `Run ${row.flow}/${row.runId} was deleted from the metadata, but some of its files could not be removed ` +
        `(${e instanceof Error ? e.message : String(e)}); remove what is left under ` +
        `${artifacts.location}/{tasks,logs,cards}/${row.flow}/${row.runId} by hand.`,
      { cause: e },
    );
  }
}

/**
 * Deletes these runs (named `{ flow, runId }`). All are checked first: if one does not exist, or is
 * still going and `force` is not set, nothing is deleted. Resolves to the bytes of files freed.
 */
export async function deleteRuns(
  stores: { metadata: MetadataStore; artifacts: ArtifactStore },
  runs: ReadonlyArray<{ flow: string; runId: string }>,
  opts: { force?: boolean } = {},
): Promise<{ deleted: string[]; bytes: number }> {
  const artifacts = maintained(stores.artifacts);
  const rows = await mapLimit(runs, RUN_CONCURRENCY, (r) => stores.metadata.getRun(r.flow, r.runId));
  const problems: string[] = [];
  rows.forEach((row, i) => {
    const r = runs[i]!;
    if (!row) problems.push(`Run ${r.flow}/${r.runId} does not exist.`);
    else if (!opts.force) {
      const going = stillGoing(row);
      if (going) problems.push(`${going}: deleting it now would break it. Wait until it ends, or pass --force.`);
    }
  });
  if (problems.length) {
    const code = rows.some((r) => !r) ? 'NOT_FOUND' : 'RUN_ACTIVE';
    throw new CairnError(code, `${problems.join('\n')}\nNothing was deleted.`);
  }
  const unique = [...new Map(rows.map((r) => [`${r!.flow}/${r!.runId}`, r!])).values()];
  const bytes = await mapLimit(unique, RUN_CONCURRENCY, (row) => removeRun(stores.metadata, artifacts, row));
  return { deleted: unique.map((r) => `${r.flow}/${r.runId}`), bytes: bytes.reduce((a, b) => a + b, 0) };
}

async function allRuns(metadata: MetadataStore): Promise<RunRow[]> {
  const flows = await metadata.listFlows();
  return (await mapLimit(flows, 4, (flow) => metadata.listRuns({ flow }))).flat();
}

/** Deletes runs by policy, then every blob that no remaining run uses (see the file comment). */
export async function collectGarbage(
  stores: { metadata: MetadataStore; artifacts: ArtifactStore },
  options: GcOptions = {},
): Promise<GcReport> {
  const policy = checkPolicy(options);
  const artifacts = maintained(stores.artifacts);
  const { metadata } = stores;
  const startedAt = Date.now();
  const rows = await allRuns(metadata);
  if (policy.flow !== undefined && !rows.some((r) => r.flow === policy.flow)) {
    const flows = [...new Set(rows.map((r) => r.flow))].sort();
    throw new CairnError(
      'NOT_FOUND',
      `The store has no flow ${policy.flow} (${flows.length ? `its flows are ${flows.join(', ')}` : 'it has no runs'}). Nothing was deleted.`,
    );
  }
  const verdicts = judgeRuns(rows, policy, startedAt);
  const doomed = rows.filter((r) => verdicts.get(r) === 'delete');
  const kept: GcReport['runs']['kept'] = {};
  for (const v of verdicts.values()) if (v !== 'delete') kept[v] = (kept[v] ?? 0) + 1;
  const doomedKeys = new Set(doomed.map((r) => `${r.flow}/${r.runId}`));

  // Read every record that stays before deleting anything: one that cannot be read stops here.
  const { cutoff, heldBy } = blobCutoff(rows, startedAt, policy.graceMs);
  const candidates = new Map<string, number>();
  let total = 0;
  let recent = 0;
  for await (const page of artifacts.listBlobs()) {
    for (const b of page) {
      total++;
      if (b.modifiedAt < cutoff) candidates.set(b.sha, b.size);
      else recent++;
    }
  }
  if (candidates.size > 0) {
    for (const r of rows) if (r.codePackage && !doomedKeys.has(`${r.flow}/${r.runId}`)) candidates.delete(r.codePackage);
    const stored = (await artifacts.listStoredRuns()).filter((r) => !doomedKeys.has(`${r.flow}/${r.runId}`));
    await mapLimit(stored, RUN_CONCURRENCY, async (r) => {
      for (const record of await artifacts.readRunRecords(r.flow, r.runId)) {
        for (const info of Object.values(record.artifacts)) candidates.delete(info.sha);
        if (record.foreach?.listSha) candidates.delete(record.foreach.listSha);
      }
    });
  }
  let runBytes = 0;
  if (!policy.dryRun) {
    const freed = await mapLimit(doomed, RUN_CONCURRENCY, (row) => removeRun(metadata, artifacts, row));
    runBytes = freed.reduce((a, b) => a + b, 0);
  }
  let deleted = 0;
  let bytes = 0;
  if (policy.dryRun) {
    deleted = candidates.size;
    for (const size of candidates.values()) bytes += size;
  } else {
    const results = await mapLimit([...candidates.keys()], BLOB_CONCURRENCY, (sha) => artifacts.deleteBlob(sha, cutoff));
    for (const r of results) {
      if (r === undefined) continue;
      deleted++;
      bytes += r;
    }
  }
  const temporary = await artifacts.sweepTemporary(startedAt - Math.max(TEMP_FILE_AGE_MS, policy.graceMs), { dryRun: policy.dryRun });
  return {
    dryRun: policy.dryRun,
    startedAt,
    runs: { deleted: doomed.map((r) => `${r.flow}/${r.runId}`), kept, bytes: runBytes },
    blobs: { total, deleted, bytes, recent },
    cutoff,
    ...(heldBy ? { heldBy: `${heldBy.flow}/${heldBy.runId}` } : {}),
    temporary,
  };
}
