// One 200 MB Float64Array artifact written to and read from the S3 artifact store, through the store
// API with the codec (raw encoding: sha1 + upload; download + verify into the array's memory), in a bucket of its
// own that is deleted at the end. Prints one JSON object of MB/s figures (medians of the repetitions).
// Usage: node scripts/bench-s3.mjs ENDPOINT REPETITIONS   (credentials from the AWS variables)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { encodeArtifact, openArtifactStore, readArtifact, readArtifactSync } from 'cairnflow/storage';

const root = fileURLToPath(new URL('..', import.meta.url));
const { createS3Client } = await import(pathToFileURL(join(root, 'dist', 'storage', 's3-client.js')).href);
const [endpoint, reps = '3'] = process.argv.slice(2);
const n = Number(reps);
const bucket = `cairn-bench-${Date.now().toString(36)}`;
const settings = { bucket, prefix: 'bench', endpoint, region: 'us-east-1', forcePathStyle: true };
const admin = createS3Client(settings);
await admin.send(new CreateBucketCommand({ Bucket: bucket }));

const local = mkdtempSync(join(tmpdir(), 'cairn-bench-s3-'));
const cacheDir = join(local, 'cache', 'blobs');
const store = await openArtifactStore({
  root: local,
  artifacts: { kind: 's3', ...settings, cacheDir },
  metadata: { kind: 'sqlite', path: join(local, 'metadata.db') },
});

const COUNT = 25_000_000; // 200 MB of float64
const MB = (COUNT * 8) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn) => {
  const t0 = performance.now();
  const out = await fn();
  return { s: (performance.now() - t0) / 1000, out };
};
const check = (v, i) => {
  if (!(v instanceof Float64Array) || v.length !== COUNT || v[0] !== i || v[COUNT - 1] !== (COUNT - 1) * 0.5) throw new Error('the value read back differs');
};

const figures = { write: [], dedupe: [], read: [], readSync: [], readCached: [] };
const values = new Float64Array(COUNT);
for (let i = 0; i < COUNT; i++) values[i] = i * 0.5;
try {
  for (let i = 0; i < n; i++) {
    values[0] = i; // new bytes each time: every write is a real upload
    let info;
    const w = await time(async () => {
      const e = encodeArtifact(values, { name: 'values', step: 'bench' });
      info = { sha: await store.putBlob(e.parts), size: e.size, type: e.type, encoding: e.encoding };
      return info.sha;
    });
    const sha = w.out;
    figures.write.push(w.s);
    figures.dedupe.push((await time(async () => store.putBlob(encodeArtifact(values, { name: 'values', step: 'bench' }).parts))).s);
    rmSync(cacheDir, { recursive: true, force: true });
    const r = await time(async () => readArtifact(store, info, 'values'));
    check(r.out, i);
    figures.read.push(r.s);
    rmSync(cacheDir, { recursive: true, force: true });
    const rs = await time(async () => readArtifactSync(store, info, 'values'));
    check(rs.out, i);
    figures.readSync.push(rs.s);
    const rc = await time(async () => readArtifactSync(store, info, 'values'));
    check(rc.out, i);
    figures.readCached.push(rc.s);
    await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: `bench/blobs/${sha.slice(0, 2)}/${sha}` }));
  }
} finally {
  await store.close();
  await admin.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  admin.destroy();
  rmSync(local, { recursive: true, force: true });
}
const out = { mb: MB, runs: n };
for (const [k, xs] of Object.entries(figures)) out[k] = MB / median(xs);
console.log(JSON.stringify(out));
