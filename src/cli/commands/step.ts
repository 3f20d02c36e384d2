import { defineCommand } from '../command.js';
import { usageError } from '../args.js';

export default defineCommand({
  name: 'step',
  summary: 'Run one task of a run recorded with `cairn init-run` (for schedulers: one task per process or container).',
  usage: 'cairn step <flow.ts> --run-id R --step S --task-id T [--input-paths STEP/TASK,...] [--split-index I] [--retry-count N]',
  positionals: 1,
  options: {
    'run-id': { kind: 'string', metavar: 'R', help: 'the run, as recorded by `cairn init-run`' },
    step: { kind: 'string', metavar: 'S', help: 'the step to run a task of (also the positional STEP)' },
    'task-id': { kind: 'string', metavar: 'T', help: "the task's id, unique within the run (letters, digits, '_', '.', '-')" },
    'input-paths': {
      kind: 'string',
      metavar: 'PATHS',
      help: "the parent tasks, STEP/TASK separated by commas; STEP/PREFIX*N is PREFIX0 to PREFIX<N-1>, A|B whichever of A and B ran (none for start)",
    },
    'split-index': { kind: 'int', metavar: 'I', help: "the task's index in the foreach that splits it" },
    'retry-count': { kind: 'int', metavar: 'N', help: "the scheduler's retry count: the attempt number, from 0 (default 0)" },
    'max-num-splits': { kind: 'int', metavar: 'N', help: 'fail a foreach that yields more than N splits (default 100)' },
    'output-dir': { kind: 'string', metavar: 'DIR', help: 'write task-id, next, num-splits and split-indices there, for the scheduler' },
  },
  async run(args, flow) {
    const o = args.options;
    const [positional] = args.positionals;
    if (positional !== undefined && o.step !== undefined && positional !== o.step) throw usageError(`step was given two steps: ${positional} and --step ${o.step}. Give one.`);
    const step = positional ?? o.step;
    for (const [name, v] of [['--run-id', o['run-id']], ['--step', step], ['--task-id', o['task-id']]] as const) {
      if (v === undefined) throw usageError(`step needs ${name}; run \`cairn step --help\` to see its options.`);
    }
    const { runStep } = await import('../../orchestrator/step-task.js');
    const result = await runStep({
      flowFile: flow.file,
      runId: o['run-id']!,
      step: step!,
      taskId: o['task-id']!,
      ...(o['input-paths'] !== undefined ? { inputPaths: o['input-paths'] } : {}),
      ...(o['split-index'] !== undefined ? { splitIndex: o['split-index'] } : {}),
      ...(o['retry-count'] !== undefined ? { retryCount: o['retry-count'] } : {}),
      ...(o['max-num-splits'] !== undefined ? { maxNumSplits: o['max-num-splits'] } : {}),
      ...(o['output-dir'] !== undefined ? { outputDir: o['output-dir'] } : {}),
    });
    return result.status === 'succeeded' ? 0 : 1;
  },
});
