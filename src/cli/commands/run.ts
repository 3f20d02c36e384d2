import type { Command } from '../command.js';
import type { ParsedArgs } from '../args.js';
import type { RunOptions } from '../../orchestrator/run.js';

/** The options `run` and `resume` share. */
export const runOptions: Command['options'] = [
  { name: 'run-id-file', kind: 'string', metavar: 'FILE', help: 'write the run id to FILE before the first task starts' },
  { name: 'tag', kind: 'string', repeat: true, metavar: 'TAG', help: 'add a user tag to the run' },
  { name: 'max-workers', kind: 'int', metavar: 'N', help: 'run at most N tasks at once (default 16)' },
  { name: 'max-num-splits', kind: 'int', metavar: 'N', help: 'fail a foreach that yields more than N splits (default 100)' },
  { name: 'no-progress', kind: 'flag', help: 'print the plain log of every event, also on a terminal' },
  { name: 'executor', kind: 'string', metavar: 'local|queue', help: 'run tasks here, or on `cairn worker` processes through the queue (default: CAIRN_EXECUTOR, else the executor of the config file, else local)' },
];

/** `RunOptions` from the shared options. */
export function runOptionsFrom(args: ParsedArgs, flow: { file: string; flowClass?: RunOptions['flowClass'] }): RunOptions {
  const o = args.options;
  return {
    flowFile: flow.file,
    ...(flow.flowClass ? { flowClass: flow.flowClass } : {}),
    ...(o['tag'] ? { tags: o['tag'] as string[] } : {}),
    ...(o['max-workers'] !== undefined ? { maxWorkers: o['max-workers'] as number } : {}),
    ...(o['max-num-splits'] !== undefined ? { maxNumSplits: o['max-num-splits'] as number } : {}),
    ...(o['run-id-file'] ? { runIdFile: o['run-id-file'] as string } : {}),
    ...(o['no-progress'] ? { progress: false } : {}),
    ...(o['executor'] ? { executor: o['executor'] as string } : {}),
  };
}

export const command: Command = {
  name: 'run',
  summary: 'Validate the flow, then run it. Exits 0 only if the run succeeded.',
  usage: 'cairn run <flow.ts> [options] [--<parameter> VALUE]...',
  options: runOptions,
  extraOptions: true,
  async run(args, flow) {
    const [{ executeRun }, { parameterInputs }] = await Promise.all([
      import('../../orchestrator/run.js'),
      import('../../orchestrator/parameters.js'),
    ]);
    // Options that are not run's are the flow's parameters; unknown ones fail before anything runs.
    const result = await executeRun(runOptionsFrom(args, flow), parameterInputs({ given: args.extra, commandOptions: runOptions.map((o) => o.name) }));
    return result.status === 'succeeded' ? 0 : 1;
  },
  async helpFor(flow) {
    const { flowParametersHelp } = await import('./parameters-help.js');
    return flowParametersHelp(flow);
  },
};
