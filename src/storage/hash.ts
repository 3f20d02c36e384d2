import { createHash } from 'node:crypto';

/** The content address of a blob: the sha1 of its bytes, as 40 lowercase hex digits. */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

const SHA1_HEX = /^[0-9a-f]{40}$/;

/** Whether `s` has the shape of a blob address (40 lowercase hex digits). */
export function isSha1Hex(s: string): boolean {
  return SHA1_HEX.test(s);
}
