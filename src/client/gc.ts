/** `gc(options)`: cleaning the store the client reads, as `cairn gc` does. */
import { collectGarbage, type GcReport } from '../storage/gc.js';
import type { GcOptions } from '../storage/gc-policy.js';
import { clientContext } from './context.js';

export type { GcOptions, GcReport };

/**
 * Deletes runs by policy, then every blob that no remaining run uses, in the store the client
 * reads (see `useDatastore`). Runs still going are never deleted, and a blob written or reused
 * after the collection started (or after the oldest run still going started) is never deleted.
 * A bad policy rejects with `INVALID_ARGUMENT` before anything changes.
 *
 * @example
 * const report = await gc({ keepLast: 10, olderThan: '30d', keepTags: ['production'] });
 * console.log(`${report.runs.deleted.length} runs and ${report.blobs.deleted} blobs deleted`);
 */
export async function gc(options: GcOptions = {}): Promise<GcReport> {
  return collectGarbage(await clientContext(), options);
}
