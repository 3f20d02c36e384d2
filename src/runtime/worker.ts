/**
 * Entry point of a worker process: takes one task at a time from the orchestrator over IPC, runs
 * it, streams its output back and reports the outcome. A worker is reused for many tasks.
 */
import { openArtifactStore, type TaskStoreConfig } from '../storage/config.js';
import type { ArtifactStore } from '../storage/types.js';
import { activeCapture, installCapture, OutputCapture, setActiveCapture } from './capture.js';
import { runTask } from './task.js';
import type { FromWorker, TaskLogs, TaskOutcome, TaskSpec, ToWorker } from './protocol.js';
import { describeFailure, toException } from './exception.js';
import { runtimeUrl } from '../core/code-package.js';
import { releaseLargeGarbage } from './memory.js';
import { taskPathspec } from '../core/types.js';
import { AsyncLocalStorage } from 'node:async_hooks';

const stores = new Map<string, Promise<ArtifactStore>>();
/** Fails the running task; set while one runs. */
let failTask: ((error: unknown) => void) | undefined;
/** The running task's pathspec and attempt; set while one runs. */
let runningTask: string | undefined;
/**
 * Which task's code started what is running now: timers and promises keep the task that created
 * them, so an error from code an earlier task left running is told apart from the running task's.
 */
const taskCode = new AsyncLocalStorage<string>();

function storeFor(config: TaskStoreConfig): Promise<ArtifactStore> {
  const key = JSON.stringify(config);
  let store = stores.get(key);
  if (!store) {
    store = openArtifactStore(config);
    stores.set(key, store);
  }
  return store;
}

function send(message: FromWorker, sent?: () => void): void {
  process.send!(message, undefined, {}, sent && (() => sent()));
}

async function handle(spec: TaskSpec): Promise<void> {
  const loop = performance.eventLoopUtilization();
  let outcome: TaskOutcome;
  let store: ArtifactStore | undefined;
  let opening: unknown;
  try {
    store = await storeFor(spec.store);
  } catch (e) {
    opening = e;
  }
  const capture = new OutputCapture(store, spec, spec.attempt, {
    lines: (stream, lines, at, seq, sent) => send({ type: 'log', stream, lines, at, ...(seq === undefined ? {} : { seq }) }, sent),
    stored: (stream, stored) => send({ type: 'stored', stream, ...stored }),
  });
  setActiveCapture(capture);
  // An error thrown by code the step left running (a timer, an un-awaited promise) fails this task,
  // as it would end a Node program, instead of crashing the worker during some later task.
  const escaped = new Promise<never>((_, reject) => (failTask = reject));
  try {
    if (opening !== undefined || !store) throw opening;
    const task = `${taskPathspec(spec)} (attempt ${spec.attempt})`;
    runningTask = task;
    outcome = await Promise.race([taskCode.run(task, () => runTask(spec, store!)), escaped]);
  } catch (e) {
    outcome = { ok: false, exception: toException(e) };
  } finally {
    failTask = undefined;
    runningTask = undefined;
    setActiveCapture(undefined);
  }
  // As a program's uncaught error ends its stderr, a failed task's error ends its stored stderr.
  if (!outcome.ok) capture.record('stderr', describeFailure(outcome.exception));
  let logs: TaskLogs = { stdout: null, stderr: null };
  try {
    logs = await capture.finish();
  } catch (e) {
    if (outcome.ok) outcome = { ok: false, exception: toException(e) };
  }
  const used = performance.eventLoopUtilization(loop);
  const usage = { wallMs: used.idle + used.active, busyMs: used.active };
  send({ type: 'done', outcome, logs, usage });
  // Before the next task: a large value this one left behind is not held beside the next one's.
  releaseLargeGarbage();
}

if (!process.send) {
  console.error('This is the cairn worker; it is started by `cairn run` and is not meant to be run by hand.');
  process.exit(2);
}
installCapture();
// The process that started this one is gone (killed, or its machine's worker stopped hard): stop
// at once rather than finish a task whose outcome nobody will hear. It may be gone already (Ctrl-C
// while the CLI was still loading), and then no 'disconnect' comes.
process.on('disconnect', () => process.exit(1));
if (!process.connected) process.exit(1);
// Output nobody reads any more (the pipes closed with the process that started this one) must not
// turn into errors that are reported on that same output, over and over.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => process.exit(1));
// A step that ends the process (`process.exit()`) keeps what it printed until then.
process.on('exit', () => activeCapture()?.flushNow());
process.on('message', (message: ToWorker) => {
  if (message.type === 'run') void handle(message.spec);
});
function escapedError(kind: string, error: unknown): void {
  if (!process.connected) process.exit(1);
  const origin = taskCode.getStore();
  if (failTask && (origin === undefined || origin === runningTask)) return failTask(error);
  const from = origin ? `code that task ${origin} left running after its step returned` : 'code a step left running';
  const notBlamed = runningTask ? `; it does not fail task ${runningTask}, which runs now in the same process` : '';
  process.stderr.write(`${kind} from ${from}${notBlamed}: ${String((error as Error)?.stack ?? error)}\n`);
}
process.on('unhandledRejection', (reason) => escapedError('Unhandled rejection', reason));
process.on('uncaughtException', (error) => escapedError('Uncaught exception', error));
send({ type: 'ready' });
// Every code package imports cairn itself: load it while the orchestrator is still busy loading the
// flow, rather than when the first task comes.
void import(runtimeUrl).catch(() => {});
