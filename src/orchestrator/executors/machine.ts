/**
 * What this machine (or container) has, as `cairn worker` advertises it by default: CPUs and memory
 * within the cgroup's limits when there are any (a Kubernetes pod's limits), and the NVIDIA GPUs the
 * driver lists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { Resources } from './queue-protocol.js';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** CPUs: the cores this process may use, fewer if a cgroup quota allows less (rounded up). */
export function machineCpus(): number {
  const cores = availableParallelism();
  const [quota, period] = (read('/sys/fs/cgroup/cpu.max') ?? '').split(' ');
  if (quota && quota !== 'max' && Number(period) > 0) return Math.max(1, Math.min(cores, Math.ceil(Number(quota) / Number(period))));
  const v1Quota = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'));
  const v1Period = Number(read('/sys/fs/cgroup/cpu/cpu.cfs_period_us'));
  if (v1Quota > 0 && v1Period > 0) return Math.max(1, Math.min(cores, Math.ceil(v1Quota / v1Period)));
  return cores;
}

/** Megabytes: the machine's memory, less if a cgroup limit is lower. */
export function machineMemoryMb(): number {
  const total = totalmem();
  const limits = [read('/sys/fs/cgroup/memory.max'), read('/sys/fs/cgroup/memory/memory.limit_in_bytes')]
    .map((v) => Number(v))
    .filter((v) => Number.isFinite(v) && v > 0 && v < total);
  return Math.floor(Math.min(total, ...limits) / 2 ** 20);
}

/** GPUs the NVIDIA driver lists (0 without one). */
export function machineGpus(): number {
  try {
    return readdirSync('/proc/driver/nvidia/gpus').length;
  } catch {
    return 0;
  }
}

export function machineResources(): Resources {
  return { cpu: machineCpus(), memory: machineMemoryMb(), gpu: machineGpus() };
}
