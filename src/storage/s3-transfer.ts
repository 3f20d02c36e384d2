/**
 * Moving one blob to or from S3: a large blob is uploaded in parts sliced from the caller's parts
 * (views; only a part that spans two of them is copied), several at a time; a read fetches the first range and, when the blob is larger,
 * the remaining ranges in parallel, into one buffer or straight into a file. Reads are verified
 * against the blob's sha1.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type GetObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CairnError } from '../errors.js';
import { sha1Hex } from './hash.js';
import { forEachLimit, httpStatus, isMissingObject, isPreconditionFailed, s3Failure, type Limiter, type S3Settings } from './s3-client.js';

export interface S3Io {
  client: S3Client;
  settings: S3Settings;
  limit: Limiter;
}

/** Ranged reads fetch this much per request; multipart uploads use parts of at least this size. */
export const CHUNK_BYTES = 8 * 1024 * 1024;
/** Requests one blob transfer keeps in flight. */
export const TRANSFER_CONCURRENCY = 6;
/** S3 allows at most this many parts in one upload. */
const MAX_PARTS = 10_000;
/** The largest object one CopyObject takes (S3's limit: 5 GiB); larger ones are copied in parts. */
export const SINGLE_COPY_LIMIT = 5 * 1024 ** 3;
/** Parts of a multipart copy are this large (or larger, to fit in 10,000 parts; at most the single-copy limit). */
const COPY_PART_BYTES = 512 * 1024 * 1024;

/** Where the bytes of a read go: `start` once the size is known, then `write`s at offsets. */
interface Sink {
  start(total: number): Promise<void> | void;
  write(offset: number, chunk: Buffer): Promise<void> | void;
}

function notFound(io: S3Io, sha: string, key: string, cause: unknown): CairnError {
  return new CairnError('NOT_FOUND', `Blob ${sha} is not in the artifact store s3://${io.settings.bucket}/${key}.`, { cause });
}

function corrupt(io: S3Io, sha: string, key: string, actual: string): CairnError {
  return new CairnError(
    'CORRUPT_BLOB',
    `Blob ${sha} at s3://${io.settings.bucket}/${key} is corrupt: its content hashes to ${actual}. The object was changed ` +
      'or damaged in the bucket; delete it and re-run the task that produced it.',
  );
}

async function drain(body: Readable, sink: Sink, offset: number, end: number, where: string): Promise<void> {
  let at = offset;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (at + chunk.length > end) throw new CairnError('STORE', `${where}: the server sent more bytes than it announced.`);
    await sink.write(at, chunk);
    at += chunk.length;
  }
  if (at !== end) throw new CairnError('STORE', `${where}: the server sent ${at - offset} bytes where ${end - offset} were expected.`);
}

/** The object's total size from `Content-Range: bytes 0-N/TOTAL`, or its length for a whole-object answer. */
function totalSize(r: GetObjectCommandOutput): number {
  const m = r.ContentRange ? /\/(\d+)\s*$/.exec(r.ContentRange) : null;
  if (m) return Number(m[1]);
  return r.ContentLength ?? 0;
}

async function readObject(io: S3Io, key: string, sink: Sink, what: string): Promise<void> {
  const { client, settings, limit } = io;
  const get = (range?: string, ifMatch?: string) =>
    client.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key, ...(range ? { Range: range } : {}), ...(ifMatch ? { IfMatch: ifMatch } : {}) }));
  let etag: string | undefined;
  let total = 0;
  let covered = 0;
  await limit.run(async () => {
    let r: GetObjectCommandOutput;
    try {
      r = await get(`bytes=0-${CHUNK_BYTES - 1}`);
    } catch (e) {
      // An empty object has no byte 0: S3 answers 416 to any range.
      if (httpStatus(e) !== 416) throw e;
      r = await get();
    }
    etag = r.ETag;
    total = totalSize(r);
    await sink.start(total);
    covered = r.ContentRange ? Math.min(total, CHUNK_BYTES) : total; // a server may ignore Range
    await drain(r.Body as Readable, sink, 0, covered, what);
  });
  const ranges: Array<[number, number]> = [];
  for (let at = covered; at < total; at += CHUNK_BYTES) ranges.push([at, Math.min(total, at + CHUNK_BYTES)]);
  await forEachLimit(ranges, TRANSFER_CONCURRENCY, ([from, to]) =>
    limit.run(async () => {
      // If-Match: every range must come from the object the first one came from.
      const r = await get(`bytes=${from}-${to - 1}`, etag);
      await drain(r.Body as Readable, sink, from, to, what);
    }),
  );
}

/** Reads with one retry when the object was replaced between two of its ranges. */
async function readVerified<T>(io: S3Io, key: string, sha: string, attempt: () => Promise<T>): Promise<T> {
  const what = `Cannot read blob ${sha}`;
  try {
    try {
      return await attempt();
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      return await attempt();
    }
  } catch (e) {
    if (isMissingObject(e)) throw notFound(io, sha, key, e);
    throw s3Failure(e, io.settings, what);
  }
}

/** The blob's bytes, verified. */
export async function downloadBlob(io: S3Io, key: string, sha: string): Promise<Buffer> {
  return readVerified(io, key, sha, async () => {
    let buf = Buffer.alloc(0);
    const sink: Sink = {
      start: (total) => {
        buf = Buffer.allocUnsafe(total);
      },
      write: (offset, chunk) => {
        chunk.copy(buf, offset);
      },
    };
    await readObject(io, key, sink, `Cannot read blob ${sha}`);
    const actual = sha1Hex(buf);
    if (actual !== sha) throw corrupt(io, sha, key, actual);
    return buf;
  });
}

/**
 * Downloads the blob into `dest` without holding it in memory: ranges are written at their
 * offsets into a temporary file next to `dest`, the file is hashed, and renamed into place only
 * when it matches.
 */
export async function downloadBlobToFile(io: S3Io, key: string, sha: string, dest: string): Promise<number> {
  return readVerified(io, key, sha, async () => {
    const tmp = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx+');
    let size = 0;
    try {
      const sink: Sink = {
        start: (total) => {
          size = total;
        },
        write: async (offset, chunk) => {
          await fh.write(chunk, 0, chunk.length, offset);
        },
      };
      await readObject(io, key, sink, `Cannot read blob ${sha}`);
      const hash = createHash('sha1');
      const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(size, 1)));
      for (let at = 0; at < size; ) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - at), at);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        at += bytesRead;
      }
      const actual = hash.digest('hex');
      if (actual !== sha) throw corrupt(io, sha, key, actual);
      await fh.close();
      await rename(tmp, dest);
      return size;
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  });
}

/**
 * Bytes [from, to) of the concatenation of `parts`: a view when they lie in one part (the usual
 * case: a raw value's header is in the first upload part only), else a copy of that range.
 */
export function sliceParts(parts: readonly Uint8Array[], from: number, to: number): Uint8Array {
  const pieces: Uint8Array[] = [];
  let at = 0;
  for (const p of parts) {
    const start = Math.max(from, at);
    const end = Math.min(to, at + p.byteLength);
    if (start < end) pieces.push(p.subarray(start - at, end - at));
    at += p.byteLength;
    if (at >= to) break;
  }
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/** The part size for a blob: CHUNK_BYTES, or larger so that the blob fits in 10,000 parts. */
export function partSizeFor(size: number, minimum = CHUNK_BYTES): number {
  const mib = 1024 * 1024;
  return Math.max(minimum, Math.ceil(size / MAX_PARTS / mib) * mib);
}

/**
 * Uploads `bytes` to `key` in parts, never replacing an existing object where the server honours
 * `If-None-Match: *` on completion (AWS S3 does; servers that ignore it replace the object with the
 * same bytes, which is harmless for a content-addressed key). Resolves once the object exists.
 */
export async function uploadMultipart(io: S3Io, key: string, parts: readonly Uint8Array[], partSize: number): Promise<void> {
  const { client, settings, limit } = io;
  const Bucket = settings.bucket;
  const created = await limit.run(() =>
    client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: 'application/octet-stream' })),
  );
  const UploadId = created.UploadId;
  if (!UploadId) throw new CairnError('STORE', `The S3 server gave no upload id for ${key}.`);
  const size = parts.reduce((n, p) => n + p.byteLength, 0);
  const count = Math.ceil(size / partSize);
  const done: CompletedPart[] = new Array<CompletedPart>(count);
  try {
    await forEachLimit(Array.from({ length: count }, (_, i) => i), TRANSFER_CONCURRENCY, (i) =>
      limit.run(async () => {
        const body = sliceParts(parts, i * partSize, Math.min(size, (i + 1) * partSize));
        const r = await client.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: i + 1, Body: body, ContentLength: body.byteLength }));
        done[i] = { PartNumber: i + 1, ETag: r.ETag };
      }),
    );
    await limit.run(() =>
      client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: done } })),
    );
  } catch (e) {
    await limit.run(() => client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId }))).catch(() => undefined);
    if (isPreconditionFailed(e)) return; // another writer completed the same blob first
    throw e;
  }
}

/**
 * Copies the object at `key` onto itself in parts (UploadPartCopy), with new metadata: what
 * refreshing an object larger than one CopyObject takes does. The object is replaced only when the
 * upload completes (a failed copy leaves it as it was, and aborts the upload).
 */
export async function copyInParts(io: S3Io, key: string, size: number, metadata: Record<string, string>, singleCopyLimit = SINGLE_COPY_LIMIT): Promise<void> {
  const { client, settings, limit } = io;
  const Bucket = settings.bucket;
  const partSize = Math.min(singleCopyLimit, Math.max(partSizeFor(size), Math.min(COPY_PART_BYTES, singleCopyLimit)));
  const created = await limit.run(() =>
    client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: 'application/octet-stream', Metadata: metadata })),
  );
  const UploadId = created.UploadId;
  if (!UploadId) throw new CairnError('STORE', `The S3 server gave no upload id for ${key}.`);
  const count = Math.max(1, Math.ceil(size / partSize));
  const done: CompletedPart[] = new Array<CompletedPart>(count);
  try {
    await forEachLimit(Array.from({ length: count }, (_, i) => i), TRANSFER_CONCURRENCY, (i) =>
      limit.run(async () => {
        const range = `bytes=${i * partSize}-${Math.min(size, (i + 1) * partSize) - 1}`;
        const r = await client.send(
          new UploadPartCopyCommand({ Bucket, Key: key, UploadId, PartNumber: i + 1, CopySource: `${Bucket}/${key}`, CopySourceRange: range }),
        );
        done[i] = { PartNumber: i + 1, ETag: r.CopyPartResult?.ETag };
      }),
    );
    await limit.run(() => client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: done } })));
  } catch (e) {
    await limit.run(() => client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId }))).catch(() => undefined);
    throw e;
  }
}
