/**
 * Where a project's data lives, and opening the stores from that description. `StoreConfig` is
 * plain JSON: the orchestrator sends its artifact part to worker processes, which open the same
 * store.
 *
 * The local folder: `CAIRN_DATASTORE_ROOT` when it is a path; otherwise a `.cairn` folder in the
 * current folder or its nearest ancestor; otherwise `<cwd>/.cairn`, created only when a store is
 * opened for writing. It holds the data of the local backends, and caches for the others.
 *
 * The backends (each setting from the environment first, then from `<local folder>/config.json` or
 * the file `CAIRN_CONFIG` names, then the default):
 * - artifacts: `CAIRN_DATASTORE` = `local` (default) or `s3`, with `CAIRN_DATASTORE_ROOT` =
 *   `s3://bucket/prefix`; endpoint `CAIRN_S3_ENDPOINT` (or `AWS_ENDPOINT_URL_S3`,
 *   `AWS_ENDPOINT_URL`), region `AWS_REGION` (default us-east-1); credentials from the standard
 *   AWS variables and files, never from cairn's configuration.
 * - metadata: `CAIRN_METADATA` = `sqlite` (default) or `postgres`, with `CAIRN_METADATA_URL`.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CairnError } from '../errors.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import type { ArtifactStore, MetadataStore } from './types.js';

export type ArtifactStoreConfig =
  | { kind: 'local'; root: string }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix inside the bucket, without leading or trailing slash ('' for none). */
      prefix: string;
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
      /** Local folder for the read cache of blobs. */
      cacheDir: string;
    };
export type MetadataStoreConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface StoreConfig {
  /** The local folder: the project's data for local backends, caches for the others. */
  root: string;
  artifacts: ArtifactStoreConfig;
  metadata: MetadataStoreConfig;
}

/** The part of a `StoreConfig` that a task needs: never the metadata store's settings. */
export type TaskStoreConfig = Pick<StoreConfig, 'root' | 'artifacts'>;

/** Settings a config file may hold (environment variables override each). */
export interface FileSettings {
  datastore?: 'local' | 's3';
  datastoreRoot?: string;
  s3?: { endpoint?: string; region?: string; forcePathStyle?: boolean };
  metadata?: 'sqlite' | 'postgres';
  metadataUrl?: string;
  executor?: 'local' | 'queue';
  redisUrl?: string;
  queuePrefix?: string;
}

export const DATASTORE_ROOT_ENV = 'CAIRN_DATASTORE_ROOT';
export const DATASTORE_DIR = '.cairn';
const METADATA_FILE = 'metadata.db';

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

/** Finds the `.cairn` folder in `start` or its nearest ancestor. */
function findDatastore(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, DATASTORE_DIR);
    if (isDirectory(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function invalidSetting(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

/** The config file's settings: `CAIRN_CONFIG`, else `<local folder>/config.json`, else none. */
export function readFileSettings(localRoot: string, env: NodeJS.ProcessEnv = process.env): FileSettings {
  const named = env['CAIRN_CONFIG']?.trim();
  const path = named ? resolve(named) : join(localRoot, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (named) throw invalidSetting(`CAIRN_CONFIG names ${path}, which cannot be read: ${(e as Error).message}.`);
    return {};
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('it is not a JSON object');
    return parsed as FileSettings;
  } catch (e) {
    throw invalidSetting(`The cairn config file ${path} is not valid: ${(e as Error).message}. It must be a JSON object.`);
  }
}

/** How this machine reaches S3: the settings its environment or config file names, and only those. */
export interface OwnS3Settings {
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

export function ownS3Settings(env: NodeJS.ProcessEnv, file: FileSettings): OwnS3Settings {
  const endpoint = env['CAIRN_S3_ENDPOINT']?.trim() || env['AWS_ENDPOINT_URL_S3']?.trim() || env['AWS_ENDPOINT_URL']?.trim() || file.s3?.endpoint;
  const region = env['AWS_REGION']?.trim() || env['AWS_DEFAULT_REGION']?.trim() || file.s3?.region;
  const pathStyle = env['CAIRN_S3_FORCE_PATH_STYLE']?.trim();
  const forcePathStyle = pathStyle ? pathStyle !== 'false' && pathStyle !== '0' : file.s3?.forcePathStyle;
  return { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(forcePathStyle !== undefined ? { forcePathStyle } : {}) };
}

/**
 * A task's S3 store on a machine of its own (a queue worker): the run's bucket and prefix, reached
 * the way this machine says where it says anything (its endpoint, region, path style), else the
 * orchestrator's way. A worker's own endpoint also sets path style unless that is named.
 */
export function withOwnS3Settings<T extends Extract<ArtifactStoreConfig, { kind: 's3' }>>(run: T, own: OwnS3Settings): T {
  const out: T = { ...run };
  if (own.endpoint) {
    out.endpoint = own.endpoint;
    out.forcePathStyle = own.forcePathStyle ?? true;
  } else if (own.forcePathStyle !== undefined) out.forcePathStyle = own.forcePathStyle;
  if (own.region) out.region = own.region;
  return out;
}

/** Works out where the stores live; touches nothing on disk (but reads the config file). */
export function resolveStoreConfig(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): StoreConfig {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const rootSetting = env[DATASTORE_ROOT_ENV]?.trim();
  const remoteRoot = rootSetting?.startsWith('s3://') ? rootSetting : undefined;
  const localRoot = rootSetting && !remoteRoot ? resolve(cwd, rootSetting) : (findDatastore(cwd) ?? join(cwd, DATASTORE_DIR));
  const file = readFileSettings(localRoot, env);
  const base = storeConfigAt(localRoot);

  const datastore = env['CAIRN_DATASTORE']?.trim() || (remoteRoot ? 's3' : file.datastore) || 'local';
  let artifacts: ArtifactStoreConfig = base.artifacts;
  if (datastore === 's3') {
    const url = remoteRoot ?? file.datastoreRoot;
    const m = url ? /^s3:\/\/([^/]+)\/?(.*)$/.exec(url) : null;
    if (!m) {
      throw invalidSetting(`The s3 datastore needs ${DATASTORE_ROOT_ENV}=s3://bucket/prefix (got ${url ? JSON.stringify(url) : 'nothing'}).`);
    }
    const own = ownS3Settings(env, file);
    artifacts = {
      kind: 's3',
      bucket: m[1]!,
      prefix: m[2]!.replace(/^\/+|\/+$/g, ''),
      ...(own.endpoint ? { endpoint: own.endpoint } : {}),
      region: own.region ?? 'us-east-1',
      forcePathStyle: own.forcePathStyle ?? own.endpoint !== undefined,
      cacheDir: join(localRoot, 'cache', 'blobs'),
    };
  } else if (datastore !== 'local') {
    throw invalidSetting(`CAIRN_DATASTORE must be local or s3; got ${JSON.stringify(datastore)}.`);
  }

  const metadataUrl = env['CAIRN_METADATA_URL']?.trim() || file.metadataUrl;
  const metadataKind = env['CAIRN_METADATA']?.trim() || file.metadata || (metadataUrl?.startsWith('postgres') ? 'postgres' : 'sqlite');
  let metadata: MetadataStoreConfig = base.metadata;
  if (metadataKind === 'postgres') {
    if (!metadataUrl) throw invalidSetting('The postgres metadata store needs CAIRN_METADATA_URL=postgres://user@host:port/database.');
    metadata = { kind: 'postgres', url: metadataUrl };
  } else if (metadataKind !== 'sqlite') {
    throw invalidSetting(`CAIRN_METADATA must be sqlite or postgres; got ${JSON.stringify(metadataKind)}.`);
  }
  return { root: localRoot, artifacts, metadata };
}

/** The configuration of the default backends over one folder. */
export function storeConfigAt(root: string): StoreConfig {
  const abs = resolve(root);
  return {
    root: abs,
    artifacts: { kind: 'local', root: abs },
    metadata: { kind: 'sqlite', path: join(abs, METADATA_FILE) },
  };
}

/** Creates a local store folder, saying plainly when the path (or a parent) is not a folder. */
function makeStoreFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      let file = dir;
      while (dirname(file) !== file && statSync(file, { throwIfNoEntry: false })?.isFile() !== true) file = dirname(file);
      throw new CairnError(
        'STORE',
        `The store folder ${dir} cannot be created: ${file} is a file, not a folder. Point ${DATASTORE_ROOT_ENV} at a folder ` +
          `(or move the file away).`,
        { cause: e },
      );
    }
    throw new CairnError('STORE', `The store folder ${dir} cannot be created: ${(e as Error).message}.`, { cause: e });
  }
}

/**
 * A store folder that holds task records but whose metadata database is gone or empty has lost
 * its runs' records: starting a fresh database there would hide every earlier run, so it refuses.
 */
function checkMetadataNotLost(root: string, dbPath: string): void {
  const db = statSync(dbPath, { throwIfNoEntry: false });
  if (db !== undefined && db.size > 0) return;
  let records: string[];
  try {
    records = readdirSync(join(root, 'tasks'));
  } catch {
    return; // no task records: a new store
  }
  if (records.length === 0) return;
  throw new CairnError(
    'STORE',
    `The store at ${root} holds the artifacts of earlier runs (${join(root, 'tasks')}), but its metadata database ${dbPath} is ` +
      `${db === undefined ? 'missing' : 'empty'}: a new one would hide every earlier run. Restore ${dbPath} from a backup ` +
      `(with its -wal file, if any); or, to start afresh, move the store aside (mv ${root} ${root}.old) and run again.`,
  );
}

function noData(where: string, cause?: unknown): CairnError {
  return new CairnError(
    'NOT_FOUND',
    `No cairn data was found at ${where}. Run this from the project folder (or a subfolder) whose .cairn ` +
      `folder holds your runs, or set ${DATASTORE_ROOT_ENV} to the folder that holds the data.`,
    cause === undefined ? undefined : { cause },
  );
}

function unknownKind(what: string, kind: unknown): CairnError {
  return new CairnError('INVALID_ARGUMENT', `Unknown ${what} kind ${JSON.stringify(kind)} in the store configuration.`);
}

/**
 * Opens the artifact store. With `create: false` (reading), a missing store rejects with
 * `NOT_FOUND`; with `create: true` (the default) its folder is created.
 */
export async function openArtifactStore(cfg: TaskStoreConfig, opts: { create?: boolean } = {}): Promise<ArtifactStore> {
  const a = cfg.artifacts;
  switch (a.kind) {
    case 'local': {
      if (opts.create === false) {
        if (!isDirectory(a.root)) throw noData(a.root);
      } else {
        makeStoreFolder(a.root);
      }
      return new LocalArtifactStore(a.root);
    }
    case 's3': {
      // Loaded on demand, so the AWS SDK loads only where S3 is used. Nothing is created here: the
      // bucket must exist (a missing one rejects, saying so), and the read cache's folder is made
      // on the first cached read, and, for readers (create: false), only inside an existing local folder.
      const { S3ArtifactStore } = await import('./s3-artifact-store.js');
      const { kind: _, cacheDir, ...settings } = a;
      const useCache = opts.create !== false || isDirectory(cfg.root);
      const store = new S3ArtifactStore({ ...settings, ...(useCache ? { cacheDir } : {}) });
      try {
        await store.checkBucket();
      } catch (e) {
        await store.close();
        throw e;
      }
      return store;
    }
    default:
      throw unknownKind('artifact store', (a as { kind?: unknown }).kind);
  }
}

/**
 * Opens the metadata store. With `create: false` (reading), a missing database rejects with
 * `NOT_FOUND`; with `create: true` it is created, with its folder.
 */
export async function openMetadataStore(cfg: StoreConfig, opts: { create: boolean }): Promise<MetadataStore> {
  const m = cfg.metadata;
  switch (m.kind) {
    case 'sqlite': {
      if (opts.create) {
        makeStoreFolder(dirname(m.path));
        checkMetadataNotLost(cfg.root, m.path);
      } else if (statSync(m.path, { throwIfNoEntry: false }) === undefined) {
        throw noData(cfg.root);
      }
      // Loaded on demand: worker processes open only the artifact store.
      const { SqliteMetadataStore } = await import('./sqlite-metadata-store.js');
      try {
        return new SqliteMetadataStore(m.path, { create: opts.create });
      } catch (e) {
        if (e instanceof CairnError && e.code === 'NOT_FOUND') throw noData(cfg.root, e);
        throw e;
      }
    }
    case 'postgres': {
      // Loaded on demand, so `pg` loads only where Postgres is used. With create: false, a database
      // without the cairn schema rejects with NOT_FOUND and is left as it is.
      const { PostgresMetadataStore } = await import('./postgres-metadata-store.js');
      return PostgresMetadataStore.open(m.url, { create: opts.create });
    }
    default:
      throw unknownKind('metadata store', (m as { kind?: unknown }).kind);
  }
}
