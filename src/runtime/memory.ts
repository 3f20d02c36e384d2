/**
 * Gives large artifacts' memory back between tasks. A worker runs many tasks; a task that handled a
 * large value (a 200 MB array written or read) leaves it as garbage that V8 may keep for a while,
 * and the next task that reads a large value would then hold two. After a task, when the memory
 * outside the JS heap (array buffers) grew by `threshold` since the last collection, a full
 * collection runs; tasks that handle small values never pay for one.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

const THRESHOLD = 64 * 1024 * 1024;
let gc: (() => void) | null | undefined;
let baseline = 0;

function collector(): (() => void) | null {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  return gc;
}

/** Runs a full collection when array buffers grew by `threshold` bytes since the last one; returns whether it ran. */
export function releaseLargeGarbage(threshold = THRESHOLD): boolean {
  const external = v8.getHeapStatistics().external_memory;
  if (external - baseline < threshold) return false;
  const collect = collector();
  if (!collect) return false;
  collect();
  baseline = v8.getHeapStatistics().external_memory;
  return true;
}
