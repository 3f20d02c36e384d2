/**
 * `--run-id-file`: checked before anything is recorded (so that a path that cannot be written fails
 * the command, not a run already started), then written atomically once the run has its id.
 */
import { accessSync, constants, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CairnError } from '../errors.js';

function invalid(message: string, cause?: unknown): CairnError {
  return new CairnError('INVALID_ARGUMENT', message, cause === undefined ? undefined : { cause });
}

/** What is at `path`, or undefined when nothing is (also when a parent is a file). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw invalid(`--run-id-file: cannot look at ${path}: ${(e as Error).message}.`, e);
  }
}

/** Rejects a run-id file that could not be written: a missing or unwritable folder, or a folder itself. */
export function checkRunIdFile(file: string): void {
  const path = resolve(file);
  const dir = dirname(path);
  const target = statOf(path);
  if (target?.isDirectory()) {
    throw invalid(`--run-id-file names ${path}, which is a folder: name a file to write the run id to, such as ${path}/run-id.`);
  }
  const folder = statOf(dir);
  if (!folder) throw invalid(`--run-id-file names ${path}, but the folder ${dir} does not exist: create it first, or name a file in an existing folder.`);
  if (!folder.isDirectory()) throw invalid(`--run-id-file names ${path}, but ${dir} is a file, not a folder: name a file in an existing folder.`);
  try {
    accessSync(dir, constants.W_OK);
    if (target) accessSync(path, constants.W_OK);
  } catch (e) {
    throw invalid(`--run-id-file names ${path}, which cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): name a file you can write.`, e);
  }
}

/** Writes the run id: a reader of the file sees the whole id or the file as it was. */
export function writeRunIdFile(file: string, runId: string): void {
  const path = resolve(file);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, runId);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    throw invalid(`Cannot write the run id to ${path} (--run-id-file): ${(e as Error).message}.`, e);
  }
}
