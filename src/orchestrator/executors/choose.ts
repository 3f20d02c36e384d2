/**
 * Which executor runs a run's tasks: `--executor local|queue`, else `CAIRN_EXECUTOR`, else the
 * config file's `executor`, else `local`. The queue executor's Redis server comes from
 * `CAIRN_REDIS_URL` or the config file's `redisUrl`, its key prefix from `CAIRN_QUEUE_PREFIX` or
 * `queuePrefix` (workers must use the same server and prefix).
 */
import { CairnError } from '../../errors.js';
import { readFileSettings } from '../../storage/config.js';
import { DEFAULT_PREFIX, DEFAULT_REDIS_URL } from './queue-protocol.js';
import { LocalPool } from './local-pool.js';
import { dropEarlyWorker } from './worker-process.js';
import type { Executor } from './types.js';

export type ExecutorKind = 'local' | 'queue';

export interface QueueSettings {
  redisUrl: string;
  prefix: string;
}

export interface ExecutorSettings extends QueueSettings {
  kind: ExecutorKind;
}

function invalid(message: string): CairnError {
  return new CairnError('INVALID_ARGUMENT', message);
}

export function checkPrefix(prefix: string, where: string): string {
  if (!/^[\w.:-]+$/.test(prefix)) {
    throw invalid(`${where} must be letters, digits, '_', '.', ':' or '-'; got ${JSON.stringify(prefix)}.`);
  }
  return prefix;
}

/** The Redis server and key prefix of the queue, from the option, the environment, the config file. */
export function resolveQueueSettings(opts: { localRoot: string; env?: NodeJS.ProcessEnv; redisUrl?: string; prefix?: string }): QueueSettings {
  const env = opts.env ?? process.env;
  const file = readFileSettings(opts.localRoot, env);
  const redisUrl = opts.redisUrl?.trim() || env['CAIRN_REDIS_URL']?.trim() || file.redisUrl || DEFAULT_REDIS_URL;
  const fromEnv = env['CAIRN_QUEUE_PREFIX']?.trim();
  const prefix = opts.prefix?.trim() || fromEnv || file.queuePrefix || DEFAULT_PREFIX;
  const where = opts.prefix?.trim() ? '--queue-prefix' : fromEnv ? 'CAIRN_QUEUE_PREFIX' : 'queuePrefix';
  return { redisUrl, prefix: checkPrefix(prefix, `The queue prefix (${where})`) };
}

export function resolveExecutorSettings(opts: { localRoot: string; env?: NodeJS.ProcessEnv; option?: string }): ExecutorSettings {
  const env = opts.env ?? process.env;
  const fromEnv = env['CAIRN_EXECUTOR']?.trim();
  const kind = opts.option?.trim() || fromEnv || readFileSettings(opts.localRoot, env).executor || 'local';
  if (kind !== 'local' && kind !== 'queue') {
    const where = opts.option?.trim() ? '--executor' : fromEnv ? 'CAIRN_EXECUTOR' : 'The config file\'s "executor"';
    throw invalid(`${where} must be local or queue; got ${JSON.stringify(kind)}.`);
  }
  return { kind, ...resolveQueueSettings({ localRoot: opts.localRoot, env }) };
}

export interface ExecutorContext {
  /** At most this many tasks run at once (the local pool's processes; the queue's tasks of this run). */
  maxWorkers: number;
  /** A line for the person watching the run (a notice from the executor). */
  notice(text: string): void;
  /** The run's environment (the local pool's processes get it). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Creates the executor. The local pool starts its first process at once; the queue executor
 * connects to Redis first and rejects, saying so, when it cannot.
 */
export async function createExecutor(settings: ExecutorSettings, ctx: ExecutorContext): Promise<Executor> {
  if (settings.kind === 'local') {
    const pool = new LocalPool({ maxWorkers: ctx.maxWorkers, ...(ctx.env ? { env: ctx.env } : {}) });
    pool.warm();
    return pool;
  }
  dropEarlyWorker(); // tasks run on `cairn worker` processes: the one the CLI forked is not needed
  const { QueueExecutor } = await import('./queue.js');
  const seconds = Number((ctx.env ?? process.env)['CAIRN_QUEUE_IDLE_NOTICE_SECONDS'] ?? 30);
  return QueueExecutor.connect({
    redisUrl: settings.redisUrl,
    prefix: settings.prefix,
    maxInFlight: ctx.maxWorkers,
    notice: ctx.notice,
    idleNoticeMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000,
  });
}
