/**
 * Synchronous blob reads for the S3 store. A step reads an inherited artifact with a plain property
 * access (`this.x`), so the runtime needs the bytes without awaiting. The bridge hands the download
 * to a `worker_threads` thread that owns its own S3 client; the calling thread posts the request
 * and sleeps in `Atomics.wait` on a shared word until the thread has written the verified blob to
 * the destination file (or failed), then takes the reply with `receiveMessageOnPort`.
 *
 * The thread starts on the first synchronous miss, is reused, and never keeps the process alive.
 * If it dies, the waiting read fails with `STORE` and the next read starts a new thread.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CairnError, type ErrorCode } from '../errors.js';
import type { S3Settings } from './s3-client.js';

export interface FetchRequest {
  id: number;
  key: string;
  sha: string;
  /** Where the verified blob must be (renamed into place whole). */
  dest: string;
}

export type FetchReply =
  | { id: number; ok: true; size: number }
  | { id: number; ok: false; code: ErrorCode; message: string }
  | { id: -1; fatal: string };

export interface BridgeData {
  port: MessagePort;
  signal: SharedArrayBuffer;
  settings: S3Settings;
}

/** The value of the shared word once the thread is gone. */
export const DEAD = 0x7fffffff;

/** Slots of the shared words: the id of the last reply (or DEAD), and whether the thread started. */
export const REPLY = 0;
const STARTED = 1;
/** How long a thread may take to start running its first line. */
const START_TIMEOUT_MS = 60_000;

/**
 * The thread's entry, a `data:` URL (always an ES module, whatever flags the process was started
 * with): marks the thread started, reports a thread that fails to load or crashes through the
 * shared words, then loads the serving module. Under the TypeScript sources (tests), tsx is
 * registered first, since a thread does not inherit the loader hooks of its parent.
 */
const BOOTSTRAP = `
import { workerData } from 'node:worker_threads';
const signal = new Int32Array(workerData.signal);
Atomics.store(signal, ${STARTED}, 1);
let dead = false;
const die = (why) => {
  if (dead) return;
  dead = true;
  try { workerData.port.postMessage({ id: -1, fatal: String((why && why.stack) || why) }); } catch {}
  Atomics.store(signal, ${REPLY}, ${DEAD});
  Atomics.notify(signal, ${REPLY});
};
process.on('uncaughtException', (e) => { die(e); process.exit(1); });
process.on('exit', () => die('the thread exited'));
try {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  (await import(workerData.entry)).serve(workerData);
} catch (e) {
  die(e);
  process.exit(1);
}
`;
const BOOTSTRAP_URL = new URL(`data:text/javascript,${encodeURIComponent(BOOTSTRAP)}`);

interface Running {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

export class SyncBridge {
  private running: Running | undefined;
  private nextId = 0;

  /** `env`: the environment the thread's credential chain sees (a snapshot taken when the store opened). */
  constructor(
    private readonly settings: S3Settings,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private start(): Running {
    if (this.running && Atomics.load(this.running.signal, REPLY) !== DEAD) return this.running;
    if (this.running) void this.close(); // it died since the last read
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(8);
    const self = import.meta.url;
    const fromSources = self.endsWith('.ts');
    const entry = new URL(`./s3-sync-worker.${fromSources ? 'ts' : 'js'}`, self).href;
    const workerData = {
      port: port2,
      signal: shared,
      settings: this.settings,
      entry,
      tsx: fromSources ? import.meta.resolve('tsx/esm/api') : undefined,
    };
    const worker = new Worker(BOOTSTRAP_URL, { env: this.env, workerData, transferList: [port2] });
    worker.unref();
    port1.unref();
    const running: Running = { worker, port: port1, signal: new Int32Array(shared) };
    // Failures are reported through the shared word and the port; the events only tidy up.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  /** Blocks until the thread has put the verified blob at `dest`; throws its CairnError otherwise. */
  fetch(key: string, sha: string, dest: string): void {
    const { port, signal } = this.start();
    const id = ++this.nextId;
    port.postMessage({ id, key, sha, dest } satisfies FetchRequest);
    const startBy = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const seen = Atomics.load(signal, REPLY);
      if (seen >= id) break;
      if (Atomics.load(signal, STARTED) === 0 && Date.now() > startBy) {
        void this.close();
        throw new CairnError('STORE', `The thread that reads S3 blobs for synchronous reads did not start within ${START_TIMEOUT_MS / 1000} s.`);
      }
      Atomics.wait(signal, REPLY, seen, 1000);
    }
    let reply: FetchReply | undefined;
    let fatal: string | undefined;
    for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
      const msg = m.message as FetchReply;
      if ('fatal' in msg) fatal = msg.fatal;
      else if (msg.id === id) reply = msg;
    }
    if (!reply || 'fatal' in reply) {
      void this.close();
      throw new CairnError(
        'STORE',
        `The thread that reads S3 blobs for synchronous reads stopped while reading blob ${sha}: ${fatal ?? 'no reason given'}`,
      );
    }
    if (!reply.ok) throw new CairnError(reply.code, reply.message);
  }

  async close(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running) {
      running.port.close();
      await running.worker.terminate();
    }
  }
}
