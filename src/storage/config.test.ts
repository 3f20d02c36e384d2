import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, test } from 'node:test';
import { openArtifactStore, openMetadataStore, ownS3Settings, resolveStoreConfig, storeConfigAt, withOwnS3Settings, type StoreConfig } from './config.js';
import { sha1Hex } from './hash.js';
import { rejectsWithCode } from './store-helpers.fixture.js';

const roots: string[] = [];
function tempDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cairn-config-')));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe('resolveStoreConfig', () => {
  it('uses CAIRN_DATASTORE_ROOT as the data folder, relative to cwd', () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, '.cairn'));
    const cfg = resolveStoreConfig({ cwd, env: { CAIRN_DATASTORE_ROOT: 'shared/store' } });
    assert.deepEqual(cfg, {
      root: join(cwd, 'shared/store'),
      artifacts: { kind: 'local', root: join(cwd, 'shared/store') },
      metadata: { kind: 'sqlite', path: join(cwd, 'shared/store', 'metadata.db') },
    });
    assert.equal(resolveStoreConfig({ cwd, env: { CAIRN_DATASTORE_ROOT: '/abs/data' } }).root, '/abs/data');
  });

  it('finds a .cairn folder in the nearest ancestor', () => {
    const project = tempDir();
    mkdirSync(join(project, '.cairn'));
    const deep = join(project, 'src', 'flows');
    mkdirSync(deep, { recursive: true });
    assert.equal(resolveStoreConfig({ cwd: deep, env: {} }).root, join(project, '.cairn'));
    mkdirSync(join(project, 'src', '.cairn'));
    assert.equal(resolveStoreConfig({ cwd: deep, env: {} }).root, join(project, 'src', '.cairn'));
  });

  it('ignores a .cairn that is a file', () => {
    const project = tempDir();
    writeFileSync(join(project, '.cairn'), '');
    const cwd = join(project, 'sub');
    mkdirSync(cwd);
    assert.equal(resolveStoreConfig({ cwd, env: {} }).root, join(cwd, '.cairn'));
  });

  it('defaults to .cairn in cwd without creating it', () => {
    const cwd = tempDir();
    const cfg = resolveStoreConfig({ cwd, env: { CAIRN_DATASTORE_ROOT: '  ' } });
    assert.equal(cfg.root, join(cwd, '.cairn'));
    assert.equal(existsSync(cfg.root), false);
  });

  it('is plain JSON that survives a trip to a worker process', () => {
    const cfg = resolveStoreConfig({ cwd: tempDir(), env: {} });
    assert.deepEqual(JSON.parse(JSON.stringify(cfg)), cfg);
  });
});

describe('opening the stores', () => {
  it('creates the folder and database when opened for writing, and reads them back', async () => {
    const cfg = resolveStoreConfig({ cwd: tempDir(), env: {} });
    const artifacts = await openArtifactStore(cfg);
    const metadata = await openMetadataStore(cfg, { create: true });
    assert.ok(existsSync(join(cfg.root, 'metadata.db')));
    const sha = await artifacts.putBlob(new Uint8Array([1, 2, 3]));
    await metadata.createRun({ flow: 'F', runId: '1', user: 'u', createdAt: 1, userTags: [], systemTags: [], params: {}, codePackage: null });
    await metadata.close();

    const again = resolveStoreConfig({ cwd: join(cfg.root, '..'), env: {} });
    const reader = await openMetadataStore(again, { create: false });
    assert.equal((await reader.getRun('F', '1'))?.runId, '1');
    await reader.close();
    const blobs = await openArtifactStore(again, { create: false });
    assert.equal(sha1Hex(await blobs.getBlob(sha)), sha);
  });

  it('rejects reading where there is no data, saying how to point at it', async () => {
    const cfg = resolveStoreConfig({ cwd: tempDir(), env: {} });
    const e = await rejectsWithCode(() => openMetadataStore(cfg, { create: false }), 'NOT_FOUND', /No cairn data was found/, /CAIRN_DATASTORE_ROOT/, /project folder/);
    assert.ok(e.message.includes(cfg.root));
    await rejectsWithCode(() => openArtifactStore(cfg, { create: false }), 'NOT_FOUND', /CAIRN_DATASTORE_ROOT/);
    assert.equal(existsSync(cfg.root), false);
  });

  it('rejects a store kind it does not know', async () => {
    const cfg = storeConfigAt(tempDir());
    const bad = { ...cfg, metadata: { kind: 'mysql', url: 'x' } } as unknown as StoreConfig;
    await rejectsWithCode(() => openMetadataStore(bad, { create: true }), 'INVALID_ARGUMENT', /mysql/);
    const badArtifacts = { ...cfg, artifacts: { kind: 'gcs' } } as unknown as StoreConfig;
    await rejectsWithCode(() => openArtifactStore(badArtifacts), 'INVALID_ARGUMENT', /gcs/);
  });

  it('rejects s3 settings without a usable bucket before any request', async () => {
    const cfg = storeConfigAt(tempDir());
    const noBucket = { ...cfg, artifacts: { kind: 's3', bucket: '', prefix: '', region: 'us-east-1', forcePathStyle: true, cacheDir: cfg.root } };
    await rejectsWithCode(() => openArtifactStore(noBucket as StoreConfig), 'INVALID_ARGUMENT', /s3/, /bucket/);
  });
});

test("a worker's own S3 endpoint, region and path style win over the run's; bucket and prefix stay the run's", () => {
  const run = {
    kind: 's3' as const, bucket: 'b', prefix: 'p', endpoint: 'http://orchestrator-side:7480', region: 'eu-west-1', forcePathStyle: false, cacheDir: '/c',
  };
  assert.deepEqual(ownS3Settings({}, {}), {});
  assert.deepEqual(withOwnS3Settings(run, ownS3Settings({}, {})), run);
  const own = ownS3Settings({ CAIRN_S3_ENDPOINT: 'http://worker-side:7480', AWS_REGION: 'us-west-2' }, {});
  assert.deepEqual(withOwnS3Settings(run, own), { ...run, endpoint: 'http://worker-side:7480', region: 'us-west-2', forcePathStyle: true });
  // The config file counts as the machine's own; the environment wins over it.
  const fromFile = ownS3Settings({ AWS_DEFAULT_REGION: 'ap-south-1' }, { s3: { endpoint: 'http://file:1', region: 'x', forcePathStyle: false } });
  assert.deepEqual(withOwnS3Settings(run, fromFile), { ...run, endpoint: 'http://file:1', region: 'ap-south-1', forcePathStyle: false });
  assert.deepEqual(withOwnS3Settings(run, ownS3Settings({ CAIRN_S3_FORCE_PATH_STYLE: 'true' }, {})), { ...run, forcePathStyle: true });
});
