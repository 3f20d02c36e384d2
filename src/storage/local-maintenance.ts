/**
 * The maintenance side of the local artifact store (`LocalArtifactStore` delegates to these):
 * listing and deleting blobs for `gc`, reading and removing a run's files, and sweeping the
 * temporary files that a crashed write left behind. Synchronous, like the rest of the local store.
 *
 * Deleting a blob is safe against a writer reusing it at the same moment: the blob is first renamed
 * to a private name (after which a writer no longer finds it and writes it again), and only then is
 * its modification time read; if a writer refreshed it before the rename, it is put back.
 */
import { linkSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { isSha1Hex } from './hash.js';
import { checkSegment } from './keys.js';
import type { BlobInfo, TaskRecord } from './types.js';

/** The folders that hold a run's files, each as `<area>/<flow>/<runId>/...`. */
export const RUN_AREAS = ['tasks', 'logs', 'cards'] as const;

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as { code?: string }).code : undefined;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return [];
    throw maintenanceError(`Cannot list ${dir}`, e);
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw maintenanceError(`Cannot read ${path}`, e);
  }
}

/**
 * Sets the file's modification time to now; false when it does not exist. A file this user may not
 * change the times of (a store shared between users) counts as refreshed: it exists, and is left as it is.
 */
export function touchFile(path: string): boolean {
  const now = new Date();
  try {
    utimesSync(path, now, now);
    return true;
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT') return false;
    if (code === 'EPERM' || code === 'EACCES') return statSync(path, { throwIfNoEntry: false }) !== undefined;
    throw maintenanceError(`Cannot refresh ${path}`, e);
  }
}

/** Every blob under `<root>/blobs`, one page per folder. */
export function* listBlobFiles(root: string): Generator<BlobInfo[]> {
  const blobs = join(root, 'blobs');
  for (const prefix of listDir(blobs).sort()) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    const dir = join(blobs, prefix);
    const page: BlobInfo[] = [];
    for (const name of listDir(dir)) {
      if (!isSha1Hex(name) || !name.startsWith(prefix)) continue;
      const st = statOrUndefined(join(dir, name));
      if (st?.isFile()) page.push({ sha: name, size: st.size, modifiedAt: st.mtimeMs });
    }
    if (page.length) yield page;
  }
}

/**
 * Deletes `<dir>/<sha>` if it was last written or refreshed before `cutoff`; returns its size, or
 * undefined when it was kept or already gone.
 */
export function deleteBlobFile(dir: string, sha: string, cutoff: number, tag: string): number | undefined {
  const path = join(dir, sha);
  const hidden = join(dir, `.${sha}.gc-${tag}.tmp`);
  try {
    renameSync(path, hidden);
  } catch (e) {
    if (errCode(e) === 'ENOENT') return undefined;
    throw maintenanceError(`Cannot delete blob ${sha} at ${path}`, e);
  }
  const st = statSync(hidden);
  if (st.mtimeMs >= cutoff) {
    // Refreshed by a writer before it was hidden: put it back (unless the writer wrote it again).
    try {
      linkSync(hidden, path);
    } catch (e) {
      if (errCode(e) !== 'EEXIST') {
        if (statSync(path, { throwIfNoEntry: false }) === undefined) renameSync(hidden, path);
      }
    }
    rmSync(hidden, { force: true });
    return undefined;
  }
  unlinkSync(hidden);
  return st.size;
}

/** The runs with files in any of the run areas. */
export function listRunFolders(root: string): Array<{ flow: string; runId: string }> {
  const seen = new Map<string, { flow: string; runId: string }>();
  for (const area of RUN_AREAS) {
    for (const flow of listDir(join(root, area))) {
      if (flow.startsWith('.')) continue;
      for (const runId of listDir(join(root, area, flow))) {
        if (runId.startsWith('.')) continue;
        seen.set(`${flow}/${runId}`, { flow, runId });
      }
    }
  }
  return [...seen.values()];
}

/** Every task record of a run: `tasks/<flow>/<runId>/<step>/<taskId>/<attempt>.json`. */
export function readRecordFiles(root: string, flow: string, runId: string): TaskRecord[] {
  const runDir = join(root, 'tasks', checkSegment('flow name', flow), checkSegment('run id', runId));
  const records: TaskRecord[] = [];
  for (const step of listDir(runDir)) {
    for (const taskId of listDir(join(runDir, step))) {
      const taskDir = join(runDir, step, taskId);
      for (const name of listDir(taskDir)) {
        if (name.startsWith('.') || !name.endsWith('.json')) continue;
        const path = join(taskDir, name);
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (e) {
          if (errCode(e) === 'ENOENT') continue;
          throw maintenanceError(`Cannot read the task record ${path}`, e);
        }
        records.push(parseRecordForGc(text, path));
      }
    }
  }
  return records;
}

/**
 * A record read to find the blobs it uses. One that cannot be read stops the collection: the blobs
 * it names cannot be known, so none may be deleted.
 */
export function parseRecordForGc(text: string, where: string): TaskRecord {
  try {
    const r = JSON.parse(text) as Partial<TaskRecord> | null;
    if (r && typeof r === 'object' && typeof r.artifacts === 'object' && r.artifacts !== null) return r as TaskRecord;
  } catch {
    // reported below
  }
  throw new CairnError(
    'STORE',
    `The task record ${where} cannot be read, so the blobs it uses are unknown and nothing was deleted. ` +
      'Delete its run (cairn delete) or repair the file, then collect again.',
  );
}

/** Removes a run's folders from every run area; returns the bytes freed. */
export function removeRunFolders(root: string, flow: string, runId: string): number {
  let bytes = 0;
  for (const area of RUN_AREAS) {
    const dir = join(root, area, checkSegment('flow name', flow), checkSegment('run id', runId));
    bytes += treeSize(dir);
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      throw maintenanceError(`Cannot remove ${dir}`, e);
    }
  }
  return bytes;
}

function treeSize(path: string): number {
  const st = statOrUndefined(path);
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of listDir(path)) total += treeSize(join(path, name));
  return total;
}

/**
 * Removes (or, with `dryRun`, counts) the temporary files (`*.tmp`) under `root` last changed
 * before `olderThan`: what writes interrupted by a crash left behind. A blob that `gc` hides for a
 * moment (`.<sha>.gc-*.tmp`) keeps its old modification time, so its age is the time of the rename
 * (ctime). Never follows symbolic links.
 */
export function sweepTempFiles(root: string, olderThan: number, dryRun: boolean): { files: number; bytes: number } {
  return sweepTempFilesIn(['blobs', ...RUN_AREAS, 'cache', 'code'].map((area) => join(root, area)), olderThan, dryRun);
}

/** The same, in these folders. */
export function sweepTempFilesIn(dirs: readonly string[], olderThan: number, dryRun: boolean): { files: number; bytes: number } {
  const found = { files: 0, bytes: 0 };
  const walk = (dir: string): void => {
    for (const name of listDir(dir)) {
      const path = join(dir, name);
      const st = statOrUndefined(path);
      if (!st) continue;
      if (st.isDirectory()) walk(path);
      else if (st.isFile() && name.endsWith('.tmp') && (name.includes('.gc-') ? st.ctimeMs : st.mtimeMs) < olderThan) {
        if (!dryRun) rmSync(path, { force: true });
        found.files++;
        found.bytes += st.size;
      }
    }
  };
  for (const dir of dirs) walk(dir);
  return found;
}

function maintenanceError(what: string, e: unknown): CairnError {
  if (e instanceof CairnError) return e;
  return new CairnError('STORE', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
