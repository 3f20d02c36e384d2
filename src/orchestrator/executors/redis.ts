/**
 * Connections to Redis for the queue executor and `cairn worker`: the first connection fails fast,
 * with a message that says where cairn looked and how to change it; once connected, a lost
 * connection is retried for as long as it takes.
 */
import { Redis } from 'ioredis';
import { CairnError } from '../../errors.js';
import { redactUrl } from './queue-protocol.js';

const CONNECT_TIMEOUT_MS = 5000;

export function checkRedisUrl(url: string): string {
  if (!/^rediss?:\/\//.test(url)) {
    throw new CairnError('INVALID_ARGUMENT', `The Redis URL must look like redis://host:6379 or rediss://host:6380; got ${JSON.stringify(url)}.`);
  }
  return url;
}

/**
 * Connects to the Redis server at `url` and checks that it answers. `onError` hears connection
 * errors after that (they are retried); by default they are ignored, as the commands that fail
 * report them.
 */
export async function connectRedis(url: string, onError: (e: Error) => void = () => {}): Promise<Redis> {
  checkRedisUrl(url);
  let connected = false;
  const client = new Redis(url, {
    lazyConnect: true,
    // BullMQ's blocking commands need this; commands wait for a reconnection instead of failing.
    maxRetriesPerRequest: null,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => (connected ? Math.min(times * 200, 2000) : null),
  });
  let first: Error | undefined;
  client.on('error', (e: Error) => (connected ? onError(e) : (first ??= e)));
  try {
    await client.connect();
    await client.ping();
    connected = true;
    return client;
  } catch (e) {
    // A connection that never opened has ended already; disconnecting again would wait 2 s for nothing.
    if (client.status !== 'end') client.disconnect();
    const why = (first ?? (e as Error)).message || String(e);
    throw new CairnError(
      'EXECUTOR',
      `Cannot reach Redis at ${redactUrl(url)} (${why}). The queue executor and \`cairn worker\` need it: start Redis, ` +
        'or point CAIRN_REDIS_URL (or "redisUrl" in the config file) at the right server.',
      { cause: e },
    );
  }
}

/** Closes a connection, waiting for commands in flight; never rejects. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
