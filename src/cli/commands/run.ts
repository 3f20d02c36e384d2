import type { Command } from '../command.js';
import type { ParsedArgs } from '../args.js';
import type { RunOptions } from '../../orchestrator/run.js';

/** The options `run` and `resume` share. */
export const runOptions: Command['options'] = [
  { name: 'run-id-file', kind: 'string', metavar: 'FILE', help: 'write the run id to FILE before the first task starts' },
  { name: 'tag', kind: 'string', repeat: true, metavar: 'TAG', help: 'add a user tag to the run' },
  { name: 'max-workers', kind: 'int', metavar: 'N', help: 'run at most N tasks at once (default 16)' },
  { name: 'max-num-splits', kind: 'int', metavar: 'N', help: 'fail a foreach that yields more than N splits (default 100)' },
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
  };
}

export const command: Command = {
  name: 'run',
  summary: 'Validate the flow, then run it. Exits 0 only if the run succeeded.',
  usage: 'cairn run <flow.ts> [options] [--<parameter> VALUE]...',
  options: runOptions,
  extraOptions: true,
  async run(args, flow) {
    const { executeRun } = await import('../../orchestrator/run.js');
    const extra = Object.keys(args.extra);
    if (extra.length) {
      const { usageError } = await import('../args.js');
      throw usageError(`Unknown option --${extra[0]} for \`run\`. Run \`cairn run --help\` to see its options.`);
    }
    const result = await executeRun(runOptionsFrom(args, flow));
    return result.status === 'succeeded' ? 0 : 1;
  },
};
