/**
 * The thread behind `SyncBridge`: owns an S3 client, downloads each requested blob into its
 * destination file (verified, renamed into place whole), and wakes the waiting thread.
 */
import { CairnError } from '../errors.js';
import { createS3Client, Limiter, s3Failure } from './s3-client.js';
import { downloadBlobToFile, TRANSFER_CONCURRENCY, type S3Io } from './s3-transfer.js';
import { REPLY, type BridgeData, type FetchReply, type FetchRequest } from './s3-sync-bridge.js';

export function serve(data: BridgeData): void {
  const signal = new Int32Array(data.signal);
  const io: S3Io = {
    client: createS3Client(data.settings, TRANSFER_CONCURRENCY),
    settings: data.settings,
    limit: new Limiter(TRANSFER_CONCURRENCY),
  };
  const handle = async (req: FetchRequest): Promise<void> => {
    let reply: FetchReply;
    try {
      reply = { id: req.id, ok: true, size: await downloadBlobToFile(io, req.key, req.sha, req.dest) };
    } catch (e) {
      const err = e instanceof CairnError ? e : s3Failure(e, data.settings, `Cannot read blob ${req.sha}`);
      reply = { id: req.id, ok: false, code: err.code, message: err.message };
    }
    data.port.postMessage(reply);
    Atomics.store(signal, REPLY, req.id);
    Atomics.notify(signal, REPLY);
  };
  data.port.on('message', (req: FetchRequest) => void handle(req));
}
