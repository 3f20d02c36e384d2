/**
 * A code package is the flow file and its local imports compiled into one ES module. Imports of
 * cairn itself are left as a placeholder, which every machine replaces with its own cairn, so the
 * flow and the runtime share one module instance.
 */
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CairnError } from '../errors.js';

export const CAIRN_PLACEHOLDER = '__cairn_runtime__';

/** The module that code packages import as cairn on this machine. */
export const runtimeUrl = new URL('../index.js', import.meta.url).href;
/** Packages linked to different cairn installations get different files. */
const runtimeTag = createHash('sha1').update(runtimeUrl).digest('hex').slice(0, 8);

/** The file name of a code package materialized for this machine's cairn. */
export function codeFileName(sha: string): string {
  return `${sha}.${runtimeTag}.mjs`;
}

/**
 * Where to materialize code packages for a flow: inside the flow's project
 * (`<project>/node_modules/.cache/cairn`), so that the packages the flow imports resolve exactly as
 * they do for the flow file; `fallback` when the flow has no node_modules above it.
 */
export function codeDirFor(flowFile: string, fallback: string): string {
  for (let dir = dirname(flowFile); ; dir = dirname(dir)) {
    if (statSync(join(dir, 'node_modules'), { throwIfNoEntry: false })?.isDirectory()) {
      return join(dir, 'node_modules', '.cache', 'cairn');
    }
    if (dirname(dir) === dir) return fallback;
  }
}

/**
 * Checks that code packages can be written into `codeDir` (creating it), as a `cairn worker` does
 * at start-up: a worker that cannot write them would take every task and fail each one.
 */
export function checkCodeDirWritable(codeDir: string): void {
  const probe = join(codeDir, `.probe.${process.pid}.${Date.now()}.tmp`);
  try {
    mkdirSync(codeDir, { recursive: true });
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new CairnError(
      'INVALID_ARGUMENT',
      `This worker cannot write its code-package cache ${codeDir} (${why}: ${(e as Error).message}), so it could run no task. ` +
        'Make that folder (and the folders above it) writable by this user, or start the worker in a folder whose node_modules it can write.',
      { cause: e },
    );
  }
}

/** Rewrites the placeholder specifier to `url` (this machine's cairn entry module). */
export function linkCodePackage(code: string, url: string = runtimeUrl): string {
  return code.split(JSON.stringify(CAIRN_PLACEHOLDER)).join(JSON.stringify(url));
}

/** The inverse of `linkCodePackage`: the package as it was stored. */
export function unlinkCodePackage(code: string, url: string = runtimeUrl): string {
  return code.split(JSON.stringify(url)).join(JSON.stringify(CAIRN_PLACEHOLDER));
}

/**
 * Whether the materialized code package at `file` is the package `sha` names: a cached file is
 * imported only after its content (unlinked again) hashes to its address, so a changed or damaged
 * cache is written again from the store, never run.
 */
export function codePackageIntact(file: string, sha: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  return createHash('sha1').update(unlinkCodePackage(text)).digest('hex') === sha;
}

/**
 * Writes a code package into `codeDir` (when the file there is missing or not intact; atomically)
 * linked to this machine's cairn, and returns its URL for `import()`.
 */
export function materializeCodePackage(code: string | (() => string), sha: string, codeDir: string): string {
  const file = join(codeDir, codeFileName(sha));
  if (!codePackageIntact(file, sha)) {
    mkdirSync(codeDir, { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, linkCodePackage(typeof code === 'function' ? code() : code));
    renameSync(tmp, file);
  }
  return pathToFileURL(file).href;
}
