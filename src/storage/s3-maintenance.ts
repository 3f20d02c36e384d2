/**
 * The maintenance side of the S3 artifact store (`S3ArtifactStore` delegates to these): listing,
 * refreshing and deleting blobs for `gc`, reading and removing a run's objects, and aborting the
 * multipart uploads that a crashed write left unfinished.
 *
 * - A blob is refreshed by copying the object onto itself with new metadata, which gives it a new
 *   LastModified without sending its bytes: one CopyObject, or for an object larger than one
 *   CopyObject takes (5 GiB on S3), a multipart copy of its ranges (`copyInParts`).
 * - S3 reports LastModified to the second, so a blob's `modifiedAt` is the end of that second: a
 *   blob refreshed just after a cutoff never reads as older than it.
 * - `deleteBlob` reads the object's LastModified again right before deleting it. S3 has no
 *   conditional delete on modification time, so a writer that refreshes the blob between those
 *   two requests is not seen; `gc`'s grace window (the blob must have been unchanged for that
 *   long) is what covers that moment here.
 */
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  GetObjectCommand,
  type _Object,
} from '@aws-sdk/client-s3';
import { CairnError } from '../errors.js';
import { isSha1Hex } from './hash.js';
import { checkSegment } from './keys.js';
import { parseRecordForGc, RUN_AREAS } from './local-maintenance.js';
import { forEachLimit, httpStatus, isMissingObject, s3Failure } from './s3-client.js';
import { copyInParts, SINGLE_COPY_LIMIT, type S3Io } from './s3-transfer.js';
import type { BlobInfo, TaskRecord } from './types.js';

/** How many requests a maintenance batch keeps in flight. */
const BATCH = 16;

export class S3Maintenance {
  constructor(
    private readonly io: S3Io,
    private readonly key: (...parts: string[]) => string,
    /** Objects larger than this are refreshed by a multipart copy. */
    private readonly singleCopyLimit = SINGLE_COPY_LIMIT,
  ) {}

  private get bucket(): string {
    return this.io.settings.bucket;
  }

  private fail(e: unknown, what: string): CairnError {
    return s3Failure(e, this.io.settings, what);
  }

  /** Lists every object under `prefix` (with `delimiter`, also the common prefixes), a page at a time. */
  private async *pages(prefix: string, delimiter?: string): AsyncIterable<{ objects: _Object[]; prefixes: string[] }> {
    let token: string | undefined;
    do {
      const page = await this.io.limit
        .run(() =>
          this.io.client.send(
            new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, ...(delimiter ? { Delimiter: delimiter } : {}) }),
          ),
        )
        .catch((e: unknown) => {
          throw this.fail(e, `Cannot list s3://${this.bucket}/${prefix}`);
        });
      yield { objects: page.Contents ?? [], prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter(Boolean) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async childNames(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const page of this.pages(prefix, '/')) {
      for (const p of page.prefixes) names.push(p.slice(prefix.length, -1));
    }
    return names;
  }

  /**
   * Refreshes a blob's LastModified; false when it does not exist. `size`, when the caller knows it,
   * chooses the copy; without it, a copy the server refuses as too large is retried in parts.
   */
  async touch(blobKey: string, size?: number): Promise<boolean> {
    const metadata = { 'cairn-refreshed': String(Date.now()) };
    try {
      if (size !== undefined && size > this.singleCopyLimit) {
        await copyInParts(this.io, blobKey, size, metadata, this.singleCopyLimit);
        return true;
      }
      try {
        await this.io.limit.run(() =>
          this.io.client.send(
            new CopyObjectCommand({
              Bucket: this.bucket,
              Key: blobKey,
              CopySource: `${this.bucket}/${blobKey}`,
              MetadataDirective: 'REPLACE',
              ContentType: 'application/octet-stream',
              Metadata: metadata,
            }),
          ),
        );
      } catch (e) {
        const known = size !== undefined || httpStatus(e) !== 400 ? undefined : await this.sizeOf(blobKey);
        if (known === undefined || known <= this.singleCopyLimit) throw e;
        await copyInParts(this.io, blobKey, known, metadata, this.singleCopyLimit);
      }
      return true;
    } catch (e) {
      if (isMissingObject(e)) return false;
      throw this.fail(e, `Cannot refresh ${blobKey}`);
    }
  }

  /** The size of an object, or undefined when it does not exist. */
  private async sizeOf(key: string): Promise<number | undefined> {
    try {
      const head = await this.io.limit.run(() => this.io.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key })));
      return head.ContentLength;
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      throw e;
    }
  }

  async touchAll(shas: readonly string[], blobKey: (sha: string) => string): Promise<Set<string>> {
    const found = new Set<string>();
    const unique = [...new Set(shas)].filter((sha) => isSha1Hex(sha));
    await forEachLimit(unique, BATCH, async (sha) => {
      if (await this.touch(blobKey(sha))) found.add(sha);
    });
    return found;
  }

  async *listBlobs(): AsyncIterable<BlobInfo[]> {
    const prefix = this.key('blobs', '');
    for await (const page of this.pages(prefix)) {
      const infos: BlobInfo[] = [];
      for (const o of page.objects) {
        const sha = o.Key?.slice(o.Key.lastIndexOf('/') + 1) ?? '';
        if (!isSha1Hex(sha)) continue;
        infos.push({ sha, size: o.Size ?? 0, modifiedAt: endOfSecond(o.LastModified) });
      }
      if (infos.length) yield infos;
    }
  }

  async deleteBlob(blobKey: string, cutoff: number): Promise<number | undefined> {
    let size: number;
    try {
      const head = await this.io.limit.run(() => this.io.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: blobKey })));
      if (endOfSecond(head.LastModified) >= cutoff) return undefined;
      size = head.ContentLength ?? 0;
      await this.io.limit.run(() => this.io.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: blobKey })));
    } catch (e) {
      if (isMissingObject(e)) return undefined;
      throw this.fail(e, `Cannot delete ${blobKey}`);
    }
    return size;
  }

  async listStoredRuns(): Promise<Array<{ flow: string; runId: string }>> {
    const seen = new Map<string, { flow: string; runId: string }>();
    for (const area of RUN_AREAS) {
      const areaPrefix = this.key(area, '');
      for (const flow of await this.childNames(areaPrefix)) {
        for (const runId of await this.childNames(`${areaPrefix}${flow}/`)) seen.set(`${flow}/${runId}`, { flow, runId });
      }
    }
    return [...seen.values()];
  }

  private runPrefix(area: string, flow: string, runId: string): string {
    return this.key(area, checkSegment('flow name', flow), checkSegment('run id', runId), '');
  }

  async readRunRecords(flow: string, runId: string): Promise<TaskRecord[]> {
    const keys: string[] = [];
    for await (const page of this.pages(this.runPrefix('tasks', flow, runId))) {
      for (const o of page.objects) if (o.Key?.endsWith('.json')) keys.push(o.Key);
    }
    const records: TaskRecord[] = [];
    await forEachLimit(keys, BATCH, async (key) => {
      let text: string | undefined;
      try {
        text = await this.io.limit.run(async () => {
          const r = await this.io.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
          return r.Body ? await r.Body.transformToString('utf8') : '';
        });
      } catch (e) {
        if (isMissingObject(e)) return;
        throw this.fail(e, `Cannot read the task record ${key}`);
      }
      records.push(parseRecordForGc(text, `s3://${this.bucket}/${key}`));
    });
    return records;
  }

  async deleteRunData(flow: string, runId: string): Promise<number> {
    const objects: _Object[] = [];
    for (const area of RUN_AREAS) {
      for await (const page of this.pages(this.runPrefix(area, flow, runId))) objects.push(...page.objects);
    }
    let bytes = 0;
    await forEachLimit(objects, BATCH, async (o) => {
      try {
        await this.io.limit.run(() => this.io.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: o.Key })));
      } catch (e) {
        if (!isMissingObject(e)) throw this.fail(e, `Cannot delete ${o.Key}`);
      }
      bytes += o.Size ?? 0;
    });
    return bytes;
  }

  /** Aborts (or counts) the multipart uploads of blobs started before `olderThan` and never completed. */
  async abortStaleUploads(olderThan: number, dryRun: boolean): Promise<{ files: number; bytes: number }> {
    const prefix = this.key('blobs', '');
    const stale: Array<{ Key: string; UploadId: string }> = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.io.limit.run(() =>
          this.io.client.send(new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key && u.UploadId && (u.Initiated?.getTime() ?? 0) < olderThan) stale.push({ Key: u.Key, UploadId: u.UploadId });
        }
        if (!page.IsTruncated) break;
        keyMarker = page.NextKeyMarker;
        uploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (e) {
      throw this.fail(e, `Cannot list the unfinished uploads in s3://${this.bucket}/${prefix}`);
    }
    if (!dryRun) {
      await forEachLimit(stale, BATCH, async (u) => {
        await this.io.limit
          .run(() => this.io.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, ...u })))
          .catch((e: unknown) => {
            if (!isMissingObject(e)) throw this.fail(e, `Cannot abort the upload of ${u.Key}`);
          });
      });
    }
    return { files: stale.length, bytes: 0 };
  }
}

/** The latest time an object may have been written: S3 gives LastModified to the second. */
function endOfSecond(d: Date | undefined): number {
  if (!d) return Date.now();
  const ms = d.getTime();
  return ms % 1000 === 0 ? ms + 999 : ms;
}
