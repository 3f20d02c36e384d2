import { createHash } from 'node:crypto';

/** A blob's bytes: one buffer, or parts whose concatenation is the blob (never concatenated to hash or write it). */
export type BlobData = Uint8Array | readonly Uint8Array[];

/** The parts of a blob. */
export function blobParts(data: BlobData): readonly Uint8Array[] {
  return data instanceof Uint8Array ? [data] : data;
}

/** The size of a blob, in bytes. */
export function blobSize(data: BlobData): number {
  let n = 0;
  for (const p of blobParts(data)) n += p.byteLength;
  return n;
}

/** Hashes at most this much at a time: a 2 GiB view is more than one `update` takes. */
export const HASH_CHUNK = 64 * 1024 * 1024;

/** The content address of a blob: the sha1 of its bytes, as 40 lowercase hex digits. */
export function sha1Hex(data: BlobData): string {
  const hash = createHash('sha1');
  for (const p of blobParts(data)) {
    for (let at = 0; at < p.byteLength; at += HASH_CHUNK) hash.update(p.subarray(at, Math.min(p.byteLength, at + HASH_CHUNK)));
  }
  return hash.digest('hex');
}

const SHA1_HEX = /^[0-9a-f]{40}$/;

/** Whether `s` has the shape of a blob address (40 lowercase hex digits). */
export function isSha1Hex(s: string): boolean {
  return SHA1_HEX.test(s);
}
