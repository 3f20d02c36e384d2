/**
 * The CLI's first step: a command that will run tasks in local worker processes forks its first
 * worker before anything else loads (the rest of the CLI, the flow), so that they start together.
 * Imports nothing heavy: it runs before everything else.
 */
import { forkEarlyWorker } from '../orchestrator/executors/worker-process.js';

/**
 * Whether a command line will run tasks in local worker processes (`run` and `resume` on the local
 * executor): then the first worker is forked before anything else loads, and starts meanwhile.
 */
function runsLocalTasks(argv: string[]): boolean {
  if (argv[0] !== 'run' && argv[0] !== 'resume') return false;
  if (argv.includes('--help') || argv.includes('-h')) return false;
  const at = argv.findIndex((a) => a === '--executor' || a.startsWith('--executor='));
  const executor = at < 0 ? process.env['CAIRN_EXECUTOR']?.trim() : argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1];
  return !executor || executor === 'local';
}

/** Forks the first worker now when `argv` runs tasks locally; the run's local pool adopts it. */
export function startEarlyWorker(argv: string[]): void {
  if (runsLocalTasks(argv)) forkEarlyWorker();
}
