/** The settings of an S3 artifact store: what a caller may give, checked, with their defaults. */
import { CairnError } from '../errors.js';
import { DEFAULT_CONCURRENCY, type S3Settings } from './s3-client.js';
import { CHUNK_BYTES, SINGLE_COPY_LIMIT } from './s3-transfer.js';

export interface S3ArtifactStoreOptions extends S3Settings {
  /** Folder of the local read cache; without one, every read goes to the server. */
  cacheDir?: string;
  /** Requests in flight at once (default 32). */
  concurrency?: number;
  /** Blobs from this size are uploaded in parts (default 16 MiB; at least 5 MiB). */
  multipartThreshold?: number;
  /** Size of the parts of a multipart upload (default 8 MiB; at least 5 MiB). */
  partSize?: number;
  /** Blobs larger than this are refreshed by a multipart copy, not one CopyObject (default and most: S3's 5 GiB; at least 5 MiB). */
  singleCopyLimit?: number;
}

const MIN_PART = 5 * 1024 * 1024;

function invalid(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', `Invalid s3 artifact store settings: ${message}`);
}

function checkSettings(o: S3ArtifactStoreOptions): void {
  if (!o || typeof o.bucket !== 'string' || !/^[A-Za-z0-9._-]+$/.test(o.bucket)) {
    throw invalid(`${JSON.stringify(o?.bucket)} is not a bucket name (CAIRN_DATASTORE_ROOT=s3://bucket/prefix).`);
  }
  if (typeof o.prefix !== 'string' || o.prefix.startsWith('/') || o.prefix.endsWith('/')) {
    throw invalid(`the prefix ${JSON.stringify(o.prefix)} must be a string without leading or trailing "/".`);
  }
  if (typeof o.region !== 'string' || o.region === '') throw invalid('a region is required (AWS_REGION).');
}

/** Checks the options (bad ones reject with INVALID_ARGUMENT) and fills in the defaults. */
export function checkStoreOptions(options: S3ArtifactStoreOptions): {
  settings: S3Settings;
  cacheDir: string | undefined;
  concurrency: number;
  multipartThreshold: number;
  partSize: number;
  singleCopyLimit: number;
} {
  checkSettings(options);
  const { cacheDir, concurrency, multipartThreshold, partSize, singleCopyLimit, ...settings } = options;
  return {
    settings,
    cacheDir,
    concurrency: Math.max(1, concurrency ?? DEFAULT_CONCURRENCY),
    multipartThreshold: Math.max(MIN_PART, multipartThreshold ?? 2 * CHUNK_BYTES),
    partSize: Math.max(MIN_PART, partSize ?? CHUNK_BYTES),
    singleCopyLimit: Math.min(SINGLE_COPY_LIMIT, Math.max(MIN_PART, singleCopyLimit ?? SINGLE_COPY_LIMIT)),
  };
}
