import { defineCommand } from '../command.js';
import { usageError } from '../args.js';

/** A number of at least 0 given as text (`--cpu 0.5`), or the fallback when it was not given. */
function amount(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw usageError(`--${name} takes a number of at least 0; got ${JSON.stringify(raw)}.`);
  return v;
}

function positive(name: string, given: number | undefined, fallback: number): number {
  const v = given ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw usageError(`--${name} must be a whole number of at least 1; got ${v}.`);
  return v;
}

export default defineCommand({
  name: 'worker',
  flowless: true,
  summary: 'Take tasks of runs started with `--executor queue` from the queue and run them.',
  usage: 'cairn worker [options]',
  options: {
    concurrency: { kind: 'int', metavar: 'N', help: 'run at most N tasks at once (default: the number of CPUs)' },
    cpu: { kind: 'string', metavar: 'N', help: "CPUs to offer to @resources (default: this machine's or container's)" },
    memory: { kind: 'string', metavar: 'MB', help: "memory to offer, in megabytes (default: this machine's or container's)" },
    gpu: { kind: 'string', metavar: 'N', help: 'GPUs to offer (default: the NVIDIA GPUs found, else 0)' },
    'queue-prefix': { kind: 'string', metavar: 'P', help: "Redis key prefix of the queue (default: CAIRN_QUEUE_PREFIX, the config file's queuePrefix, else cairn)" },
    'redis-url': { kind: 'string', metavar: 'URL', help: "the Redis server (default: CAIRN_REDIS_URL, the config file's redisUrl, else redis://127.0.0.1:6379)" },
    name: { kind: 'string', metavar: 'NAME', help: "the worker's name in messages (default: host:pid)" },
    'stall-seconds': { kind: 'int', metavar: 'S', help: 'a worker not heard from for S seconds is taken for dead and its tasks run again elsewhere (default 30)' },
  },
  async run(args) {
    const [{ hostname }, { join }, { QueueWorker }, { resolveQueueSettings }, { machineResources }, { ownS3Settings, readFileSettings, resolveStoreConfig }, { checkCodeDirWritable, codeDirFor }, { timestamp }] =
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
    const capacity = { cpu: amount('cpu', o.cpu, machine.cpu), memory: amount('memory', o.memory, machine.memory), gpu: amount('gpu', o.gpu, machine.gpu) };
    if (!Number.isInteger(capacity.gpu)) throw usageError(`--gpu takes a whole number; got ${capacity.gpu}.`);
    const concurrency = positive('concurrency', o.concurrency, Math.max(1, Math.floor(machine.cpu)));
    const stallSeconds = positive('stall-seconds', o['stall-seconds'], 30);
    // The local folder holds this machine's caches; the artifact store is the one each task names.
    const localRoot = resolveStoreConfig().root;
    // Where this machine says how it reaches S3, that wins over what the run's orchestrator uses.
    const s3 = ownS3Settings(process.env, readFileSettings(localRoot));
    const queue = resolveQueueSettings({
      localRoot,
      ...(o['redis-url'] !== undefined ? { redisUrl: o['redis-url'] } : {}),
      ...(o['queue-prefix'] !== undefined ? { prefix: o['queue-prefix'] } : {}),
    });
    const name = o.name ?? `${hostname()}:${process.pid}`;
    const log = (line: string) => process.stdout.write(`${timestamp()} ${line}\n`);
    const codeDir = codeDirFor(join(process.cwd(), 'worker'), join(localRoot, 'code'));
    // Refused before taking any task: a worker that cannot write code packages would fail every one.
    checkCodeDirWritable(codeDir);
    const worker = await QueueWorker.start({ ...queue, name, concurrency, capacity, stallMs: stallSeconds * 1000, localRoot, codeDir, s3, log });
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
});
