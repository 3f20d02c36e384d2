/**
 * Throwaway buckets on the S3-compatible server that `scripts/services.sh` starts, for the tests of
 * the S3 artifact store. `s3TestEnv()` is undefined when CAIRN_TEST_S3_ENDPOINT is not set.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client, type S3Settings } from './s3-client.js';

export interface S3TestEnv {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export const S3_SKIP_REASON =
  'CAIRN_TEST_S3_ENDPOINT is not set, so there is no S3 server to test against. Start one with ' +
  '`scripts/services.sh start /tmp/cairn-services` and run `. /tmp/cairn-services/env.sh` first.';

export function s3TestEnv(): S3TestEnv | undefined {
  const endpoint = process.env['CAIRN_TEST_S3_ENDPOINT']?.trim();
  if (!endpoint) return undefined;
  return {
    endpoint,
    accessKeyId: process.env['CAIRN_TEST_S3_ACCESS_KEY_ID'] ?? '',
    secretAccessKey: process.env['CAIRN_TEST_S3_SECRET_ACCESS_KEY'] ?? '',
  };
}

/** The environment that points the AWS SDK's default chain (and cairn's CLI) at the test server. */
export function awsEnv(env: S3TestEnv): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: env.accessKeyId,
    AWS_SECRET_ACCESS_KEY: env.secretAccessKey,
    AWS_REGION: 'us-east-1',
    CAIRN_S3_ENDPOINT: env.endpoint,
  };
}

export class TestBucket {
  readonly name = `cairn-test-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  readonly client: S3Client;

  constructor(readonly env: S3TestEnv) {
    this.client = createS3Client(this.settings(''));
  }

  /** Settings for a store under `prefix` in this bucket, with the test credentials. */
  settings(prefix: string): S3Settings {
    return {
      bucket: this.name,
      prefix,
      endpoint: this.env.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: this.env.accessKeyId, secretAccessKey: this.env.secretAccessKey },
    };
  }

  async create(): Promise<void> {
    await this.client.send(new CreateBucketCommand({ Bucket: this.name }));
  }

  async keys(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  /** Deletes every object and unfinished upload, then the bucket. */
  async destroy(): Promise<void> {
    const uploads = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.name }));
    for (const u of uploads.Uploads ?? []) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: u.Key, UploadId: u.UploadId }));
    }
    const keys = await this.keys();
    for (let i = 0; i < keys.length; i += 1000) {
      const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects, Quiet: true } }));
    }
    await this.client.send(new DeleteBucketCommand({ Bucket: this.name }));
    this.client.destroy();
  }
}
