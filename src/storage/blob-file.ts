/**
 * Blob files on a local disk (the local store, the S3 store's read cache): written from parts in
 * chunks while they are hashed, and read either whole or straight into memory that the caller
 * lays out from the blob's first bytes (`BlobPlan`), verified against the blob's address as they
 * are read. Neither makes a full copy of a blob in memory.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { CairnError } from '../errors.js';
import type { BlobLayout, BlobPlan } from './types.js';

/** Bytes moved per read or write call (a single call takes at most 2 GiB). */
const IO_CHUNK = 8 * 1024 * 1024;
/** The first bytes a plan is given. */
export const PLAN_HEAD_BYTES = 4096;

/** Writes the parts to a new file (`wx`), in chunks, hashing them on the way; returns the sha1 and the size. */
export function writeHashedSync(path: string, parts: readonly Uint8Array[]): { sha: string; size: number } {
  const hash = createHash('sha1');
  const fd = openSync(path, 'wx');
  let size = 0;
  try {
    for (const part of parts) {
      for (let at = 0; at < part.byteLength; ) {
        const chunk = part.subarray(at, Math.min(part.byteLength, at + IO_CHUNK));
        hash.update(chunk);
        let done = 0;
        while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
        at += chunk.byteLength;
      }
      size += part.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  return { sha: hash.digest('hex'), size };
}

export interface BlobFileErrors {
  /** The error for a file whose content does not hash to its address. */
  corrupt(actual: string): CairnError;
}

/**
 * Reads the blob file at `path` into the memory `plan` returns for it (given the first bytes and
 * the size), hashing as it reads; throws `errors.corrupt` when the content does not match `sha`.
 * Without a plan, reads the whole file into one buffer. Returns the buffer (or the layout's memory).
 */
export function readBlobFileSync(path: string, sha: string, errors: BlobFileErrors, plan?: BlobPlan): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const hash = createHash('sha1');
    const headLength = Math.min(size, PLAN_HEAD_BYTES);
    const head = Buffer.allocUnsafe(headLength);
    fill(fd, head, 0, 0, path);
    let layout: BlobLayout;
    if (plan) {
      layout = plan(head, size);
      if (layout.skip > headLength || layout.into.byteLength !== size - layout.skip) {
        throw new CairnError('STORE', `A read plan for blob ${sha} does not fit its ${size} bytes.`);
      }
    } else {
      layout = { skip: 0, into: Buffer.allocUnsafe(size) };
    }
    const { skip, into } = layout;
    hash.update(head.subarray(0, skip));
    const inHead = head.subarray(skip);
    into.set(inHead, 0);
    hash.update(inHead);
    for (let at = inHead.byteLength; at < into.byteLength; ) {
      const n = Math.min(IO_CHUNK, into.byteLength - at);
      fill(fd, into, at, skip + at, path, n);
      hash.update(into.subarray(at, at + n));
      at += n;
    }
    const actual = hash.digest('hex');
    if (actual !== sha) throw errors.corrupt(actual);
    return into;
  } finally {
    closeSync(fd);
  }
}

/** The first `bytes` bytes of a file (fewer when it is shorter), unverified. */
export function readHeadSync(path: string, bytes: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(bytes);
    let n = 0;
    for (let r = -1; r !== 0 && n < bytes; n += r) r = readSync(fd, buf, n, bytes - n, n);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes (default: what fits) at file offset `position` into `buf` at `offset`. */
function fill(fd: number, buf: Uint8Array, offset: number, position: number, path: string, length = buf.byteLength - offset): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) throw new CairnError('CORRUPT_BLOB', `The blob file ${path} ended early: it was cut short on disk.`);
    done += n;
  }
}
