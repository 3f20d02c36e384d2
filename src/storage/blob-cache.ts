/**
 * A local, content-addressed read cache of blobs: `<dir>/<sha[0:2]>/<sha>`, the bytes as they are.
 *
 * Files appear whole or not at all (written to a temporary file in the same folder, then renamed),
 * and only with bytes that matched their address. Every read hashes the file again, as the local
 * store does (sha1 runs at about 2 GB/s, far above what a remote store delivers): a cache file
 * that was damaged or edited on disk is removed and the blob is fetched again, rather than handed
 * to a step. The cache is shared by every store on the machine that names the same folder, and
 * since its keys are content hashes, by every bucket too. Nothing is ever evicted; deleting the
 * folder (or any file in it) at any time is safe.
 */
import { mkdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CairnError } from '../errors.js';
import { sha1Hex } from './hash.js';

const TMP_TAG = `${process.pid}-${randomBytes(3).toString('hex')}`;
let tmpCounter = 0;

function errCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null ? (e as { code?: string }).code : undefined;
}

/** A local copy that no longer matches its address (it was verified when it was fetched). */
export function cacheDamaged(sha: string): CairnError {
  return new CairnError('CORRUPT_BLOB', `The local copy of blob ${sha} was damaged on disk after it was fetched.`);
}
/** A damaged local copy is fetched again once (a fetch verifies what the bucket holds). */
export function isCacheDamage(e: unknown): boolean {
  return e instanceof CairnError && e.code === 'CORRUPT_BLOB';
}
export class BlobCache {
  constructor(readonly dir: string) {}

  path(sha: string): string {
    return join(this.dir, sha.slice(0, 2), sha);
  }

  has(sha: string): boolean {
    return statSync(this.path(sha), { throwIfNoEntry: false }) !== undefined;
  }

  /** Creates the blob's folder (it may have been removed since the last call) and returns the blob's path. */
  prepare(sha: string): string {
    mkdirSync(join(this.dir, sha.slice(0, 2)), { recursive: true });
    return this.path(sha);
  }

  /** The cached bytes if present and intact; a damaged file is removed. */
  readSync(sha: string): Buffer | undefined {
    const path = this.path(sha);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return undefined;
      throw e;
    }
    if (sha1Hex(bytes) === sha) return bytes;
    try {
      unlinkSync(path);
    } catch {
      // someone else removed or replaced it
    }
    return undefined;
  }

  /** Removes a damaged local copy, so that it is fetched again. */
  drop(sha: string): void {
    try {
      unlinkSync(this.path(sha));
    } catch {
      // already gone
    }
  }

  async read(sha: string): Promise<Buffer | undefined> {
    const path = this.path(sha);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if (errCode(e) === 'ENOENT') return undefined;
      throw e;
    }
    if (sha1Hex(bytes) === sha) return bytes;
    await unlink(path).catch(() => undefined);
    return undefined;
  }

  /** Stores bytes already verified against `sha`. Best effort: a cache that cannot be written is skipped. */
  async write(sha: string, bytes: Uint8Array): Promise<void> {
    const dir = join(this.dir, sha.slice(0, 2));
    const tmp = join(dir, `.${sha}.${TMP_TAG}.${++tmpCounter}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, bytes, { flag: 'wx' });
      await rename(tmp, this.path(sha));
    } catch {
      await unlink(tmp).catch(() => undefined);
    }
  }
}
