/**
 * The stores the client reads from, opened lazily once per process (read-only: nothing is created).
 * Without `useDatastore(root)`, the store is resolved like the CLI does: `CAIRN_DATASTORE_ROOT`,
 * else the nearest `.cairn/` folder from the current directory up.
 */
import { CairnError, isCairnError } from '../errors.js';
import { openArtifactStore, openMetadataStore, resolveStoreConfig, type StoreConfig } from '../storage/config.js';
import type { ArtifactStore, MetadataStore } from '../storage/types.js';

export interface ClientContext {
  readonly artifacts: ArtifactStore;
  readonly metadata: MetadataStore;
}

let root: string | undefined;
let opening: Promise<ClientContext> | undefined;

/**
 * Points the client at the store rooted at `root` (the folder that holds the data, as
 * `CAIRN_DATASTORE_ROOT` would name it), or back to the default resolution with `undefined`.
 * Stores opened before are closed; objects loaded from them cannot read any more.
 */
export function useDatastore(storeRoot: string | undefined): void {
  if (storeRoot !== undefined && (typeof storeRoot !== 'string' || storeRoot === '')) {
    throw new CairnError('INVALID_ARGUMENT', 'useDatastore() takes the path of a store root, or undefined for the default store.');
  }
  const previous = opening;
  opening = undefined;
  root = storeRoot;
  if (previous) void previous.then(closeContext, () => undefined);
}

/** The open stores, opening them on first use. A failed open is retried on the next call. */
export function clientContext(): Promise<ClientContext> {
  if (!opening) {
    const p = openContext(root);
    opening = p;
    p.catch(() => {
      if (opening === p) opening = undefined;
    });
  }
  return opening;
}

const byConfig = new Map<string, Promise<ClientContext>>();

/**
 * The stores a configuration names, opened once per process and kept apart from the default
 * context (the runner reads the run it just executed here, whatever `useDatastore` says).
 */
export function contextFor(config: StoreConfig): Promise<ClientContext> {
  const key = JSON.stringify(config);
  let ctx = byConfig.get(key);
  if (!ctx) {
    ctx = openContext(config);
    byConfig.set(key, ctx);
    ctx.catch(() => byConfig.delete(key));
  }
  return ctx;
}

/**
 * Opens the stores of a configuration; of a root folder (resolved as `CAIRN_DATASTORE_ROOT` would
 * be, so the other backend settings still apply); or of the default resolution.
 */
async function openContext(target: StoreConfig | string | undefined): Promise<ClientContext> {
  const storeRoot = typeof target === 'object' ? target.root : target;
  try {
    const cfg =
      typeof target === 'object'
        ? target
        : resolveStoreConfig(target === undefined ? {} : { env: { ...process.env, CAIRN_DATASTORE_ROOT: target } });
    const metadata = await openMetadataStore(cfg, { create: false });
    try {
      return { artifacts: await openArtifactStore(cfg, { create: false }), metadata };
    } catch (e) {
      await metadata.close();
      throw e;
    }
  } catch (e) {
    const where = storeRoot ?? 'CAIRN_DATASTORE_ROOT or the nearest .cairn folder';
    if (isCairnError(e)) throw e;
    throw new CairnError(
      'STORE',
      `The client could not open the cairn store (${where}): ${errorText(e)}. ` +
        'Run a flow first, or point the client at a store with useDatastore(root).',
      { cause: e },
    );
  }
}

async function closeContext(ctx: ClientContext): Promise<void> {
  await Promise.allSettled([ctx.metadata.close(), ctx.artifacts.close?.()]);
}

/** Runs a store call; anything it throws that is not a CairnError becomes `CairnError('STORE')`. */
export async function storeCall<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isCairnError(e)) throw e;
    throw new CairnError('STORE', `Reading ${what} from the store failed: ${errorText(e)}.`, { cause: e });
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
