#!/usr/bin/env node
import { forkEarlyWorker } from '../orchestrator/executors/worker-process.js';

/**
 * Whether the command will run tasks in local worker processes (`run` and `resume` on the local
 * executor): then the first worker is forked before anything else loads, and starts meanwhile.
 */
function runsLocalTasks(argv: string[]): boolean {
  if (argv[0] !== 'run' && argv[0] !== 'resume') return false;
  if (argv.includes('--help') || argv.includes('-h')) return false;
  const at = argv.findIndex((a) => a === '--executor' || a.startsWith('--executor='));
  const executor = at < 0 ? process.env['CAIRN_EXECUTOR']?.trim() : argv[at]!.includes('=') ? argv[at]!.split('=')[1] : argv[at + 1];
  return !executor || executor === 'local';
}

const argv = process.argv.slice(2);
if (runsLocalTasks(argv)) forkEarlyWorker();
const { main } = await import('./main.js');
void main(argv);
