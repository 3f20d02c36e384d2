/**
 * The S3 side of the S3 artifact store, shared by the store and its synchronous-read thread:
 * creating a client from the store's settings, bounding the requests in flight, and turning the
 * SDK's errors into `CairnError`s whose messages say what to fix.
 *
 * Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
 * AWS_PROFILE and the ~/.aws files, web identity, container and instance roles). cairn's own
 * configuration never holds them; only code that builds a store itself may pass static ones.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { CairnError } from '../errors.js';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Where the store's objects live: plain JSON (it is handed to the read thread). */
export interface S3Settings {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing slash ('' for none). */
  prefix: string;
  /** An S3-compatible server (`http://127.0.0.1:7480`); AWS S3 itself when absent. */
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** For programmatic use only; without them, the SDK's default credential chain. */
  credentials?: StaticCredentials;
}

/** Requests of one store in flight at once (each holds one connection). */
export const DEFAULT_CONCURRENCY = 32;

const NODE_VERSION_WARNING = 'NodeVersionSupportWarning';

/**
 * A client for the settings. The SDK warns once per process that its future releases will need a
 * newer Node; that one warning is dropped (cairn supports Node 20), every other warning passes.
 */
export function createS3Client(settings: S3Settings, maxSockets = DEFAULT_CONCURRENCY): S3Client {
  const agent = { keepAlive: true, maxSockets };
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.startsWith(NODE_VERSION_WARNING)) return;
    (emitWarning as (w: string | Error, ...r: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      // Every blob read is verified against its sha1, which also covers ranged reads.
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000, httpAgent: agent, httpsAgent: agent },
    });
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** Runs at most `n` of the functions given to it at once, in the order they came. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly n: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Calls `fn` for every item, at most `n` at a time; rejects with the first failure. */
export async function forEachLimit<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
}

interface SdkError {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

function sdk(e: unknown): SdkError {
  return typeof e === 'object' && e !== null ? (e as SdkError) : {};
}

export function httpStatus(e: unknown): number | undefined {
  return sdk(e).$metadata?.httpStatusCode;
}

function errorName(e: unknown): string {
  const x = sdk(e);
  return x.Code ?? x.name ?? 'Error';
}

/** A missing object (not a missing bucket: GetObject and PutObject say NoSuchBucket for that). */
export function isMissingObject(e: unknown): boolean {
  const name = errorName(e);
  return httpStatus(e) === 404 && name !== 'NoSuchBucket';
}

export function isPreconditionFailed(e: unknown): boolean {
  return httpStatus(e) === 412;
}

/** AWS answers 409 when a conditional write races with another write of the same key. */
export function isConditionalConflict(e: unknown): boolean {
  return httpStatus(e) === 409 && errorName(e) === 'ConditionalRequestConflict';
}

/** A server that does not implement conditional writes (OpenStack Swift's s3api answers 501). */
export function isNotImplemented(e: unknown): boolean {
  return httpStatus(e) === 501 || errorName(e) === 'NotImplemented';
}

const CREDENTIAL_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired']);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** `s3://bucket` at the endpoint, for messages. */
export function describeBucket(settings: S3Settings): string {
  return `s3://${settings.bucket}${settings.endpoint ? ` at ${settings.endpoint}` : ` (AWS S3, region ${settings.region})`}`;
}

export function missingBucket(settings: S3Settings, cause?: unknown): CairnError {
  return new CairnError(
    'STORE',
    `The S3 bucket "${settings.bucket}" does not exist (${describeBucket(settings)}). cairn does not create buckets: ` +
      `create it (for example \`aws s3 mb s3://${settings.bucket}\`), or set CAIRN_DATASTORE_ROOT=s3://<an existing bucket>/<prefix>.`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The CairnError for a failed request: `what` says what cairn was doing (`Cannot read blob X`).
 * Missing objects are the caller's business (NOT_FOUND or undefined); everything else is `STORE`.
 */
export function s3Failure(e: unknown, settings: S3Settings, what: string): CairnError {
  if (e instanceof CairnError) return e;
  const name = errorName(e);
  const status = httpStatus(e);
  const detail = `${name}${status ? ` (HTTP ${status})` : ''}: ${sdk(e).message ?? String(e)}`;
  const where = describeBucket(settings);
  if (name === 'NoSuchBucket') return missingBucket(settings, e);
  if (name === 'CredentialsProviderError') {
    return new CairnError(
      'STORE',
      `${what}: no AWS credentials were found for ${where}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ` +
        '(or AWS_PROFILE with ~/.aws/credentials); cairn takes credentials only from the standard AWS sources.',
      { cause: e },
    );
  }
  if (status === 403 || CREDENTIAL_ERRORS.has(name)) {
    return new CairnError(
      'STORE',
      `${what}: ${where} refused the request (${detail}). Check the credentials (AWS_ACCESS_KEY_ID, ` +
        'AWS_SECRET_ACCESS_KEY, AWS_PROFILE) and that they may read and write this bucket.',
      { cause: e },
    );
  }
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    return new CairnError('STORE', `${what}: ${where} is in another region (${detail}). Set AWS_REGION to the bucket's region.`, { cause: e });
  }
  const code = sdk(e).code;
  if ((code && NETWORK_ERRORS.has(code)) || NETWORK_ERRORS.has(name) || name === 'TimeoutError') {
    return new CairnError('STORE', `${what}: cannot reach ${where} (${detail}). Check the endpoint (CAIRN_S3_ENDPOINT) and the network.`, {
      cause: e,
    });
  }
  return new CairnError('STORE', `${what} (${where}): ${detail}`, { cause: e });
}
