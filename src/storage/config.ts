/**
 * Where a project's data lives, and opening the stores from that description. `StoreConfig` is
 * plain JSON: the orchestrator sends it to worker processes, which open the same stores.
 *
 * Resolution: `CAIRN_DATASTORE_ROOT` (a folder that holds the data directly); otherwise a `.cairn`
 * folder in the current folder or its nearest ancestor; otherwise `<cwd>/.cairn`, created only when
 * a store is opened for writing.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CairnError } from '../errors.js';
import { LocalArtifactStore } from './local-artifact-store.js';
import type { ArtifactStore, MetadataStore } from './types.js';

export type ArtifactStoreConfig = { kind: 'local'; root: string };
export type MetadataStoreConfig = { kind: 'sqlite'; path: string };

export interface StoreConfig {
  /** The folder that holds the project's data (for messages, and for backends that keep files). */
  root: string;
  artifacts: ArtifactStoreConfig;
  metadata: MetadataStoreConfig;
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

/** Works out where the stores live; touches nothing on disk. */
export function resolveStoreConfig(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): StoreConfig {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const fromEnv = env[DATASTORE_ROOT_ENV]?.trim();
  const root = fromEnv ? resolve(cwd, fromEnv) : (findDatastore(cwd) ?? join(cwd, DATASTORE_DIR));
  return storeConfigAt(root);
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
export async function openArtifactStore(cfg: StoreConfig, opts: { create?: boolean } = {}): Promise<ArtifactStore> {
  const a = cfg.artifacts;
  switch (a.kind) {
    case 'local': {
      if (opts.create === false) {
        if (!isDirectory(a.root)) throw noData(a.root);
      } else {
        mkdirSync(a.root, { recursive: true });
      }
      return new LocalArtifactStore(a.root);
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
        mkdirSync(dirname(m.path), { recursive: true });
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
    default:
      throw unknownKind('metadata store', (m as { kind?: unknown }).kind);
  }
}
