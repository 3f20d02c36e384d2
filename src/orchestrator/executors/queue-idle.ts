/**
 * Notices for a run whose tasks wait on the queue with no worker taking them: no worker connected,
 * none that advertises enough for a step's `@resources`, or all of them busy.
 */
import type { Redis } from 'ioredis';
import { biggerFirst, describeResources, fits, queueKeys, type Resources, type WorkerAd } from './queue-protocol.js';

export interface IdleWatchOptions {
  client: Redis;
  prefix: string;
  /** Tasks waiting this long, with no task of the run started meanwhile, get a notice. */
  afterMs: number;
  notice(text: string): void;
  /** Where the executor looks, for the message (server and prefix). */
  where: string;
}

export interface WaitingTask {
  step: string;
  need: Resources;
  /** When it was put on the queue. */
  since: number;
}

/** The workers whose advertisement has not expired. */
export async function liveWorkers(client: Redis, prefix: string): Promise<WorkerAd[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', queueKeys(prefix).workerPattern, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const ads: WorkerAd[] = [];
  for (const text of await client.mget(...keys)) {
    if (!text) continue;
    try {
      ads.push(JSON.parse(text) as WorkerAd);
    } catch {
      // Not a cairn worker's advertisement: ignore it.
    }
  }
  return ads;
}

export class IdleWatch {
  private lastProgress = Date.now();
  private anyStarted = false;
  private noticed = false;

  constructor(private readonly o: IdleWatchOptions) {}

  /** A task of the run started. */
  progress(): void {
    this.lastProgress = Date.now();
    this.anyStarted = true;
    this.noticed = false;
  }

  /** Prints a notice, once per stretch without progress, when tasks have waited too long. */
  async check(waiting: readonly WaitingTask[]): Promise<void> {
    const now = Date.now();
    const stuck = waiting.filter((w) => now - w.since >= this.o.afterMs);
    if (this.noticed || stuck.length === 0 || now - this.lastProgress < this.o.afterMs) return;
    this.noticed = true;
    const workers = await liveWorkers(this.o.client, this.o.prefix);
    for (const line of idleNotice(stuck, workers, { seconds: Math.round(this.o.afterMs / 1000), anyStarted: this.anyStarted, where: this.o.where })) {
      this.o.notice(line);
    }
  }
}

/** The lines of the notice: what waits, and why no worker takes it as far as can be told. */
export function idleNotice(stuck: readonly WaitingTask[], workers: readonly WorkerAd[], o: { seconds: number; anyStarted: boolean; where: string }): string[] {
  const head = o.anyStarted ? `No worker has taken a task for ${o.seconds} s` : `No worker has taken a task yet (${o.seconds} s)`;
  if (workers.length === 0) return [`${head}; start one with \`cairn worker\` (${o.where}).`];
  const lines = [`${head}; ${workers.length} worker${workers.length === 1 ? ' is' : 's are'} connected (${o.where}).`];
  const byNeed = new Map<string, WaitingTask>();
  for (const w of stuck) byNeed.set(`${w.step} ${describeResources(w.need)}`, w);
  const largest = [...workers].sort((a, b) => biggerFirst(a.capacity, b.capacity))[0]!;
  for (const w of byNeed.values()) {
    const able = workers.filter((ad) => fits(w.need, ad.capacity));
    if (able.length === 0) {
      lines.push(
        `    Step ${w.step} needs ${describeResources(w.need)} (@resources), which no connected worker has ` +
          `(the largest advertises ${describeResources(largest.capacity)}); start a worker that does: \`cairn worker${flagsFor(w.need)}\`.`,
      );
    } else {
      lines.push(`    Step ${w.step}: ${able.length} connected worker${able.length === 1 ? ' fits' : 's fit'} its needs but ${able.length === 1 ? 'is' : 'are'} busy.`);
    }
  }
  return lines;
}

/** `cairn worker` options that advertise at least `need`. */
function flagsFor(need: Resources): string {
  return (['cpu', 'memory', 'gpu'] as const).map((k) => (need[k] > 0 ? ` --${k} ${need[k]}` : '')).join('');
}
