/**
 * End-to-end fixtures for the queue executor: `cairn worker` processes started from a test project,
 * a queue prefix of their own per test file (so test files and other users of the server never
 * share a queue), and cleanup of that prefix's keys.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { bin, type Project } from './helpers.js';

export const REDIS_ENV = 'CAIRN_TEST_REDIS_URL';
export const REDIS_SKIP_REASON =
  `${REDIS_ENV} is not set, so the queue executor tests are skipped. Start a server with ` +
  '`scripts/services.sh start /tmp/cairn-services` and run `. /tmp/cairn-services/env.sh` first (CI sets it).';

export function testPrefix(): string {
  return `cairn-test-${randomBytes(4).toString('hex')}`;
}

/** The environment that points the CLI and workers at the test server under `prefix`. */
export function queueEnv(redisUrl: string, prefix: string): Record<string, string> {
  return { CAIRN_REDIS_URL: redisUrl, CAIRN_QUEUE_PREFIX: prefix };
}

export class WorkerProcess {
  output = '';
  readonly exited: Promise<number | null>;
  private constructor(readonly proc: ChildProcess, readonly name: string) {
    proc.stdout!.on('data', (d) => (this.output += d));
    proc.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }

  /**
   * Starts `cairn worker --name NAME ...args` in the project folder and waits until it takes tasks.
   * `wrap` turns the command line into another one that runs it (say, in a mount namespace).
   */
  static async start(
    project: Project, name: string, args: string[], env: Record<string, string>, wrap = (command: string[]) => command,
  ): Promise<WorkerProcess> {
    const [file, ...rest] = wrap([process.execPath, bin, 'worker', '--name', name, ...args]);
    const proc = spawn(file!, rest, {
      cwd: project.dir,
      env: { ...process.env, CAIRN_USER: 'tester', CAIRN_DATASTORE_ROOT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const w = new WorkerProcess(proc, name);
    await w.waitFor(/is taking tasks/);
    return w;
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves when the worker's output matches `pattern`; rejects (with the output) if it exits or a minute passes. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (pattern.test(this.output)) {
          clearInterval(poll);
          resolve();
        } else if (this.proc.exitCode !== null || this.proc.signalCode !== null || Date.now() - started > timeoutMs) {
          clearInterval(poll);
          reject(new Error(`worker ${this.name} never printed ${pattern}:\n${this.output}`));
        }
      }, 25);
    });
  }

  /** SIGTERM: the worker finishes what it runs and exits. */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    return this.exited;
  }
}

/** Deletes every key under `prefix` (the queues, the registry, the workers' advertisements). */
export async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** The values of every job hash under `prefix` (to check what the queue holds). */
export async function jobHashes(redisUrl: string, prefix: string): Promise<Array<Record<string, string>>> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const out: Array<Record<string, string>> = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:tasks-*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        if ((await client.type(key)) === 'hash') out.push(await client.hgetall(key));
      }
    } while (cursor !== '0');
    return out;
  } finally {
    client.disconnect();
  }
}
