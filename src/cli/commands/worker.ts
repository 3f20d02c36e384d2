import type { FlowlessCommand } from '../command.js';
import type { ParsedArgs } from '../args.js';
import { usageError } from '../args.js';

function amount(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.options[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw usageError(`--${name} takes a number of at least 0; got ${JSON.stringify(raw)}.`);
  return v;
}

function positive(args: ParsedArgs, name: string, fallback: number): number {
  const v = (args.options[name] as number | undefined) ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw usageError(`--${name} must be a whole number of at least 1; got ${v}.`);
  return v;
}

export const command: FlowlessCommand = {
  name: 'worker',
  flowless: true,
  summary: 'Take tasks of runs started with `--executor queue` from the queue and run them.',
  usage: 'cairn worker [options]',
  options: [
    { name: 'concurrency', kind: 'int', metavar: 'N', help: 'run at most N tasks at once (default: the number of CPUs)' },
    { name: 'cpu', kind: 'string', metavar: 'N', help: 'CPUs to offer to @resources (default: this machine\'s or container\'s)' },
    { name: 'memory', kind: 'string', metavar: 'MB', help: 'memory to offer, in megabytes (default: this machine\'s or container\'s)' },
    { name: 'gpu', kind: 'string', metavar: 'N', help: 'GPUs to offer (default: the NVIDIA GPUs found, else 0)' },
    { name: 'queue-prefix', kind: 'string', metavar: 'P', help: 'Redis key prefix of the queue (default: CAIRN_QUEUE_PREFIX, the config file\'s queuePrefix, else cairn)' },
    { name: 'redis-url', kind: 'string', metavar: 'URL', help: 'the Redis server (default: CAIRN_REDIS_URL, the config file\'s redisUrl, else redis://127.0.0.1:6379)' },
    { name: 'name', kind: 'string', metavar: 'NAME', help: 'the worker\'s name in messages (default: host:pid)' },
    { name: 'stall-seconds', kind: 'int', metavar: 'S', help: 'a worker not heard from for S seconds is taken for dead and its tasks run again elsewhere (default 30)' },
  ],
  async run(args) {
    const [{ hostname }, { join }, { QueueWorker }, { resolveQueueSettings }, { machineResources }, { resolveStoreConfig }, { codeDirFor }, { timestamp }] =
      await Promise.all([
        import('node:os'),
        import('node:path'),
        import('../../orchestrator/executors/queue-worker.js'),
        import('../../orchestrator/executors/choose.js'),
        import('../../orchestrator/executors/machine.js'),
        import('../../storage/config.js'),
        import('../../core/code-package.js'),
        import('../../orchestrator/console.js'),
      ]);
    const o = args.options;
    const machine = machineResources();
    const capacity = { cpu: amount(args, 'cpu', machine.cpu), memory: amount(args, 'memory', machine.memory), gpu: amount(args, 'gpu', machine.gpu) };
    if (!Number.isInteger(capacity.gpu)) throw usageError(`--gpu takes a whole number; got ${capacity.gpu}.`);
    const concurrency = positive(args, 'concurrency', Math.max(1, Math.floor(machine.cpu)));
    const stallSeconds = positive(args, 'stall-seconds', 30);
    // The local folder holds this machine's caches; the artifact store is the one each task names.
    const localRoot = resolveStoreConfig().root;
    const queue = resolveQueueSettings({
      localRoot,
      ...(o['redis-url'] !== undefined ? { redisUrl: o['redis-url'] as string } : {}),
      ...(o['queue-prefix'] !== undefined ? { prefix: o['queue-prefix'] as string } : {}),
    });
    const name = (o['name'] as string | undefined) ?? `${hostname()}:${process.pid}`;
    const log = (line: string) => process.stdout.write(`${timestamp()} ${line}\n`);
    const worker = await QueueWorker.start({
      ...queue, name, concurrency, capacity, stallMs: stallSeconds * 1000, localRoot,
      codeDir: codeDirFor(join(process.cwd(), 'worker'), join(localRoot, 'code')),
      log,
    });
    const { redactUrl, describeResources } = await import('../../orchestrator/executors/queue-protocol.js');
    log(`Worker ${name} is taking tasks from ${redactUrl(queue.redisUrl)} (queue prefix ${queue.prefix}): ` +
      `at most ${concurrency} at once, offering ${describeResources(capacity)}.`);
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals === 1) {
        log(`${signal}: finishing the ${worker.runningCount} running task(s), then stopping; ${signal} again stops them now (they run again elsewhere).`);
        void worker.stop();
      } else {
        log(`${signal}: stopping the running tasks now.`);
        void worker.kill();
      }
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    await worker.stopped;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log(`Worker ${name} stopped.`);
    return 0;
  },
};
